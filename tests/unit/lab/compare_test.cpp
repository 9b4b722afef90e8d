// `loadlab compare` logic on constructed results: tolerances, noise floor, missing scenarios.
#include "report/compare.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace loadlab::report {
namespace {

ScenarioDigest scenario(const std::string& name, double p95, double error_rate,
                        double throughput = 100) {
  ScenarioDigest digest;
  digest.name = name;
  digest.requests = 1000;
  digest.throughput = throughput;
  digest.p50_ms = p95 / 2;
  digest.p95_ms = p95;
  digest.p99_ms = p95 * 2;
  digest.error_rate = error_rate;
  return digest;
}

const MetricDelta& row(const Comparison& comparison, const std::string& scenario_name,
                       const std::string& metric) {
  for (const auto& r : comparison.rows) {
    if (r.scenario == scenario_name && r.metric == metric) return r;
  }
  throw std::runtime_error("no row " + scenario_name + "/" + metric);
}

TEST(Compare, WithinTolerancesIsOk) {
  const auto comparison =
      compare_scenarios({scenario("api", 100, 0.001)}, {scenario("api", 109, 0.005)}, {});
  EXPECT_FALSE(comparison.regressed());
  EXPECT_EQ(row(comparison, "api", "p95").change, "+9.0 %");
  EXPECT_EQ(row(comparison, "api", "error_rate").change, "+0.40 points");
}

TEST(Compare, P95AboveTenPercentIsARegression) {
  const auto comparison =
      compare_scenarios({scenario("api", 100, 0)}, {scenario("api", 111, 0)}, {});
  EXPECT_TRUE(comparison.regressed());
  EXPECT_TRUE(row(comparison, "api", "p95").regressed);
  EXPECT_FALSE(row(comparison, "api", "p99").regressed) << "p99 is not judged by default";
  EXPECT_NE(comparison_text(comparison).find("verdict: REGRESSION"), std::string::npos);
}

TEST(Compare, ErrorRateAboveHalfAPointIsARegression) {
  const auto comparison =
      compare_scenarios({scenario("api", 100, 0.010)}, {scenario("api", 100, 0.016)}, {});
  EXPECT_TRUE(row(comparison, "api", "error_rate").regressed);
  EXPECT_EQ(comparison_json(comparison)["verdict"], "regression");
}

TEST(Compare, SubMillisecondLatencyNoiseIsNotARegression) {
  const auto comparison =
      compare_scenarios({scenario("api", 0.2, 0)}, {scenario("api", 0.5, 0)}, {});
  EXPECT_FALSE(comparison.regressed());
}

TEST(Compare, OptionalTolerancesAreJudgedWhenSet) {
  CompareTolerances tolerances;
  tolerances.throughput_drop_pct = 5;
  tolerances.p99_increase_pct = 20;
  const auto comparison =
      compare_scenarios({scenario("api", 100, 0, 100)}, {scenario("api", 105, 0, 90)}, tolerances);
  EXPECT_TRUE(row(comparison, "api", "throughput").regressed);
  EXPECT_FALSE(row(comparison, "api", "p99").regressed);
  EXPECT_EQ(row(comparison, "api", "throughput").limit, "-5.0 %");
}

TEST(Compare, ScenariosOnlyOnOneSideAreNotedNotCompared) {
  const auto comparison = compare_scenarios({scenario("a", 10, 0), scenario("gone", 10, 0)},
                                            {scenario("a", 10, 0), scenario("new", 10, 0)}, {});
  EXPECT_EQ(comparison.notes.size(), 2u);
  EXPECT_FALSE(comparison.regressed());
}

TEST(Compare, ReadsScenariosOfALabResult) {
  nlohmann::json lab = {
      {"kind", "loadlab-lab"},
      {"experiments",
       {{{"name", "cpu-stress"},
         {"runs",
          {{{"mode", "naked"}, {"digest", scenario_digest_json(scenario("x", 50, 0.1))}},
           {{"mode", "protected"}, {"digest", scenario_digest_json(scenario("x", 20, 0.2))}}}}}}}};
  const auto scenarios = comparable_scenarios(lab);
  ASSERT_TRUE(scenarios.has_value()) << scenarios.error();
  ASSERT_EQ(scenarios->size(), 2u);
  EXPECT_EQ((*scenarios)[0].name, "cpu-stress/naked");
  EXPECT_EQ((*scenarios)[1].p95_ms, 20);
  EXPECT_FALSE(comparable_scenarios(nlohmann::json{{"nothing", 1}}).has_value());
}

}  // namespace
}  // namespace loadlab::report
