// Executor names, plan arithmetic (end times, peak VUs) and the quick-mode plan.
#include "load/scenario.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace loadlab::load {

namespace {
constexpr std::array<std::pair<Executor, std::string_view>, 6> kExecutorNames{{
    {Executor::constant_vus, "constant-vus"},
    {Executor::ramping_vus, "ramping-vus"},
    {Executor::constant_arrival_rate, "constant-arrival-rate"},
    {Executor::ramping_arrival_rate, "ramping-arrival-rate"},
    {Executor::per_vu_iterations, "per-vu-iterations"},
    {Executor::shared_iterations, "shared-iterations"},
}};
}  // namespace

std::string_view to_string(Executor executor) noexcept {
  for (const auto& [value, name] : kExecutorNames) {
    if (value == executor) return name;
  }
  return "unknown";
}

std::optional<Executor> executor_from_string(std::string_view text) noexcept {
  for (const auto& [value, name] : kExecutorNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string_view to_string(MixMode mode) noexcept {
  return mode == MixMode::weighted ? "weighted" : "sequence";
}

bool Expectation::status_expected(int status) const noexcept {
  if (std::find(excluded_statuses.begin(), excluded_statuses.end(), status) !=
      excluded_statuses.end()) {
    return false;
  }
  if (statuses.empty())
    return !excluded_statuses.empty() ? status != 0 : status >= 200 && status < 400;
  return std::find(statuses.begin(), statuses.end(), status) != statuses.end();
}

core::Duration Scenario::active_duration() const noexcept {
  switch (executor) {
    case Executor::constant_vus:
    case Executor::constant_arrival_rate:
      return duration;
    case Executor::ramping_vus:
    case Executor::ramping_arrival_rate: {
      core::Duration total{0};
      for (const auto& stage : stages) total += stage.duration;
      return total;
    }
    case Executor::per_vu_iterations:
    case Executor::shared_iterations:
      return max_duration;
  }
  return duration;
}

core::Duration Scenario::end_time(bool with_grace) const noexcept {
  core::Duration end = start_time + active_duration();
  if (with_grace) {
    end += graceful_stop;
    if (executor == Executor::ramping_vus) end += graceful_ramp_down;
  }
  return end;
}

std::int64_t Scenario::peak_vus() const noexcept {
  switch (executor) {
    case Executor::ramping_vus: {
      double peak = static_cast<double>(start_vus);
      for (const auto& stage : stages) peak = std::max(peak, stage.target);
      return static_cast<std::int64_t>(peak);
    }
    case Executor::constant_arrival_rate:
    case Executor::ramping_arrival_rate:
      return std::max(pre_allocated_vus, max_vus);
    default:
      return vus;
  }
}

core::Duration TestPlan::end_time(bool with_grace) const noexcept {
  core::Duration end{0};
  for (const auto& scenario : scenarios) end = std::max(end, scenario.end_time(with_grace));
  return end;
}

const Scenario* TestPlan::find_scenario(std::string_view name) const noexcept {
  for (const auto& scenario : scenarios) {
    if (scenario.name == name) return &scenario;
  }
  return nullptr;
}

bool is_http_token(std::string_view text) noexcept {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return std::isalnum(byte) != 0 || kSymbols.find(c) != std::string_view::npos;
  });
}

bool same_header_name(std::string_view a, std::string_view b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string header_problem(std::string_view name, std::string_view value) {
  if (!is_http_token(name)) return "not a valid header name";
  // A second, user-given length would contradict the computed one (a request smuggled into the
  // body, or a connection waiting for bytes that never come); k6 ignores it, loadlab says so.
  if (same_header_name(name, "Content-Length") || same_header_name(name, "Transfer-Encoding")) {
    return "is computed from the body by loadlab; remove it";
  }
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return "header values must not contain line breaks";
  }
  return {};
}

TestPlan quick_plan(const QuickOptions& options) {
  RequestSpec request;
  request.method = options.method;
  request.url = Template::literal(options.url);
  request.name = options.method + " " + options.url;
  request.timeout = options.timeout;
  request.body = Template::literal(options.body);
  for (const auto& [name, value] : options.headers) {
    request.headers.push_back(Header{name, Template::literal(value)});
  }

  Scenario scenario;
  scenario.name = "default";
  scenario.duration = options.duration;
  scenario.graceful_stop = options.timeout;
  if (options.rate) {
    scenario.executor = Executor::constant_arrival_rate;
    scenario.rate = *options.rate;
    scenario.time_unit = std::chrono::seconds{1};
    scenario.pre_allocated_vus = options.connections;
    scenario.max_vus = options.connections;
  } else {
    scenario.executor = Executor::constant_vus;
    scenario.vus = options.connections;
  }
  scenario.requests.push_back(std::move(request));

  TestPlan plan;
  plan.scenarios.push_back(std::move(scenario));
  return plan;
}

}  // namespace loadlab::load
