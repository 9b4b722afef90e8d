// The mergeable state of a run's metrics: totals and HDR histograms per scenario, request name
// and status, phase histograms, and the per-second series. Recorders fill one per worker thread;
// merge() adds them exactly (counts added, histograms added, never averaged percentiles).
//
// Memory bound (documented in docs/scenario-format.md): per (scenario, request, status, error) key
// two 3-digit histograms (~190 KiB each); four phase and one iteration histogram per run; per
// series point two sparse 2-digit histograms (16 bytes per non-empty bucket, typically 50..400
// buckets). The series keeps at most kMaxSeriesPoints points: when a run outlives them, adjacent
// points are merged pairwise and the interval doubles (1 s, 2 s, 4 s, ...), so memory does not grow
// with test length.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/clock.hpp"
#include "core/hdr_histogram.hpp"
#include "load/request_error.hpp"
#include "load/sparse_histogram.hpp"
#include "load/threshold.hpp"

namespace loadlab::load {

struct TestPlan;

// Names the indices in the keys refer to (copied from the plan so a result is self-describing).
struct RequestName {
  std::string name;
  std::string method;
  std::map<std::string, std::string> tags;  // the scenario's `tags`, then the request's own
  friend bool operator==(const RequestName&, const RequestName&) = default;
};
struct ScenarioNames {
  std::string name;
  std::vector<RequestName> requests;
  std::map<std::string, std::string> tags;  // the scenario's `tags`
  friend bool operator==(const ScenarioNames&, const ScenarioNames&) = default;
};
[[nodiscard]] std::vector<ScenarioNames> names_of(const TestPlan& plan);

// status 0 = no HTTP response (connect error, timeout, reset), as in k6; `error` says which.
struct RequestKey {
  std::uint32_t scenario = 0;
  std::uint32_t request = 0;
  int status = 0;
  RequestError error = RequestError::none;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  friend auto operator<=>(const RequestKey&, const RequestKey&) = default;
};

struct RequestStats {
  std::int64_t requests = 0;
  std::int64_t failed = 0;  // not an expected status (http_req_failed)
  std::int64_t bytes_sent = 0;
  std::int64_t bytes_received = 0;
  std::int64_t checks_passed = 0;
  std::int64_t checks_failed = 0;
  core::HdrHistogram duration;  // µs, send to last byte (http_req_duration)
  core::HdrHistogram latency;   // µs, from the intended start (http_req_latency)
  void merge(const RequestStats& other);
  friend bool operator==(const RequestStats&, const RequestStats&) = default;
};

struct ScenarioStats {
  std::int64_t iterations = 0;            // completed iterations
  std::int64_t interrupted = 0;           // cut by gracefulStop / gracefulRampDown / abort
  std::int64_t dropped_iterations = 0;    // arrival-rate iterations that found no free VU
  core::HdrHistogram iteration_duration;  // µs
  void merge(const ScenarioStats& other);
  friend bool operator==(const ScenarioStats&, const ScenarioStats&) = default;
};

// One scenario's share of a series interval (kept when the plan has several scenarios).
struct ScenarioPoint {
  std::int64_t requests = 0;
  std::int64_t failed = 0;
  std::int64_t iterations = 0;
  std::int64_t dropped_iterations = 0;
  SparseHistogram duration;
  SparseHistogram latency;
  void merge(const ScenarioPoint& other);
  friend bool operator==(const ScenarioPoint&, const ScenarioPoint&) = default;
};

// One interval of the series: all scenarios together and, when the plan has more than one
// scenario, each scenario's share (indexed like MetricsData::names; empty otherwise).
struct SeriesPoint {
  std::int64_t requests = 0;
  std::int64_t failed = 0;
  std::int64_t iterations = 0;
  std::int64_t dropped_iterations = 0;
  std::int64_t bytes_sent = 0;
  std::int64_t bytes_received = 0;
  std::int64_t checks_passed = 0;
  std::int64_t checks_failed = 0;
  std::int64_t vus = 0;      // gauge: per recorder the last sample; merged = sum
  std::int64_t vus_max = 0;  // gauge: allocated VUs, same rule
  SparseHistogram duration;
  SparseHistogram latency;
  std::vector<ScenarioPoint> by_scenario;
  // Adds counts and histograms; gauges (vus, vus_max) are added too, which is right across
  // recorders (each samples its own VUs) and wrong within one: see set_gauges_from.
  void merge(const SeriesPoint& other);
  void set_gauges_from(const SeriesPoint& later) noexcept {
    vus = later.vus;
    vus_max = later.vus_max;
  }
  friend bool operator==(const SeriesPoint&, const SeriesPoint&) = default;
};

struct MetricsData {
  static constexpr std::size_t kMaxSeriesPoints = 3600;

  std::vector<ScenarioNames> names;
  std::map<RequestKey, RequestStats> requests;
  std::vector<ScenarioStats> scenarios;  // indexed like names
  // Phases of the HTTP exchange, all requests (http_req_connecting/tls_handshaking/sending/
  // waiting/receiving).
  core::HdrHistogram connecting, tls_handshaking, sending, waiting, receiving;
  std::int64_t series_interval_seconds = 1;  // a power of two
  std::vector<SeriesPoint> series;           // point p covers [p*interval, (p+1)*interval) s

  MetricsData() = default;
  explicit MetricsData(std::vector<ScenarioNames> scenario_names);

  // Exact merge; throws std::invalid_argument when the names differ (not the same plan). An
  // empty, default-constructed MetricsData accepts any names.
  void merge(const MetricsData& other);
  // Merges series points pairwise until the interval is at least `seconds` (a power of two).
  void coarsen_series_to(std::int64_t seconds);
  // How add_series_point treats the point's gauges (vus, vus_max), which are samples.
  enum class Gauges {
    kLatest,  // a later sample (of the same recorder, or of a later second): it replaces
    kAdd,     // another recorder's sample of the same time: it adds
    kIgnore,  // not a sample (e.g. counts that arrived late): gauges stay
  };
  // Adds the point of run second `second` (interval 1 s) into the series, coarsening first when
  // it lies beyond kMaxSeriesPoints. Counts and histograms add up.
  void add_series_point(std::int64_t second, const SeriesPoint& point, Gauges gauges);

  // Totals over all requests.
  [[nodiscard]] std::int64_t total_requests() const noexcept;
  [[nodiscard]] std::int64_t total_failed() const noexcept;

  // Values of a (sub-)metric for thresholds and the summary; elapsed gives counter rates.
  // nullopt when the selector matches nothing recorded.
  [[nodiscard]] std::optional<MetricValues> resolve(const MetricSelector& selector,
                                                    core::Duration elapsed) const;
  // A resolver bound to this data (valid while it lives).
  [[nodiscard]] MetricResolver resolver(core::Duration elapsed) const;

  [[nodiscard]] nlohmann::json to_json() const;
  // Throws std::invalid_argument naming the bad field.
  static MetricsData from_json(const nlohmann::json& json);

  friend bool operator==(const MetricsData&, const MetricsData&) = default;
};

// An `error_code` some recorded request carries, and what it stands for here ("request timeout";
// "connection closed early, bad response" when several causes share k6's generic code).
struct ErrorCodeSeen {
  int code = 0;
  std::string causes;
  friend bool operator==(const ErrorCodeSeen&, const ErrorCodeSeen&) = default;
};
// The error codes of the recorded requests, in increasing order.
[[nodiscard]] std::vector<ErrorCodeSeen> error_codes_seen(const MetricsData& metrics);

// One series point in the form of MetricsData::to_json's "series.points" entries. The reader
// throws std::invalid_argument naming the field under `path`; `scenario_count` bounds the
// optional per-scenario entries.
[[nodiscard]] nlohmann::json series_point_to_json(const SeriesPoint& point);
[[nodiscard]] SeriesPoint series_point_from_json(const nlohmann::json& json,
                                                 const std::string& path,
                                                 std::size_t scenario_count);

}  // namespace loadlab::load
