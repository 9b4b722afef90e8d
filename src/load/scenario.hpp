// The test plan model: scenarios (executor, schedule options, request mix) and thresholds, as in
// k6's `options`; built by scenario_loader or by quick_plan() for `loadlab run URL -c N ...`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "load/template.hpp"
#include "load/threshold.hpp"

namespace loadlab::load {

using namespace std::chrono_literals;

enum class Executor {
  constant_vus,           // `vus` loop for `duration` (closed model)
  ramping_vus,            // `startVUs` then linear `stages` of VU targets (closed model)
  constant_arrival_rate,  // `rate` iterations per `timeUnit` for `duration` (open model)
  ramping_arrival_rate,   // `startRate` then linear `stages` of rate targets (open model)
  per_vu_iterations,      // each of `vus` runs `iterations` iterations (bounded by maxDuration)
  shared_iterations,      // `vus` share `iterations` iterations (bounded by maxDuration)
};
[[nodiscard]] std::string_view to_string(Executor executor) noexcept;  // k6's spelling
[[nodiscard]] std::optional<Executor> executor_from_string(std::string_view text) noexcept;
[[nodiscard]] constexpr bool is_arrival_rate(Executor e) noexcept {
  return e == Executor::constant_arrival_rate || e == Executor::ramping_arrival_rate;
}

// One piece of a ramp: move linearly from the previous target to `target` over `duration`.
// For ramping-vus the target is a VU count (integral); for ramping-arrival-rate it is
// iterations per timeUnit (may be fractional).
struct Stage {
  core::Duration duration{0};
  double target = 0;
  friend bool operator==(const Stage&, const Stage&) = default;
};

// A pause: fixed when min == max, otherwise uniform in [min, max]. Zero means none.
struct ThinkTime {
  core::Duration min{0};
  core::Duration max{0};
  [[nodiscard]] bool none() const noexcept { return max.count() <= 0; }
  friend bool operator==(const ThinkTime&, const ThinkTime&) = default;
};

// What counts as a good response. Statuses empty = k6's default expected range 200..399, or,
// when only excluded_statuses is given, any status but those (k6: `r.status !== 500`).
// A response that is not expected is counted in http_req_failed; each listed condition is also
// a check (the `checks` rate metric): "status is 200", "status is not 500", "body contains 'x'".
struct Expectation {
  std::vector<int> statuses;
  std::vector<int> excluded_statuses;
  std::vector<std::string> body_contains;
  [[nodiscard]] bool status_expected(int status) const noexcept;
  friend bool operator==(const Expectation&, const Expectation&) = default;
};

struct Header {
  std::string name;
  Template value;
  friend bool operator==(const Header&, const Header&) = default;
};

// One HTTP request of a scenario's mix. Strings are templates (see template.hpp).
struct RequestSpec {
  std::string name;  // the `name` tag; defaults to "METHOD url-source" when not given
  std::string method = "GET";
  Template url;  // absolute http(s)://..., or relative to the plan's base URL
  std::vector<Header> headers;
  Template body;                 // empty = no body
  core::Duration timeout = 60s;  // k6's default request timeout
  Expectation expect;
  double weight = 1;     // used by MixMode::weighted
  ThinkTime think_time;  // pause after this request (before the next one of the iteration)
  std::map<std::string, std::string> tags;
  friend bool operator==(const RequestSpec&, const RequestSpec&) = default;
};

// How an iteration uses the request list:
//   weighted: one request per iteration, chosen at random by weight;
//   sequence: every request in order (a user journey) per iteration.
enum class MixMode { weighted, sequence };
[[nodiscard]] std::string_view to_string(MixMode mode) noexcept;

struct Scenario {
  std::string name;
  Executor executor = Executor::constant_vus;
  core::Duration start_time{0};
  core::Duration graceful_stop = 30s;  // in-flight iterations get this long after the end

  // constant-vus / per-vu-iterations / shared-iterations
  std::int64_t vus = 1;
  core::Duration duration{0};  // constant-vus, constant-arrival-rate
  // ramping-vus
  std::int64_t start_vus = 1;
  core::Duration graceful_ramp_down = 30s;
  std::vector<Stage> stages;  // ramping-vus, ramping-arrival-rate
  // arrival-rate executors
  double rate = 0;        // constant-arrival-rate: iterations per time_unit
  double start_rate = 0;  // ramping-arrival-rate
  core::Duration time_unit = 1s;
  std::int64_t pre_allocated_vus = 0;
  std::int64_t max_vus = 0;  // 0 = preAllocatedVUs (k6's default)
  // per-vu-iterations / shared-iterations
  std::int64_t iterations = 1;
  core::Duration max_duration = 10min;

  MixMode mix = MixMode::weighted;
  std::vector<RequestSpec> requests;
  ThinkTime think_time;  // pause at the end of every iteration (k6's sleep())
  std::map<std::string, std::string> tags;

  // Length of the active phase (without startTime and gracefulStop): duration, sum of stages,
  // or maxDuration for the iteration executors.
  [[nodiscard]] core::Duration active_duration() const noexcept;
  // startTime + active duration (+ gracefulRampDown/gracefulStop when with_grace).
  [[nodiscard]] core::Duration end_time(bool with_grace) const noexcept;
  // The most VUs this scenario may ever hold (maxVUs, max stage target, vus).
  [[nodiscard]] std::int64_t peak_vus() const noexcept;
  friend bool operator==(const Scenario&, const Scenario&) = default;
};

// A whole run: what a scenario file holds.
struct TestPlan {
  std::vector<Scenario> scenarios;
  std::vector<MetricThresholds> thresholds;
  std::string base_url;                    // BASE_URL / --target override it
  std::map<std::string, std::string> env;  // `${__ENV.X}` values (process env wins)
  // k6's insecureSkipTLSVerify: https without checking the server's certificate chain and name.
  bool insecure_skip_tls_verify = false;

  // When the last scenario ends, with or without its graceful stop.
  [[nodiscard]] core::Duration end_time(bool with_grace) const noexcept;
  [[nodiscard]] const Scenario* find_scenario(std::string_view name) const noexcept;
  friend bool operator==(const TestPlan&, const TestPlan&) = default;
};

// `loadlab run URL -c 50 -d 30s [-R 2000] [-m POST] [-H 'K: V'] [--body FILE] [--timeout 10s]`.
struct QuickOptions {
  std::string url;
  std::int64_t connections = 10;
  core::Duration duration = 10s;
  std::optional<double> rate;  // total requests per second; none = closed model
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  core::Duration timeout = 10s;
};

// RFC 9110 token (a method or a field name): one or more letters, digits or !#$%&'*+-.^_`|~.
[[nodiscard]] bool is_http_token(std::string_view text) noexcept;

// Field names compare case-insensitively (RFC 9110 5.1): "host" is the Host header.
[[nodiscard]] bool same_header_name(std::string_view a, std::string_view b) noexcept;

// Why a request header cannot be sent as given, empty when it can: a name that is not a token,
// a value with a line break or NUL (header injection), or a framing header (Content-Length,
// Transfer-Encoding) that loadlab computes from the body. Scenario files and quick mode's -H
// both use it. (Host is allowed: it replaces the one derived from the URL; callers refuse a
// second one, since a request has exactly one Host, RFC 9112 3.2.)
[[nodiscard]] std::string header_problem(std::string_view name, std::string_view value);

// The one-scenario plan equivalent to quick mode: constant-vus (vus = connections) without a
// rate; constant-arrival-rate (preAllocatedVUs = maxVUs = connections) with one. Its scenario is
// named "default" and its single request "METHOD URL"; statuses 200..399 are expected (k6's
// default). The URL, headers and body are used verbatim (no template expansion).
[[nodiscard]] TestPlan quick_plan(const QuickOptions& options);

}  // namespace loadlab::load
