// `loadlab compare BASE.json CURRENT.json`: per scenario and metric deltas against tolerances, a
// table and a verdict; exit 1 on regression so CI can gate on it.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "report/compare.hpp"

namespace loadlab::cli {
namespace {

struct CompareOptions {
  std::string base;
  std::string current;
  report::CompareTolerances tolerances;
  double p50 = -1, p99 = -1, throughput_drop = -1;  // < 0: not judged
  std::string json_out;
};

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw CommandFailed(2, "cannot open " + path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    throw CommandFailed(2, path + ": not valid JSON (" + error.what() + ")");
  }
}

std::vector<report::ScenarioDigest> scenarios_of(const std::string& path) {
  auto scenarios = report::comparable_scenarios(read_json(path));
  if (!scenarios) throw CommandFailed(2, path + ": " + scenarios.error());
  return std::move(scenarios).value();
}

void run_compare(CompareOptions& options) {
  if (options.p50 >= 0) options.tolerances.p50_increase_pct = options.p50;
  if (options.p99 >= 0) options.tolerances.p99_increase_pct = options.p99;
  if (options.throughput_drop >= 0)
    options.tolerances.throughput_drop_pct = options.throughput_drop;
  const auto comparison = report::compare_scenarios(
      scenarios_of(options.base), scenarios_of(options.current), options.tolerances);
  std::cout << report::comparison_text(comparison);
  if (!options.json_out.empty()) {
    std::ofstream out(options.json_out);
    out << report::comparison_json(comparison).dump(2) << "\n";
    if (!out) throw CommandFailed(2, "cannot write " + options.json_out);
  }
  if (comparison.regressed()) throw CommandFailed(1, "");
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto options = std::make_shared<CompareOptions>();
  auto* command = app.add_subcommand("compare",
                                     "Regression verdict between two results (`loadlab run` or "
                                     "`loadlab lab` JSON); exit 1 on regression");
  command->add_option("BASE", options->base, "baseline result JSON")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("CURRENT", options->current, "current result JSON")
      ->required()
      ->check(CLI::ExistingFile);
  command
      ->add_option("--max-p95-increase", options->tolerances.p95_increase_pct,
                   "allowed p95 growth in %")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--max-error-rate-increase", options->tolerances.error_rate_increase_points,
                   "allowed error-rate growth in percentage points")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--max-p50-increase", options->p50,
                   "allowed p50 growth in % (not judged unless set)")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--max-p99-increase", options->p99,
                   "allowed p99 growth in % (not judged unless set)")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--max-throughput-drop", options->throughput_drop,
                   "allowed throughput drop in % (not judged unless set)")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--min-latency-delta", options->tolerances.min_latency_delta_ms,
                   "latency changes below this many ms are never a regression")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command->add_option("--json", options->json_out,
                      "also write the comparison as JSON to this file");
  command->callback([options] { run_compare(*options); });
}

}  // namespace loadlab::cli
