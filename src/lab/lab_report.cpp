// Building the lab's findings tables and report document from measurements.
#include "lab/lab_report.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "lab/expectations.hpp"
#include "lab/measures.hpp"
#include "report/html_run_document.hpp"

namespace loadlab::lab {
namespace {

using report::Chart;
using report::format_number;

std::string restarts_text(const RunMeasurements& run) {
  if (run.restarts.empty()) return "0";
  std::map<std::string, int> by_cause;
  for (const auto& r : run.restarts) ++by_cause[r.cause];
  std::string text = std::to_string(run.restarts.size()) + " (";
  bool first = true;
  for (const auto& [cause, count] : by_cause) {
    text += (first ? "" : ", ") + std::to_string(count) + " " + cause;
    first = false;
  }
  return text + ")";
}

std::string measured(const RunMeasurements& run, const std::string& key, const std::string& unit) {
  const auto value = measure(run, key);
  return value ? format_quantity(*value, unit) : "-";
}

const std::vector<double>* column(const RunMeasurements& run, const std::string& child,
                                  const std::string& name) {
  const auto it = run.children.find(child);
  return it == run.children.end() ? nullptr : it->second.column(name);
}

// A chart of some columns of a child's series; absent when none of them was recorded.
void add_child_chart(std::vector<Chart>& charts, const RunMeasurements& run,
                     const std::string& child, const std::string& title, const std::string& unit,
                     const std::vector<std::pair<std::string, std::string>>& columns,
                     bool steps = false) {
  const auto it = run.children.find(child);
  if (it == run.children.end()) return;
  Chart chart{title, unit, it->second.times(), {}, {}, steps};
  for (const auto& [name, label] : columns) {
    if (const auto* values = column(run, child, name)) chart.lines.push_back({label, *values});
  }
  if (chart.lines.empty() || chart.x.empty()) return;
  charts.push_back(std::move(chart));
}

std::vector<Chart> variant_charts(const RunMeasurements& run) {
  auto charts = report::run_charts(run.load.series);
  add_child_chart(charts, run, "target", "Responses by status (target's /metrics)", "per s",
                  {{"http_2xx", "2xx"}, {"http_4xx", "4xx"}, {"http_5xx", "5xx"}});
  add_child_chart(charts, run, "target", "Target CPU", "cores", {{"cpu_cores", "CPU (cores)"}});
  add_child_chart(charts, run, "target", "Target memory (RSS)", "MiB", {{"rss_mb", "RSS"}});
  add_child_chart(charts, run, "target",
                  "Breaker state (0 closed, 1 open, 2 half-open) and readiness", "state",
                  {{"breaker_state", "breaker"}, {"ready", "ready"}}, true);
  add_child_chart(charts, run, "target", "Protection events", "per s",
                  {{"shed", "shed"},
                   {"protection_events", "all rejections"},
                   {"upstream_breaker_open", "breaker fast-fails"}});
  std::vector<std::pair<double, std::string>> markers;
  for (const auto& restart : run.restarts)
    markers.emplace_back(restart.t, restart.child + " " + restart.cause);
  for (auto& chart : charts) chart.markers = markers;
  return charts;
}

// "protected (async)", or only the variant's name when it already says its model, as
// "naked (threaded, 4 workers)" does.
std::string run_label(const RunMeasurements& run) {
  const std::string model_kind = run.model.substr(0, run.model.find(' '));
  if (run.model.empty() || run.variant.find(model_kind) != std::string::npos) return run.variant;
  return run.variant + " (" + run.model + ")";
}

report::Panel variant_panel(const RunMeasurements& run) {
  report::Panel panel;
  panel.title = run_label(run);
  if (!run.ran) {
    panel.facts.push_back({"not run", run.skipped_reason});
    return panel;
  }
  panel.facts = report::run_facts(run.load.total);
  panel.facts.insert(panel.facts.begin(), {"offered", run.offered_load});
  panel.facts.push_back({"restarts", restarts_text(run)});
  panel.facts.push_back({"peak CPU", measured(run, "peak_cpu", "cores")});
  panel.facts.push_back({"peak RSS", measured(run, "peak_rss_mb", "MiB")});
  panel.facts.push_back({"protection events", measured(run, "protection_events", "")});
  for (const auto& error : run.errors) panel.facts.push_back({"lab error", error});
  panel.charts = variant_charts(run);
  return panel;
}

report::Table experiment_expectations(const StoredExperiment& experiment) {
  report::Table table{{"variant", "expectation", "verdict", "evidence"}, {}};
  for (const auto& judged : experiment.judged) {
    table.rows.push_back({judged.variant, judged.claim,
                          std::string(to_string(judged.verdict.outcome)), judged.verdict.evidence});
  }
  return table;
}

}  // namespace

report::Table findings_table(const LabResult& result) {
  report::Table table{
      {"experiment", "variant", "offered load", "throughput", "goodput", "p50", "p95", "p99",
       "errors by status", "restarts", "peak CPU", "peak RSS", "protection events"},
      {}};
  for (const auto& experiment : result.experiments) {
    for (const auto& run : experiment.runs) {
      if (!run.ran) {
        table.rows.push_back({experiment.name, run.variant, "not run: " + run.skipped_reason, "",
                              "", "", "", "", "", "", "", "", ""});
        continue;
      }
      std::map<int, std::int64_t> errors;
      for (const auto& [status, count] : run.load.total.statuses) {
        if (status == 0 || status >= 400) errors[status] = count;
      }
      const auto& total = run.load.total;
      table.rows.push_back(
          {experiment.name, run_label(run), run.offered_load,
           format_quantity(total.throughput, "req/s"), format_quantity(total.goodput, "req/s"),
           format_quantity(total.p50_ms, "ms"), format_quantity(total.p95_ms, "ms"),
           format_quantity(total.p99_ms, "ms"),
           report::format_statuses(errors, total.no_response_causes), restarts_text(run),
           measured(run, "peak_cpu", "cores"), measured(run, "peak_rss_mb", "MiB"),
           measured(run, "protection_events", "")});
    }
  }
  return table;
}

report::Table expectations_table(const LabResult& result) {
  report::Table table{{"experiment", "variant", "expectation", "verdict", "evidence"}, {}};
  for (const auto& experiment : result.experiments) {
    for (const auto& judged : experiment.judged) {
      table.rows.push_back({experiment.name, judged.variant, judged.claim,
                            std::string(to_string(judged.verdict.outcome)),
                            judged.verdict.evidence});
    }
  }
  return table;
}

report::ReportDocument lab_document(const LabResult& result) {
  report::ReportDocument document;
  document.title = "loadlab lab report";
  int confirmed = 0, refuted = 0, skipped = 0;
  for (const auto& experiment : result.experiments) {
    for (const auto& judged : experiment.judged) {
      (judged.verdict.outcome == Outcome::confirmed ? confirmed
       : judged.verdict.outcome == Outcome::refuted ? refuted
                                                    : skipped)++;
    }
  }
  const auto& info = result.info;
  document.notes.push_back("expectations: " + std::to_string(confirmed) + " confirmed, " +
                           std::to_string(refuted) + " refuted, " + std::to_string(skipped) +
                           " skipped (judged from the measurements below)");
  document.notes.push_back("profile: " + info.profile + "; started " + info.started_at + "; took " +
                           format_number(info.elapsed_s, 0) + " s");
  document.notes.push_back("child limits: " + format_number(info.limits.cpus, 2) + " CPU, " +
                           std::to_string(info.limits.memory_bytes >> 20) + " MiB via " +
                           info.limit_description);
  for (const auto& note : info.notes) document.notes.push_back("note: " + note);
  document.notes.push_back(
      "latency is measured from each request's intended start (coordinated-omission corrected)");

  report::Section findings;
  findings.title = "Findings";
  findings.text =
      "Per experiment and variant, what was offered and what the target did; then every "
      "expectation with the measured evidence that confirms or refutes it.";
  findings.tables = {findings_table(result), expectations_table(result)};
  document.sections.push_back(std::move(findings));

  for (const auto& experiment : result.experiments) {
    report::Section section;
    section.title = experiment.title;
    section.text = experiment.question;
    section.tables.push_back(experiment_expectations(experiment));
    for (const auto& run : experiment.runs) section.panels.push_back(variant_panel(run));
    document.sections.push_back(std::move(section));
  }
  return document;
}

core::Expected<report::ReportDocument, std::string> document_from_lab_result(
    const nlohmann::json& json) {
  auto result = lab_result_from_json(json);
  if (!result) return core::unexpected(result.error());
  return lab_document(*result);
}

}  // namespace loadlab::lab
