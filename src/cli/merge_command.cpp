// `loadlab merge SHARD.json... -o OUT.json`: exact merge of shard results (histograms and series
// added, never averaged percentiles), the summary of the whole, and its thresholds (exit 99).
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "load/result.hpp"
#include "load/scenario_loader.hpp"
#include "load/summary_text.hpp"

namespace loadlab::cli {
namespace {

constexpr std::size_t kMaxResultBytes = 512U * 1024 * 1024;
// The exit codes of `loadlab run` (run_command.cpp) for the same verdicts.
constexpr int kThresholdsFailed = 99;
constexpr int kInterrupted = 130;

struct MergeOptions {
  std::vector<std::string> inputs;
  std::string output;
  std::string csv;
  bool quiet = false;
};

load::RunResult read_result(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CommandFailed(2, path + ": cannot open the file");
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  if (size > kMaxResultBytes)
    throw CommandFailed(2, path + ": larger than 512 MiB, not a result file?");
  in.seekg(0);
  std::ostringstream content;
  content << in.rdbuf();
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(content.str());
  } catch (const nlohmann::json::exception& e) {
    throw CommandFailed(2, path + ": invalid JSON: " + e.what());
  }
  auto result = load::result_from_json(json);
  if (!result) throw CommandFailed(2, path + ": not a loadlab result: " + result.error());
  return std::move(*result);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw CommandFailed(2, path + ": cannot write the file");
}

// Thresholds live in the plan stored with the results; env placeholders in it no longer matter.
std::vector<load::MetricThresholds> thresholds_of(const load::RunResult& result) {
  load::LoadOptions options;
  options.env = [](std::string_view) -> std::optional<std::string> { return std::string(); };
  auto plan = load::load_plan_json(result.info.plan, options);
  if (!plan) throw CommandFailed(2, "the results' config is not a valid plan: " + plan.error());
  return plan->thresholds;
}

void run_merge(const MergeOptions& options) {
  std::vector<load::RunResult> shards;
  shards.reserve(options.inputs.size());
  for (const auto& path : options.inputs) shards.push_back(read_result(path));

  auto merged = load::merge_results(shards);
  if (!merged) {
    std::string files;
    for (std::size_t i = 0; i < options.inputs.size(); ++i) {
      files += (i ? ", " : "") + std::string("result ") + std::to_string(i + 1) + " = " +
               options.inputs[i];
    }
    throw CommandFailed(2, "cannot merge: " + merged.error() + " (" + files + ")");
  }
  merged->judge(thresholds_of(*merged));

  if (!options.output.empty())
    write_file(options.output, load::result_to_json(*merged).dump(1) + "\n");
  if (!options.csv.empty()) write_file(options.csv, load::series_csv(merged->metrics));
  if (!options.quiet) {
    load::SummaryStyle style;
    style.color = ::isatty(STDOUT_FILENO) != 0;
    std::cout << load::summary_text(*merged, style) << std::flush;
  }
  // An aborted shard means the merged load is not the planned one: exit as `run` would have for
  // that shard (130 interrupted, 99 abortOnFail), never 0.
  if (merged->info.aborted) {
    const bool interrupted = merged->info.abort_reason == "interrupted";
    throw CommandFailed(interrupted ? kInterrupted : kThresholdsFailed,
                        "a shard was aborted (" + merged->info.abort_reason +
                            "): the merged result is not a complete run");
  }
  if (!merged->thresholds_passed()) {
    std::size_t failed = 0;
    for (const auto& outcome : merged->thresholds) failed += outcome.passed ? 0 : 1;
    throw CommandFailed(kThresholdsFailed, std::to_string(failed) + " threshold" +
                                               (failed == 1 ? "" : "s") +
                                               " failed on the merged result");
  }
}

}  // namespace

void add_merge_command(CLI::App& app) {
  auto options = std::make_shared<MergeOptions>();
  auto* command = app.add_subcommand(
      "merge", "Exactly merge shard results of `loadlab run --shard i/n` and judge the thresholds");
  command->add_option("results", options->inputs, "Shard result files (JSON from --out json=FILE)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("-o,--output", options->output, "Write the merged result JSON here");
  command->add_option("--csv", options->csv, "Write the merged per-second series as CSV here");
  command->add_flag("-q,--quiet", options->quiet, "Do not print the summary");
  command->footer(
      "Exit status: 0 when every threshold passes, 99 when one fails or a shard was aborted by "
      "abortOnFail, 130 when a shard was interrupted, 2 on bad input (including an incomplete "
      "set of shards).");
  command->callback([options] { run_merge(*options); });
}

}  // namespace loadlab::cli
