// Charts, facts and tables for one `loadlab run` result, used by `loadlab report` and by the lab
// (which adds the target's CPU, memory and protection series beside them).
#pragma once

#include <string>
#include <vector>

#include "report/html_report.hpp"
#include "report/html_run_digest.hpp"

namespace loadlab::report {

// Throughput and goodput, latency percentiles, responses (ok/failed/dropped) and VUs over time.
std::vector<Chart> run_charts(const SeriesDigest& series);
// Offered load is what the plan asked for; pass "" when unknown.
std::vector<std::pair<std::string, std::string>> run_facts(const ScenarioDigest& digest);
// One row per scenario (and the total): requests, throughput, goodput, p50/p95/p99, errors.
Table scenario_table(const RunDigest& digest);

// The whole report for one run result.
ReportDocument document_from_run(const RunDigest& digest, const std::string& title);

std::string format_number(double value, int decimals = 1);

}  // namespace loadlab::report
