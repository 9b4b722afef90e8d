// Regression verdict between two results (seed 003's CI gate): per scenario and metric, the delta
// of throughput, p50, p95, p99 and error rate, judged against tolerances.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "report/html_run_digest.hpp"

namespace loadlab::report {

struct CompareTolerances {
  double p95_increase_pct = 10;             // p95 may grow by at most 10 %
  double error_rate_increase_points = 0.5;  // error rate may grow by at most 0.5 points
  std::optional<double> p50_increase_pct;   // judged only when set
  std::optional<double> p99_increase_pct;
  std::optional<double> throughput_drop_pct;
  // Latency changes smaller than this are noise, whatever their percentage (0.2 -> 0.3 ms).
  double min_latency_delta_ms = 1.0;
};

struct MetricDelta {
  std::string scenario;
  std::string metric;  // "throughput", "p50", "p95", "p99", "error_rate"
  double base = 0;
  double current = 0;
  std::string change;  // "+12.3 %" or "+0.80 points"
  std::string limit;   // "+10 %" or "not judged"
  bool regressed = false;
};

struct Comparison {
  std::vector<MetricDelta> rows;
  std::vector<std::string> notes;  // scenarios present in only one of the results
  [[nodiscard]] bool regressed() const;
};

// Scenarios are matched by name; "all" (the total) is compared too.
Comparison compare_scenarios(const std::vector<ScenarioDigest>& base,
                             const std::vector<ScenarioDigest>& current,
                             const CompareTolerances& tolerances);

// The comparable scenarios of a result file: a `loadlab run` result (its scenarios and "all") or
// a `loadlab lab` result (each experiment and mode as "experiment/mode").
core::Expected<std::vector<ScenarioDigest>, std::string> comparable_scenarios(
    const nlohmann::json& result);

std::string comparison_text(const Comparison& comparison);  // aligned table plus the verdict line
nlohmann::json comparison_json(const Comparison& comparison);

// ScenarioDigest in JSON (the lab result stores one per experiment run).
nlohmann::json scenario_digest_json(const ScenarioDigest& digest);
ScenarioDigest scenario_digest_from_json(const nlohmann::json& json);

}  // namespace loadlab::report
