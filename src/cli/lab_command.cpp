// `loadlab lab [--quick] [--out DIR] [EXPERIMENT...]`, `loadlab lab --list`: runs the experiments
// of SPEC §5 against confined, supervised children and writes lab.json, findings.md, report.html.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "lab/experiment_catalog.hpp"
#include "lab/experiment_runner.hpp"
#include "lab/lab_report.hpp"
#include "lab/lab_result.hpp"
#include "lab/local_postgres.hpp"
#include "report/html_report.hpp"

namespace loadlab::cli {
namespace {

namespace fs = std::filesystem;

struct LabCommandOptions {
  std::vector<std::string> names;
  bool quick = false;
  bool list = false;
  std::string out_dir = "lab-results";
  std::string db_url;
  bool start_postgres = false;
  std::string limiter = "auto";
  double cpus = 0.5;
  std::uint64_t memory_mib = 512;
  std::string scenario_dir;
};

std::string utc_now() {
  const auto now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string self_executable() {
  std::error_code error;
  const auto path = fs::read_symlink("/proc/self/exe", error);
  if (error) throw CommandFailed(2, "cannot find the loadlab executable (/proc/self/exe)");
  return path.string();
}

// scenarios/lab beside the source tree: LOADLAB_SCENARIOS, ./scenarios/lab, or next to the binary.
std::string find_scenario_dir(const LabCommandOptions& options) {
  const std::string profile = options.quick ? "" : "/full";
  std::vector<std::string> candidates;
  if (!options.scenario_dir.empty()) candidates.push_back(options.scenario_dir);
  if (const char* env = std::getenv("LOADLAB_SCENARIOS"))
    candidates.push_back(std::string(env) + "/lab" + profile);
  candidates.push_back("scenarios/lab" + profile);
  auto dir = fs::path(self_executable()).parent_path();
  for (int up = 0; up < 5 && !dir.empty(); ++up, dir = dir.parent_path()) {
    candidates.push_back((dir / "scenarios/lab").string() + profile);
  }
  for (const auto& candidate : candidates) {
    if (fs::is_directory(candidate)) return fs::absolute(candidate).string();
  }
  throw CommandFailed(2, "scenario folder scenarios/lab" + profile +
                             " not found (run from the repository or set LOADLAB_SCENARIOS)");
}

lab::LimiterChoice limiter_choice(const std::string& text) {
  if (text == "auto") return lab::LimiterChoice::automatic;
  if (text == "cgroup-v2") return lab::LimiterChoice::cgroup_v2;
  if (text == "cgroup-v1") return lab::LimiterChoice::cgroup_v1;
  if (text == "fallback") return lab::LimiterChoice::fallback;
  return lab::LimiterChoice::none;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw CommandFailed(2, "cannot write " + path);
}

void run_lab(const LabCommandOptions& options) {
  auto catalog = lab::experiment_catalog();
  if (options.list) {
    for (const auto& experiment : catalog) {
      std::cout << experiment.name << "  " << experiment.question << "\n";
    }
    return;
  }
  std::vector<lab::Experiment> chosen;
  for (const auto& name : options.names) {
    const auto it =
        std::find_if(catalog.begin(), catalog.end(), [&](const auto& e) { return e.name == name; });
    if (it == catalog.end())
      throw CommandFailed(2, "unknown experiment '" + name + "' (see loadlab lab --list)");
    chosen.push_back(*it);
  }
  if (chosen.empty()) chosen = catalog;

  std::vector<std::string> notes;
  auto limiter = lab::make_resource_limiter(limiter_choice(options.limiter), notes);
  if (!limiter)
    throw CommandFailed(2, "resource limits '" + options.limiter +
                               "' unavailable: " + (notes.empty() ? "" : notes.back()));
  fs::create_directories(options.out_dir);
  lab::LabOptions lab_options;
  lab_options.loadlab_binary = self_executable();
  lab_options.scenario_dir = find_scenario_dir(options);
  lab_options.out_dir = fs::absolute(options.out_dir).string();
  lab_options.db_url = options.db_url;
  // Declared before the runner: the database outlives every target that uses it.
  std::unique_ptr<lab::LocalPostgres> postgres;
  if (options.start_postgres && options.db_url.empty()) {
    lab::LocalPostgresSettings settings;
    settings.log_dir = lab_options.out_dir + "/postgres";
    auto started_db = lab::LocalPostgres::start(settings);
    if (started_db) {
      postgres = std::move(*started_db);
      lab_options.db_url = postgres->url();
      notes.push_back("database: " + postgres->describe() + ", shared by the targets");
    } else {
      notes.push_back("database: PostgreSQL could not be started (" + started_db.error() +
                      "); the targets use SQLite and the scale-out run is skipped");
    }
    std::cout << "lab: " << notes.back() << std::endl;
  } else if (!options.db_url.empty()) {
    notes.push_back("database: " + options.db_url + " (given with --db), shared by the targets");
  }
  lab_options.limits = {options.cpus, options.memory_mib << 20};
  lab_options.progress = [](const std::string& line) { std::cout << "lab: " << line << std::endl; };
  std::cout << "lab: " << chosen.size() << " experiment(s), " << (options.quick ? "quick" : "full")
            << " profile; child limits " << options.cpus << " CPU, " << options.memory_mib
            << " MiB via " << limiter->describe() << std::endl;

  lab::LabRunInfo info;
  info.profile = options.quick ? "quick" : "full";
  info.started_at = utc_now();
  info.limit_mechanism = std::string(lab::to_string(limiter->mechanism()));
  info.limit_description = limiter->describe();
  info.notes = notes;
  info.limits = lab_options.limits;
  const auto started = std::chrono::steady_clock::now();
  lab::ExperimentRunner runner(lab_options, *limiter);
  std::vector<lab::ExperimentResult> results;
  for (const auto& experiment : chosen) {
    results.push_back(runner.run(experiment));
    for (const auto& judged : results.back().judged) {
      std::cout << "lab:   [" << lab::to_string(judged.verdict.outcome) << "] " << judged.variant
                << ": " << judged.claim << " -- " << judged.verdict.evidence << std::endl;
    }
  }
  info.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  const auto json = lab::lab_result_json(info, results);
  write_file(options.out_dir + "/lab.json", json.dump(1) + "\n");
  const auto stored = lab::lab_result_from_json(json);
  if (!stored) throw CommandFailed(2, "internal: " + stored.error());
  const auto document = lab::lab_document(*stored);
  write_file(options.out_dir + "/findings.md", report::render_markdown(document));
  write_file(options.out_dir + "/report.html", report::render_html(document));
  std::cout << "lab: done in " << static_cast<int>(info.elapsed_s) << " s; "
            << document.notes.front() << "\n"
            << "lab: report: " << fs::absolute(options.out_dir + "/report.html").string() << "\n"
            << "lab: findings: " << fs::absolute(options.out_dir + "/findings.md").string() << "\n"
            << "lab: data: " << fs::absolute(options.out_dir + "/lab.json").string() << std::endl;
}

}  // namespace

void add_lab_command(CLI::App& app) {
  auto options = std::make_shared<LabCommandOptions>();
  auto* command = app.add_subcommand(
      "lab", "Run the failure experiments naked and protected and write the report");
  command->add_option("EXPERIMENT", options->names,
                      "experiments to run (default: all; see --list)");
  command->add_flag("--quick", options->quick,
                    "short profile: every experiment in a few minutes in total");
  command->add_flag("--list", options->list, "list the experiments and exit");
  command
      ->add_option("--out", options->out_dir,
                   "output folder (lab.json, findings.md, report.html, runs/)")
      ->capture_default_str();
  command->add_option("--db", options->db_url,
                      "postgresql://... shared by the targets (enables the scale-out run)");
  command->add_flag("--start-postgres", options->start_postgres,
                    "start a throwaway local PostgreSQL (max_connections 20) for the targets and "
                    "the scale-out run");
  command
      ->add_option("--limits", options->limiter, "auto | cgroup-v2 | cgroup-v1 | fallback | none")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "cgroup-v2", "cgroup-v1", "fallback", "none"}));
  command->add_option("--cpus", options->cpus, "CPU limit of each child")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 64.0));
  command->add_option("--memory-mib", options->memory_mib, "memory limit of each child in MiB")
      ->capture_default_str()
      ->check(CLI::Range(64, 1 << 20));
  command->add_option("--scenarios", options->scenario_dir, "folder of the lab's scenario files");
  command->callback([options] { run_lab(*options); });
}

}  // namespace loadlab::cli
