// The HTML report rendered in headless chromium (playwright-core): no console errors, no network,
// every chart drawn with data. Built from constructed measurements so no service is needed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "lab/experiment_catalog.hpp"
#include "lab/lab_report.hpp"
#include "report/html_report.hpp"

namespace loadlab::lab {
namespace {

namespace fs = std::filesystem;

RunMeasurements synthetic_run(const std::string& variant, double scale, bool restart) {
  RunMeasurements run;
  run.variant = variant;
  run.model = "async";
  run.ran = true;
  run.offered_load = "50 req/s open";
  run.load.total = {
      "all",      1000,       50,         0,          20,         50,
      47.5,       0.05,       10 * scale, 20 * scale, 30 * scale, 40 * scale,
      90 * scale, 12 * scale, 9,          25,         35,         {{200, 950}, {503, 50}}};
  auto& series = run.load.series;
  TimeSeries target;
  for (int t = 0; t < 20; ++t) {
    const double x = t;
    series.t.push_back(x);
    series.requests_per_s.push_back(50);
    series.ok_per_s.push_back(45 + std::sin(x));
    series.failed_per_s.push_back(5 - std::sin(x));
    series.dropped_per_s.push_back(t % 5 == 0 ? 1 : 0);
    series.vus.push_back(10 + t);
    series.p50_ms.push_back(scale * (10 + t));
    series.p90_ms.push_back(scale * (20 + t));
    series.p99_ms.push_back(t == 7 ? std::nan("") : scale * (30 + 2 * t));
    series.max_ms.push_back(scale * (40 + 3 * t));
    series.duration_p99_ms.push_back(scale * (30 + t));
    target.append(x, {{"cpu_cores", 0.1 + 0.02 * t},
                      {"rss_mb", 50 + 10 * t},
                      {"http_2xx", 45},
                      {"http_4xx", 1},
                      {"http_5xx", 4},
                      {"breaker_state", t > 10 && t < 15 ? 1 : 0},
                      {"ready", t % 7 ? 1 : 0},
                      {"shed", t % 3},
                      {"protection_events", t % 4},
                      {"upstream_breaker_open", t > 10 ? 2 : 0}});
  }
  run.children["target"] = target;
  if (restart) run.restarts.push_back({"target", 9.5, "oom-kill", "OOM-killed"});
  return run;
}

TEST(ReportInBrowser, EveryChartIsDrawnWithDataAndNothingIsFetched) {
  const char* chromium = std::getenv("LOADLAB_CHROMIUM");
  const std::string browser = chromium != nullptr ? chromium : "/usr/bin/chromium";
  const std::string script = std::string(LOADLAB_SOURCE_DIR) + "/tests/browser/render_report.mjs";
  if (!fs::exists(browser) ||
      !fs::exists(std::string(LOADLAB_SOURCE_DIR) + "/node_modules/playwright-core")) {
    GTEST_SKIP() << "needs " << browser << " and node_modules/playwright-core (scripts/setup.sh)";
  }
  LabResult result;
  result.info.profile = "quick";
  result.info.limit_description = "cgroup v1 (test)";
  for (const auto& experiment : experiment_catalog()) {
    if (experiment.name != "cpu-stress" && experiment.name != "memory-stress") continue;
    StoredExperiment stored{
        experiment.name, experiment.title, experiment.question, experiment.scenario, {}, {}};
    stored.runs = {synthetic_run("naked", 10, experiment.name == "memory-stress"),
                   synthetic_run("protected", 1, false)};
    ExperimentMeasurements measured;
    for (const auto& run : stored.runs) measured.runs[run.variant] = run;
    stored.judged = judge_all(experiment, measured);
    result.experiments.push_back(stored);
  }
  const auto document = lab_document(result);
  const auto dir = fs::temp_directory_path() / ("loadlab-browser-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto html = (dir / "report.html").string();
  std::ofstream(html) << report::render_html(document);
  const auto log = (dir / "render.log").string();
  // The script needs node_modules: run it from the source tree.
  const auto command = "cd '" + std::string(LOADLAB_SOURCE_DIR) + "' && node '" + script + "' '" +
                       html + "' " + std::to_string(report::chart_count(document)) + " '" +
                       (dir / "shot.png").string() + "' > '" + log + "' 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream log_file(log);
  const std::string output((std::istreambuf_iterator<char>(log_file)),
                           std::istreambuf_iterator<char>());
  EXPECT_EQ(status, 0) << output;
  EXPECT_GE(report::chart_count(document), 4u * 9)
      << "two experiments, two variants, nine charts each";
  if (status == 0 && std::getenv("LOADLAB_KEEP_REPORT") == nullptr) fs::remove_all(dir);
}

}  // namespace
}  // namespace loadlab::lab
