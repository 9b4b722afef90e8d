// A run's result: the merged metrics, threshold outcomes and run information, with the JSON
// form of `--out json=FILE` (config, per-second series, serialised histograms and the `summary`
// object of SPEC §1), its reader, the CSV series of `--out csv=FILE`, and the exact shard merge.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "load/metrics_data.hpp"
#include "load/scenario.hpp"
#include "load/shard.hpp"
#include "load/threshold.hpp"

namespace loadlab::load {

struct RunInfo {
  std::string started_at;          // ISO-8601 UTC wall time, e.g. "2026-01-02T03:04:05Z"
  core::Duration elapsed{0};       // wall time of the run (rates are per second of this)
  Shard shard;                     // {1,1} for an unsharded run or a merged result
  std::int64_t merged_shards = 1;  // > 1 after `loadlab merge`
  bool aborted = false;            // ended early (abortOnFail, signal)
  std::string abort_reason;
  std::string target;   // base URL used
  nlohmann::json plan;  // the plan in scenario-file form (plan_to_json)
  friend bool operator==(const RunInfo&, const RunInfo&) = default;
};

struct RunResult {
  RunInfo info;
  MetricsData metrics;
  std::vector<ThresholdOutcome> thresholds;

  // Judges `thresholds` against metrics (with info.elapsed) and stores the outcomes.
  void judge(const std::vector<MetricThresholds>& thresholds_to_judge);
  [[nodiscard]] bool thresholds_passed() const noexcept { return all_passed(thresholds); }
};

// Per metric what the terminal summary prints; durations in ms:
//   trend:   count, rate, avg, min, med, max, p(90), p(95), p(99), p(99.9)
//   counter: count, rate (per second)
//   rate:    rate, passes, fails (k6's fields: passes = true samples)
//   gauge:   value, min, max
// Keys are metric names, plus sub-metrics per scenario and per request name
// ("http_req_duration{scenario:cpu}", "http_req_duration{name:fast}") when there are several.
[[nodiscard]] nlohmann::json summary_json(const MetricsData& metrics, core::Duration elapsed);

// {"version":1, "info":{...}, "config":{plan}, "summary":{...}, "thresholds":[...],
//  "metrics":{names, requests with histograms, scenarios, phases},
//  "series":{"interval_s":1, "points":[{t, http_reqs, ..., duration_ms:{p50,p90,p99,max},
//  histograms}]}}
[[nodiscard]] nlohmann::json result_to_json(const RunResult& result);
// Errors name the field: "metrics.requests[3].duration: ...".
core::Expected<RunResult, std::string> result_from_json(const nlohmann::json& json);

// Header plus one line per series interval:
// t_s,http_reqs,http_req_failed,iterations,dropped_iterations,data_sent,data_received,
// checks_passed,checks_failed,vus,vus_max,duration_p50_ms,duration_p90_ms,duration_p99_ms,
// duration_max_ms,latency_p50_ms,latency_p90_ms,latency_p99_ms,latency_max_ms
[[nodiscard]] std::string series_csv(const MetricsData& metrics);

// Exact merge of shard results of one plan: metrics added, series aligned by offset from each
// shard's start, elapsed = the longest, started_at = the earliest. Errors (naming "result N",
// 1-based in argument order) when plans differ, a shard repeats, shard counts disagree or an
// input is itself a merge, and when the set is incomplete (every shard i/n for i = 1..n must be
// there: thresholds judged on part of the load would be a false verdict). The merge is the whole
// run: shard 1/1, merged_shards = n.
core::Expected<RunResult, std::string> merge_results(const std::vector<RunResult>& shards);

}  // namespace loadlab::load
