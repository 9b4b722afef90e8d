// The numbers a report or a comparison needs from a `loadlab run` result JSON (src/load's
// result_to_json): totals and exact percentiles per scenario, statuses, and the per-second series.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/expected.hpp"

namespace loadlab::report {

struct ScenarioDigest {
  std::string name;
  std::int64_t requests = 0;
  std::int64_t failed = 0;  // http_req_failed: not an expected status
  std::int64_t dropped_iterations = 0;
  double elapsed_s = 0;
  double throughput = 0;  // requests per second
  double goodput = 0;     // requests that did not fail, per second
  double error_rate = 0;  // failed / requests, 0..1
  // Latency from the intended start (coordinated-omission corrected; equals duration in closed
  // models), milliseconds, exact from the merged HDR histograms.
  double p50_ms = 0, p90_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
  // The same over answered requests with a 1xx..3xx status only (what admitted clients saw).
  double ok_p50_ms = 0, ok_p95_ms = 0, ok_p99_ms = 0;
  std::map<int, std::int64_t> statuses;  // 0 = no response (timeout, reset)
  // What ended the requests without a response, by cause ("request timeout": 3).
  std::map<std::string, std::int64_t> no_response_causes;
  // Cut at the end (gracefulStop, gracefulRampDown, an abort) while waiting for an answer: in no
  // request count and no latency, so a report must say how many there were.
  std::int64_t interrupted_iterations = 0;
};

struct SeriesDigest {
  double interval_s = 1;
  std::vector<double> t;
  std::vector<double> requests_per_s, ok_per_s, failed_per_s, dropped_per_s, vus;
  std::vector<double> p50_ms, p90_ms, p99_ms, max_ms;  // http_req_latency
  std::vector<double> duration_p99_ms;                 // http_req_duration
};

struct RunDigest {
  std::string target;
  double elapsed_s = 0;
  bool aborted = false;
  ScenarioDigest total;                   // all scenarios together, named "all"
  std::vector<ScenarioDigest> scenarios;  // one per scenario of the plan
  SeriesDigest series;
};

// Errors name what is missing ("series.points[3]: ..."); never throws on bad input.
core::Expected<RunDigest, std::string> digest_run_result(const nlohmann::json& result);

// "503: 12, no response: 3 (request timeout: 2, connection refused: 1)" style listing, most
// frequent first; the causes of the status-0 requests in brackets when known.
std::string format_statuses(const std::map<int, std::int64_t>& statuses,
                            const std::map<std::string, std::int64_t>& no_response_causes = {});

}  // namespace loadlab::report
