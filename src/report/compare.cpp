// Comparison of two results against tolerances (pure; tested on constructed digests).
#include "report/compare.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report/html_run_document.hpp"

namespace loadlab::report {
namespace {

using Json = nlohmann::json;

std::string signed_text(double value, int decimals, const char* unit) {
  return (value >= 0 ? "+" : "") + format_number(value, decimals) + unit;
}

double percent_change(double base, double current) {
  if (base == 0) return current == 0 ? 0 : 100;
  return (current - base) / base * 100;
}

MetricDelta latency_row(const std::string& scenario, const char* metric, double base,
                        double current, std::optional<double> limit_pct, double min_delta_ms) {
  MetricDelta row{
      scenario,     metric, base, current, signed_text(percent_change(base, current), 1, " %"),
      "not judged", false};
  if (limit_pct) {
    row.limit = "+" + format_number(*limit_pct, 1) + " %";
    row.regressed = current - base >= min_delta_ms && percent_change(base, current) > *limit_pct;
  }
  return row;
}

}  // namespace

bool Comparison::regressed() const {
  return std::any_of(rows.begin(), rows.end(),
                     [](const MetricDelta& row) { return row.regressed; });
}

Comparison compare_scenarios(const std::vector<ScenarioDigest>& base,
                             const std::vector<ScenarioDigest>& current,
                             const CompareTolerances& tolerances) {
  Comparison comparison;
  std::map<std::string, const ScenarioDigest*> current_by_name;
  for (const auto& scenario : current) current_by_name[scenario.name] = &scenario;
  for (const auto& before : base) {
    const auto it = current_by_name.find(before.name);
    if (it == current_by_name.end()) {
      comparison.notes.push_back("scenario '" + before.name +
                                 "' is missing from the current result");
      continue;
    }
    const auto& after = *it->second;
    current_by_name.erase(it);
    const auto& name = before.name;
    MetricDelta throughput{
        name,
        "throughput",
        before.throughput,
        after.throughput,
        signed_text(percent_change(before.throughput, after.throughput), 1, " %"),
        "not judged",
        false};
    if (tolerances.throughput_drop_pct) {
      throughput.limit = "-" + format_number(*tolerances.throughput_drop_pct, 1) + " %";
      throughput.regressed =
          percent_change(before.throughput, after.throughput) < -*tolerances.throughput_drop_pct;
    }
    comparison.rows.push_back(throughput);
    comparison.rows.push_back(latency_row(name, "p50", before.p50_ms, after.p50_ms,
                                          tolerances.p50_increase_pct,
                                          tolerances.min_latency_delta_ms));
    comparison.rows.push_back(latency_row(name, "p95", before.p95_ms, after.p95_ms,
                                          tolerances.p95_increase_pct,
                                          tolerances.min_latency_delta_ms));
    comparison.rows.push_back(latency_row(name, "p99", before.p99_ms, after.p99_ms,
                                          tolerances.p99_increase_pct,
                                          tolerances.min_latency_delta_ms));
    const double points = (after.error_rate - before.error_rate) * 100;
    comparison.rows.push_back(
        {name, "error_rate", before.error_rate * 100, after.error_rate * 100,
         signed_text(points, 2, " points"),
         "+" + format_number(tolerances.error_rate_increase_points, 2) + " points",
         points > tolerances.error_rate_increase_points});
  }
  for (const auto& [name, scenario] : current_by_name) {
    comparison.notes.push_back("scenario '" + name +
                               "' is new in the current result (not compared)");
  }
  return comparison;
}

core::Expected<std::vector<ScenarioDigest>, std::string> comparable_scenarios(const Json& result) {
  if (result.is_object() && result.value("kind", "") == "loadlab-lab") {
    std::vector<ScenarioDigest> scenarios;
    try {
      for (const auto& experiment : result.at("experiments")) {
        for (const auto& run : experiment.at("runs")) {
          if (!run.contains("digest")) continue;
          auto digest = scenario_digest_from_json(run["digest"]);
          digest.name =
              experiment.at("name").get<std::string>() + "/" + run.at("mode").get<std::string>();
          scenarios.push_back(std::move(digest));
        }
      }
    } catch (const std::exception& error) {
      return core::unexpected(std::string("malformed lab result: ") + error.what());
    }
    return scenarios;
  }
  auto digest = digest_run_result(result);
  if (!digest) return core::unexpected(digest.error());
  auto scenarios = digest->scenarios;
  if (scenarios.size() != 1) scenarios.push_back(digest->total);
  return scenarios;
}

std::string comparison_text(const Comparison& comparison) {
  std::vector<std::vector<std::string>> rows{
      {"scenario", "metric", "base", "current", "change", "limit", "result"}};
  for (const auto& row : comparison.rows) {
    const int decimals = row.metric == "throughput" ? 1 : 2;
    rows.push_back({row.scenario, row.metric, format_number(row.base, decimals),
                    format_number(row.current, decimals), row.change, row.limit,
                    row.regressed ? "REGRESSION" : (row.limit == "not judged" ? "-" : "ok")});
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::ostringstream out;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out << row[i] << std::string(widths[i] - row[i].size() + (i + 1 < row.size() ? 2 : 0), ' ');
    }
    out << "\n";
  }
  for (const auto& note : comparison.notes) out << "note: " << note << "\n";
  out << "units: latency in ms, throughput in req/s, error rate in %\n";
  out << (comparison.regressed() ? "verdict: REGRESSION" : "verdict: ok (within tolerances)")
      << "\n";
  return out.str();
}

Json comparison_json(const Comparison& comparison) {
  Json rows = Json::array();
  for (const auto& row : comparison.rows) {
    rows.push_back({{"scenario", row.scenario},
                    {"metric", row.metric},
                    {"base", row.base},
                    {"current", row.current},
                    {"change", row.change},
                    {"limit", row.limit},
                    {"regressed", row.regressed}});
  }
  return {{"verdict", comparison.regressed() ? "regression" : "ok"},
          {"rows", std::move(rows)},
          {"notes", comparison.notes}};
}

Json scenario_digest_json(const ScenarioDigest& d) {
  Json statuses = Json::object();
  for (const auto& [status, count] : d.statuses) statuses[std::to_string(status)] = count;
  Json causes = Json::object();
  for (const auto& [cause, count] : d.no_response_causes) causes[cause] = count;
  return {{"name", d.name},
          {"requests", d.requests},
          {"failed", d.failed},
          {"dropped_iterations", d.dropped_iterations},
          {"interrupted_iterations", d.interrupted_iterations},
          {"elapsed_s", d.elapsed_s},
          {"throughput", d.throughput},
          {"goodput", d.goodput},
          {"error_rate", d.error_rate},
          {"p50_ms", d.p50_ms},
          {"p90_ms", d.p90_ms},
          {"p95_ms", d.p95_ms},
          {"p99_ms", d.p99_ms},
          {"max_ms", d.max_ms},
          {"mean_ms", d.mean_ms},
          {"ok_p50_ms", d.ok_p50_ms},
          {"ok_p95_ms", d.ok_p95_ms},
          {"ok_p99_ms", d.ok_p99_ms},
          {"statuses", std::move(statuses)},
          {"no_response_causes", std::move(causes)}};
}

ScenarioDigest scenario_digest_from_json(const Json& j) {
  ScenarioDigest d;
  d.name = j.value("name", "");
  d.requests = j.value("requests", std::int64_t{0});
  d.failed = j.value("failed", std::int64_t{0});
  d.dropped_iterations = j.value("dropped_iterations", std::int64_t{0});
  d.interrupted_iterations = j.value("interrupted_iterations", std::int64_t{0});  // absent before
  d.elapsed_s = j.value("elapsed_s", 0.0);
  d.throughput = j.value("throughput", 0.0);
  d.goodput = j.value("goodput", 0.0);
  d.error_rate = j.value("error_rate", 0.0);
  d.p50_ms = j.value("p50_ms", 0.0);
  d.p90_ms = j.value("p90_ms", 0.0);
  d.p95_ms = j.value("p95_ms", 0.0);
  d.p99_ms = j.value("p99_ms", 0.0);
  d.max_ms = j.value("max_ms", 0.0);
  d.mean_ms = j.value("mean_ms", 0.0);
  d.ok_p50_ms = j.value("ok_p50_ms", 0.0);
  d.ok_p95_ms = j.value("ok_p95_ms", 0.0);
  d.ok_p99_ms = j.value("ok_p99_ms", 0.0);
  const Json statuses_json = j.value("statuses", Json::object());  // items() must not outlive it
  for (const auto& [status, count] : statuses_json.items()) {
    d.statuses[std::stoi(status)] = count.get<std::int64_t>();
  }
  // Absent in digests written before the causes were recorded.
  const Json causes_json = j.value("no_response_causes", Json::object());
  for (const auto& [cause, count] : causes_json.items()) {
    d.no_response_causes[cause] = count.get<std::int64_t>();
  }
  return d;
}

}  // namespace loadlab::report
