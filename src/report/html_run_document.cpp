// Building the report document of a single run result.
#include "report/html_run_document.hpp"

#include <cmath>
#include <cstdio>

namespace loadlab::report {

std::string format_number(double value, int decimals) {
  if (!std::isfinite(value)) return "-";
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

std::vector<Chart> run_charts(const SeriesDigest& series) {
  std::vector<Chart> charts;
  if (series.t.empty()) return charts;
  charts.push_back(
      {"Throughput and goodput",
       "req/s",
       series.t,
       {{"throughput", series.requests_per_s}, {"goodput (not failed)", series.ok_per_s}},
       {},
       false});
  charts.push_back({"Latency percentiles (from intended start)",
                    "ms",
                    series.t,
                    {{"p50", series.p50_ms},
                     {"p90", series.p90_ms},
                     {"p99", series.p99_ms},
                     {"max", series.max_ms}},
                    {},
                    false});
  charts.push_back({"Client-side outcomes",
                    "per s",
                    series.t,
                    {{"ok", series.ok_per_s},
                     {"failed", series.failed_per_s},
                     {"dropped iterations", series.dropped_per_s}},
                    {},
                    false});
  charts.push_back({"Virtual users", "VUs", series.t, {{"active VUs", series.vus}}, {}, true});
  return charts;
}

std::vector<std::pair<std::string, std::string>> run_facts(const ScenarioDigest& digest) {
  std::vector<std::pair<std::string, std::string>> facts{
      {"requests", std::to_string(digest.requests)},
      {"throughput", format_number(digest.throughput) + " req/s"},
      {"goodput", format_number(digest.goodput) + " req/s"},
      {"p50", format_number(digest.p50_ms) + " ms"},
      {"p95", format_number(digest.p95_ms) + " ms"},
      {"p99", format_number(digest.p99_ms) + " ms"},
      {"errors", format_number(digest.error_rate * 100, 2) + " %"},
      {"statuses", format_statuses(digest.statuses, digest.no_response_causes)}};
  // Requests cut at the end are in none of the numbers above: without this a queue that never
  // answered within the run would read as fewer requests, not as the longest waits.
  if (digest.interrupted_iterations > 0) {
    facts.emplace_back("interrupted at the end", std::to_string(digest.interrupted_iterations));
  }
  return facts;
}

Table scenario_table(const RunDigest& digest) {
  Table table;
  table.header = {"scenario",   "requests", "throughput req/s", "goodput req/s",
                  "p50 ms",     "p95 ms",   "p99 ms",           "max ms",
                  "error rate", "dropped",  "interrupted",      "statuses"};
  auto row = [](const ScenarioDigest& s) {
    return std::vector<std::string>{s.name,
                                    std::to_string(s.requests),
                                    format_number(s.throughput),
                                    format_number(s.goodput),
                                    format_number(s.p50_ms, 2),
                                    format_number(s.p95_ms, 2),
                                    format_number(s.p99_ms, 2),
                                    format_number(s.max_ms, 2),
                                    format_number(s.error_rate * 100, 2) + " %",
                                    std::to_string(s.dropped_iterations),
                                    std::to_string(s.interrupted_iterations),
                                    format_statuses(s.statuses, s.no_response_causes)};
  };
  for (const auto& scenario : digest.scenarios) table.rows.push_back(row(scenario));
  if (digest.scenarios.size() != 1) table.rows.push_back(row(digest.total));
  return table;
}

ReportDocument document_from_run(const RunDigest& digest, const std::string& title) {
  ReportDocument document;
  document.title = title;
  if (!digest.target.empty()) document.notes.push_back("target: " + digest.target);
  document.notes.push_back("duration: " + format_number(digest.elapsed_s) + " s" +
                           (digest.aborted ? " (aborted)" : ""));
  document.notes.push_back(
      "latency is measured from each request's intended start "
      "(coordinated-omission corrected, as wrk2)");
  Section section;
  section.title = "Run";
  section.tables.push_back(scenario_table(digest));
  Panel panel;
  panel.title = "all scenarios";
  panel.facts = run_facts(digest.total);
  panel.charts = run_charts(digest.series);
  section.panels.push_back(std::move(panel));
  document.sections.push_back(std::move(section));
  return document;
}

}  // namespace loadlab::report
