// Expectations judged from constructed measurements: confirmed, refuted (with the numbers),
// skipped; the findings table, the plan summary and the lab result's JSON round trip.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "lab/expectations.hpp"
#include "lab/experiment_catalog.hpp"
#include "lab/lab_report.hpp"
#include "lab/lab_result.hpp"
#include "lab/measures.hpp"
#include "lab/plan_summary.hpp"

namespace loadlab::lab {
namespace {

RunMeasurements run_with(const std::string& variant, double p99, double error_rate,
                         int oom_restarts) {
  RunMeasurements run;
  run.variant = variant;
  run.model = "async";
  run.ran = true;
  run.load.total.name = "all";
  run.load.total.requests = 1000;
  run.load.total.failed = static_cast<std::int64_t>(error_rate * 1000);
  run.load.total.error_rate = error_rate;
  run.load.total.p99_ms = p99;
  run.load.total.ok_p99_ms = p99 / 2;
  run.load.total.throughput = 50;
  run.load.total.statuses = {{200, 1000 - run.load.total.failed}, {503, run.load.total.failed}};
  for (int i = 0; i < oom_restarts; ++i)
    run.restarts.push_back({"target", 3.0 + i, "oom-kill", "OOM"});
  TimeSeries target;
  target.append(0, {{"rss_mb", 100}, {"cpu_cores", 0.2}, {"ready", 1}});
  target.append(1, {{"rss_mb", 450}, {"cpu_cores", 0.5}, {"ready", 0}, {"shed", 4}});
  target.append(2, {{"rss_mb", 120}, {"cpu_cores", 0.4}, {"ready", 1}, {"shed", 6}});
  run.children["target"] = target;
  run.windows["soak"] = {1, 2};
  return run;
}

ExperimentMeasurements measured(RunMeasurements naked, RunMeasurements guarded) {
  ExperimentMeasurements m;
  m.runs["naked"] = std::move(naked);
  m.runs["protected"] = std::move(guarded);
  return m;
}

TEST(Measures, ReadsLoadRestartsAndSampledSeries) {
  const auto run = run_with("naked", 900, 0.1, 2);
  EXPECT_EQ(measure(run, "p99_ms"), 900);
  EXPECT_EQ(measure(run, "error_rate"), 10);
  EXPECT_EQ(measure(run, "status:503"), 100);
  EXPECT_EQ(measure(run, "status:5xx"), 100);
  EXPECT_EQ(measure(run, "share:503"), 10);
  EXPECT_EQ(measure(run, "restarts:oom-kill"), 2);
  EXPECT_EQ(measure(run, "restarts:signal"), 0);
  EXPECT_EQ(measure(run, "peak_rss_mb"), 450);
  EXPECT_EQ(measure(run, "peak_cpu"), 0.5);
  EXPECT_EQ(measure(run, "shed"), 10);
  EXPECT_EQ(measure(run, "ready_min", "soak"), 0);
  EXPECT_EQ(measure(run, "rss_growth", "soak"), 120 - 450);
  EXPECT_EQ(measure(run, "end:rss_mb"), 120);
  EXPECT_FALSE(measure(run, "p99_ms", "no-such-scenario").has_value());
  EXPECT_FALSE(measure(run, "breaker_max_state").has_value());
}

TEST(Expectations, ConfirmedAndRefutedFromTheNumbersWithEvidence) {
  const auto m = measured(run_with("naked", 900, 0.1, 1), run_with("protected", 80, 0.2, 0));
  const auto oom =
      expect("naked", "OOM kill and restart",
             {check_value({"restarts:oom-kill", "", "OOM restarts", ""}, Relation::at_least, 1)});
  const auto verdict = oom.judge(m);
  EXPECT_EQ(verdict.outcome, Outcome::confirmed);
  EXPECT_EQ(verdict.evidence, "OOM restarts = 1 (expected >= 1)");

  const auto bounded =
      expect("protected", "p99 at most half of naked's",
             {check_versus({"p99_ms", "", "p99", "ms"}, Relation::at_most, 0.5, "naked")});
  EXPECT_EQ(bounded.judge(m).outcome, Outcome::confirmed);
  const auto too_strict =
      expect("protected", "p99 at most 5 % of naked's",
             {check_versus({"p99_ms", "", "p99", "ms"}, Relation::at_most, 0.05, "naked")});
  const auto refuted = too_strict.judge(m);
  EXPECT_EQ(refuted.outcome, Outcome::refuted);
  EXPECT_NE(refuted.evidence.find("p99 = 80.0 ms"), std::string::npos) << refuted.evidence;
  EXPECT_NE(refuted.evidence.find("naked's 900 ms"), std::string::npos) << refuted.evidence;
}

TEST(Expectations, AlternatedRunsAreComparedByTheirMeans) {
  // The quick lab's numbers from a slow spell: protected's first run alone made 0.799 of naked's.
  ExperimentMeasurements m;
  const auto with_throughput = [](const std::string& label, double throughput) {
    auto run = run_with(label, 1, 0, 0);
    run.load.total.throughput = throughput;
    return run;
  };
  m.runs["naked"] = with_throughput("naked", 54638);
  m.runs["protected"] = with_throughput("protected", 43639);
  m.runs["naked (2nd run)"] = with_throughput("naked (2nd run)", 66000);
  m.runs["protected (2nd run)"] = with_throughput("protected (2nd run)", 67000);
  const Quantity throughput{"throughput", "", "throughput", "req/s"};
  const auto single =
      expect("protected", "one pair", {check_versus(throughput, Relation::at_least, 0.8, "naked")});
  EXPECT_EQ(single.judge(m).outcome, Outcome::refuted);
  const auto alternated = expect(
      "protected", "two pairs in turn",
      {check_alternated(throughput, Relation::at_least, 0.8, {"protected", "protected (2nd run)"},
                        {"naked", "naked (2nd run)"})});
  const auto verdict = alternated.judge(m);
  EXPECT_EQ(verdict.outcome, Outcome::confirmed) << verdict.evidence;
  EXPECT_EQ(verdict.evidence,
            "throughput = 55320 req/s, mean of protected 43639 req/s and protected (2nd run) "
            "67000 req/s (expected >= 0.80 x 60319 req/s, mean of naked 54638 req/s and naked "
            "(2nd run) 66000 req/s)");

  // A real cost shows in both pairs, and refutes.
  m.runs["protected (2nd run)"] = with_throughput("protected (2nd run)", 40000);
  EXPECT_EQ(alternated.judge(m).outcome, Outcome::refuted);

  // A pair that did not run leaves the comparison undecided, and says which.
  m.runs.erase("naked (2nd run)");
  const auto undecided = alternated.judge(m);
  EXPECT_EQ(undecided.outcome, Outcome::skipped);
  EXPECT_NE(undecided.evidence.find("naked (2nd run)"), std::string::npos) << undecided.evidence;
}

TEST(Expectations, SkippedWhenARunDidNotHappen) {
  auto m = measured(run_with("naked", 900, 0.1, 1), run_with("protected", 80, 0.2, 0));
  m.runs["protected"].ran = false;
  m.runs["protected"].skipped_reason = "no PostgreSQL";
  const auto e =
      expect("protected", "x", {check_value({"p99_ms", "", "p99", "ms"}, Relation::less, 100)});
  const auto verdict = e.judge(m);
  EXPECT_EQ(verdict.outcome, Outcome::skipped);
  EXPECT_NE(verdict.evidence.find("no PostgreSQL"), std::string::npos);
}

TEST(Expectations, OneFailingCheckRefutesTheWhole) {
  const auto m = measured(run_with("naked", 900, 0.1, 0), run_with("protected", 80, 0.2, 0));
  const auto e = expect("naked", "both",
                        {check_value({"p99_ms", "", "p99", "ms"}, Relation::greater, 100),
                         check_value({"restarts", "", "restarts", ""}, Relation::at_least, 1)});
  const auto verdict = e.judge(m);
  EXPECT_EQ(verdict.outcome, Outcome::refuted);
  EXPECT_NE(verdict.evidence.find("; restarts = 0"), std::string::npos) << verdict.evidence;
}

TEST(Catalog, HasNineExperimentsEachWithVariantsExpectationsAndAScenarioFile) {
  const auto catalog = experiment_catalog();
  ASSERT_EQ(catalog.size(), 9u);
  for (const auto& experiment : catalog) {
    EXPECT_GE(experiment.variants.size(), 2u) << experiment.name;
    EXPECT_FALSE(experiment.expectations.empty()) << experiment.name;
    for (const char* profile : {"/scenarios/lab/", "/scenarios/lab/full/"}) {
      EXPECT_TRUE(
          std::filesystem::exists(std::string(LOADLAB_SOURCE_DIR) + profile + experiment.scenario))
          << profile << experiment.scenario;
    }
    for (const auto& expectation : experiment.expectations) {
      bool known = false;
      for (const auto& variant : experiment.variants)
        known = known || variant.label == expectation.variant;
      EXPECT_TRUE(known) << experiment.name << ": expectation on unknown variant "
                         << expectation.variant;
    }
  }
}

TEST(PlanSummary, WindowsAndOfferedLoadFromThePlan) {
  const auto plan = nlohmann::json::parse(R"({"scenarios":{
    "c3":{"executor":"constant-vus","vus":3,"startTime":"0s","duration":"8s"},
    "ramp":{"executor":"ramping-arrival-rate","startRate":5,"timeUnit":"1s","startTime":"12s",
            "stages":[{"duration":"10s","target":100},{"duration":"2s","target":50}]},
    "open":{"executor":"constant-arrival-rate","rate":50,"timeUnit":"1s","duration":"20s"}}})");
  const auto summary = summarize_plan(plan);
  EXPECT_EQ(summary.windows.at("c3"), (std::pair<double, double>{0, 8}));
  EXPECT_EQ(summary.windows.at("ramp"), (std::pair<double, double>{12, 24}));
  EXPECT_EQ(summary.peak_offered_rps, 150);
  EXPECT_NE(summary.offered_load.find("c3: 3 VUs closed"), std::string::npos)
      << summary.offered_load;
  EXPECT_NE(summary.offered_load.find("open: 50.0 req/s open"), std::string::npos)
      << summary.offered_load;
}

TEST(LabResult, RoundTripsAndRendersFindingsFromMeasurements) {
  ExperimentResult result;
  result.experiment = experiment_catalog().at(2);  // memory-stress
  result.measured = measured(run_with("naked", 900, 0.1, 2), run_with("protected", 80, 0.2, 0));
  result.judged = judge_all(result.experiment, result.measured);
  LabRunInfo info;
  info.profile = "quick";
  info.limit_description = "cgroup v1";
  const auto json = lab_result_json(info, {result});
  const auto back = lab_result_from_json(nlohmann::json::parse(json.dump()));
  ASSERT_TRUE(back.has_value()) << back.error();
  ASSERT_EQ(back->experiments.size(), 1u);
  EXPECT_EQ(back->experiments[0].runs[0].restarts.size(), 2u);
  EXPECT_EQ(measure(back->experiments[0].runs[0], "peak_rss_mb"), 450);
  const auto table = findings_table(*back);
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0][9], "2 (2 oom-kill)");
  EXPECT_EQ(table.rows[0][1], "naked (async)");
  const auto expectations = expectations_table(*back);
  ASSERT_FALSE(expectations.rows.empty());
  EXPECT_EQ(expectations.rows[0][3], "confirmed");  // naked: OOM kill and restart
  const auto document = lab_document(*back);
  EXPECT_EQ(document.sections.size(), 2u);
  // No generator series here: CPU, RSS, readiness and protection charts per variant.
  EXPECT_EQ(report::chart_count(document), 2u * 4);
}

TEST(LabResult, TheFindingsNameWhatEndedTheRequestsWithoutAResponse) {
  ExperimentResult result;
  result.experiment = experiment_catalog().at(2);
  RunMeasurements naked = run_with("naked", 900, 0, 0);
  naked.load.total.statuses = {{200, 960}, {0, 40}};
  naked.load.total.no_response_causes = {{"request timeout", 30}, {"connection refused", 10}};
  result.measured = measured(naked, run_with("protected", 80, 0, 0));
  // The findings are rendered from lab.json, so the causes must survive it.
  const auto back =
      lab_result_from_json(nlohmann::json::parse(lab_result_json(LabRunInfo{}, {result}).dump()));
  ASSERT_TRUE(back.has_value()) << back.error();
  const auto table = findings_table(*back);
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0][8], "no response: 40 (request timeout: 30, connection refused: 10)");
}

TEST(LabResult, AVariantNamedAfterItsModelIsNotLabelledTwice) {
  ExperimentResult result;
  result.experiment = experiment_catalog().at(2);
  RunMeasurements threaded = run_with("naked (threaded, 4 workers)", 900, 0, 0);
  threaded.model = "threaded (4 workers)";
  result.measured = measured(run_with("protected", 80, 0, 0), threaded);
  const auto back = lab_result_from_json(lab_result_json(LabRunInfo{}, {result}));
  ASSERT_TRUE(back.has_value()) << back.error();
  const auto table = findings_table(*back);
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0][1], "protected (async)");
  EXPECT_EQ(table.rows[1][1], "naked (threaded, 4 workers)");
}

}  // namespace
}  // namespace loadlab::lab
