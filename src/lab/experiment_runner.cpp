// Orchestration of one experiment run: children up, sampling on, load, children down, judge.
#include "lab/experiment_runner.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lab/child_process.hpp"
#include "lab/http_probe.hpp"
#include "lab/plan_summary.hpp"
#include "lab/sampler.hpp"
#include "lab/supervisor.hpp"

namespace loadlab::lab {
namespace {

namespace fs = std::filesystem;

std::string slug(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      out.push_back(static_cast<char>(std::tolower(c)));
    else if (!out.empty() && out.back() != '-')
      out.push_back('-');
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

double seconds_between(core::TimePoint from, core::TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

ExperimentRunner::ExperimentRunner(LabOptions options, ResourceLimiter& limiter)
    : options_(std::move(options)), limiter_(limiter) {}

ExperimentResult ExperimentRunner::run(const Experiment& experiment) {
  ExperimentResult result;
  result.experiment = experiment;
  for (const auto& variant : experiment.variants) {
    options_.progress(experiment.name + " / " + variant.label + " ...");
    auto measured = run_variant(experiment, variant);
    std::string line = experiment.name + " / " + variant.label + ": ";
    if (!measured.ran) {
      line += "skipped (" + measured.skipped_reason + ")";
    } else {
      line += std::to_string(measured.load.total.requests) + " requests, " +
              std::to_string(measured.restarts.size()) + " restarts";
    }
    for (const auto& error : measured.errors) line += "; " + error;
    options_.progress(line);
    result.measured.runs[variant.label] = std::move(measured);
  }
  result.judged = judge_all(experiment, result.measured);
  return result;
}

RunMeasurements ExperimentRunner::run_variant(const Experiment& experiment,
                                              const Variant& variant) {
  RunMeasurements run;
  run.variant = variant.label;
  run.model =
      variant.model +
      (variant.model == "threaded" ? " (" + std::to_string(variant.workers) + " workers)" : "");
  if (variant.needs_postgres && options_.db_url.rfind("postgresql://", 0) != 0) {
    run.skipped_reason =
        "needs PostgreSQL shared by the replicas; pass --db postgresql://... or --start-postgres";
    return run;
  }
  const auto scenario_path = options_.scenario_dir + "/" + experiment.scenario;
  if (!fs::exists(scenario_path)) {
    run.skipped_reason = "scenario file " + scenario_path + " not found";
    return run;
  }
  const auto run_dir = options_.out_dir + "/runs/" + experiment.name + "/" + slug(variant.label);
  fs::create_directories(run_dir);
  auto& clock = core::SteadyClock::instance();
  Supervisor supervisor(clock, limiter_, run_dir + "/logs",
                        BackoffSettings{std::chrono::milliseconds(500), std::chrono::seconds(4),
                                        std::chrono::seconds(20)});
  const auto& bin = options_.loadlab_binary;
  std::vector<std::string> target_names;
  std::string downstream_url;
  try {
    if (experiment.needs_downstream) {
      ChildSpec downstream;
      downstream.name = "downstream";
      downstream.argv = {
          bin, "serve", "--role", "downstream", "--listen", kListenPlaceholder, "--threads", "1"};
      downstream.readiness_path = "/stats";
      downstream.limits = options_.limits;
      const auto view = supervisor.start(downstream);
      downstream_url = "http://127.0.0.1:" + std::to_string(view.port);
      if (!experiment.downstream_faults.empty()) {
        const auto reply = http_get("127.0.0.1", view.port, "/admin/faults", {}, "PUT",
                                    experiment.downstream_faults);
        if (!reply || reply->status >= 300) run.errors.push_back("could not set downstream faults");
      }
    }
    for (int replica = 0; replica < variant.replicas; ++replica) {
      ChildSpec target;
      target.name = replica == 0 ? "target" : "target-" + std::to_string(replica + 1);
      target.argv = {bin, "serve",     "--listen",      kListenPlaceholder, "--threads",
                     "1", "--protect", variant.protect, "--model",          variant.model};
      if (variant.model == "threaded")
        target.argv.insert(target.argv.end(), {"--workers", std::to_string(variant.workers)});
      if (!downstream_url.empty())
        target.argv.insert(target.argv.end(), {"--downstream", downstream_url});
      if (!options_.db_url.empty())
        target.argv.insert(target.argv.end(), {"--db", options_.db_url});
      target.argv.insert(target.argv.end(), experiment.target_args.begin(),
                         experiment.target_args.end());
      // The lab stops targets itself: a short drain keeps the runs back to back.
      target.argv.insert(target.argv.end(), {"--drain-grace", "0s", "--drain-timeout", "2s"});
      target.readiness_path = "/health";
      target.limits = options_.limits;
      supervisor.start(target);
      target_names.push_back(target.name);
    }
  } catch (const std::exception& error) {
    run.skipped_reason = std::string("could not start the services: ") + error.what();
    return run;
  }

  const auto origin = clock.now();
  Sampler sampler(clock, origin);
  for (const auto& name : target_names) {
    sampler.add(
        name, [&supervisor, name] { return supervisor.view(name); }, true, "/readiness");
  }
  if (!downstream_url.empty())
    sampler.add("downstream", [&supervisor] { return supervisor.view("downstream"); });
  supervisor.start_monitor();
  sampler.start();

  // One generator per replica, each a shard of the plan aimed at its replica; merged afterwards.
  std::vector<ChildProcess> generators;
  std::vector<std::string> result_files;
  for (std::size_t i = 0; i < target_names.size(); ++i) {
    const auto view = supervisor.view(target_names[i]);
    const auto file =
        run_dir + "/load" + (target_names.size() > 1 ? "-" + std::to_string(i + 1) : "") + ".json";
    LaunchSpec load;
    load.argv = {bin,
                 "run",
                 scenario_path,
                 "--target",
                 "http://127.0.0.1:" + std::to_string(view->port),
                 "--out",
                 "json=" + file,
                 "--quiet"};
    if (target_names.size() > 1) {
      load.argv.insert(load.argv.end(), {"--shard", std::to_string(i + 1) + "/" +
                                                        std::to_string(target_names.size())});
    }
    load.stdout_path = run_dir + "/load.stdout.log";
    load.stderr_path = run_dir + "/load.stderr.log";
    generators.push_back(ChildProcess::launch(load, nullptr));
    result_files.push_back(file);
  }
  for (auto& generator : generators) {
    const auto status = generator.wait_or_stop(options_.load_deadline);
    // 99 = thresholds crossed (k6's code): a measurement, not an orchestration failure.
    if (status.signaled || (status.code != 0 && status.code != 99)) {
      run.errors.push_back("loadlab run ended with " + describe(status) + " (see " + run_dir +
                           "/load.stderr.log)");
    }
  }
  sampler.stop();
  supervisor.stop_monitor();
  supervisor.poll();  // deaths during the last moments count too
  for (const auto& view : supervisor.views()) {
    for (const auto& death : view.deaths) {
      run.restarts.push_back({view.name, seconds_between(origin, death.at),
                              std::string(to_string(death.cause)), death.detail});
    }
  }
  run.children = sampler.series();
  supervisor.stop_all(std::chrono::seconds(3));

  auto result_file = result_files.front();
  if (result_files.size() > 1) {
    result_file = run_dir + "/load.json";
    LaunchSpec merge;
    merge.argv = {bin, "merge"};
    merge.argv.insert(merge.argv.end(), result_files.begin(), result_files.end());
    merge.argv.insert(merge.argv.end(), {"-o", result_file});
    merge.stderr_path = run_dir + "/load.stderr.log";
    auto merger = ChildProcess::launch(merge, nullptr);
    merger.wait_or_stop(std::chrono::seconds(60));
  }
  std::ifstream in(result_file);
  if (!in) {
    run.skipped_reason = "the load generator wrote no result (" + result_file + ")";
    return run;
  }
  try {
    const auto json = nlohmann::json::parse(in);
    auto digest = report::digest_run_result(json);
    if (!digest) {
      run.skipped_reason = "unreadable load result: " + digest.error();
      return run;
    }
    run.load = std::move(digest).value();
    const auto plan = summarize_plan(json.value("config", nlohmann::json::object()));
    run.windows = plan.windows;
    run.offered_load = plan.offered_load;
    run.offered_rps = plan.peak_offered_rps;
  } catch (const std::exception& error) {
    run.skipped_reason = std::string("unreadable load result: ") + error.what();
    return run;
  }
  run.ran = true;
  return run;
}

}  // namespace loadlab::lab
