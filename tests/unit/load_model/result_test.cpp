// RunResult: summary object, JSON round trip, CSV, shard merge, terminal summary.
#include "load/result.hpp"

#include <gtest/gtest.h>

#include "load/recorder.hpp"
#include "load/scenario_loader.hpp"
#include "load/summary_text.hpp"

namespace loadlab::load {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

const core::TimePoint kStart{seconds{50}};

TestPlan small_plan() {
  auto plan = load_plan_text(R"(
scenarios:
  api:
    executor: constant-arrival-rate
    rate: 100
    duration: 10s
    preAllocatedVUs: 10
    requests: [{name: fast, url: /api/fast}, {name: slow, url: /api/slow}]
thresholds:
  http_req_duration: ['p(95)<500', 'p(99)<100']
  http_req_duration{name:fast}: ['max<1000']
  http_req_failed: ['rate<0.05']
)",
                             "", {});
  EXPECT_TRUE(plan.has_value()) << (plan ? "" : plan.error());
  return *plan;
}

// Records global iterations g = shard_index-1, +n, ... of a deterministic 10 s run.
MetricsData run(const TestPlan& plan, Shard shard) {
  Recorder recorder(names_of(plan), kStart);
  for (std::int64_t g = shard.index - 1; g < 1000; g += shard.count) {
    RequestSample s;
    s.request = static_cast<std::uint32_t>(g % 2);
    s.status = g % 50 == 0 ? 500 : 200;
    s.failed = s.status != 200;
    s.duration = microseconds{1000 + (g * 7919) % 300'000};
    s.latency = s.duration + microseconds{g % 13};
    s.bytes_sent = 80;
    s.bytes_received = 300;
    const core::TimePoint now = kStart + milliseconds{g * 10} + s.latency;
    recorder.record_request(s, now);
    recorder.record_iteration(0, s.latency, now);
  }
  return recorder.take();
}

RunResult result_of(const TestPlan& plan, Shard shard) {
  RunResult result;
  result.info.started_at = "2026-01-01T00:00:0" + std::to_string(shard.index) + "Z";
  result.info.elapsed = seconds{10} + milliseconds{shard.index};
  result.info.shard = shard;
  result.info.target = "http://127.0.0.1:1";
  result.info.plan = plan_to_json(plan);
  result.metrics = run(plan, shard);
  result.judge(plan.thresholds);
  return result;
}

TEST(RunResult, SummaryHasEveryFieldInMilliseconds) {
  const TestPlan plan = small_plan();
  const RunResult result = result_of(plan, Shard{});
  const nlohmann::json summary = summary_json(result.metrics, seconds{10});
  const auto& duration = summary.at("http_req_duration");
  for (const char* field :
       {"count", "rate", "avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "p(99.9)"}) {
    EXPECT_TRUE(duration.contains(field)) << field;
  }
  EXPECT_EQ(duration.at("count"), 1000);
  EXPECT_DOUBLE_EQ(duration.at("rate").get<double>(), 100);
  EXPECT_GE(duration.at("min").get<double>(), 1.0);
  EXPECT_LE(duration.at("max").get<double>(), 301.5);
  EXPECT_EQ(summary.at("http_reqs").at("count"), 1000);
  EXPECT_DOUBLE_EQ(summary.at("http_req_failed").at("rate").get<double>(), 0.02);
  EXPECT_EQ(summary.at("http_req_failed").at("passes"), 20);
  EXPECT_TRUE(summary.contains("http_req_duration{name:fast}"));
  EXPECT_TRUE(summary.contains("http_req_latency"));
  EXPECT_EQ(summary.at("iterations").at("count"), 1000);
  EXPECT_EQ(summary.at("data_received").at("count"), 300000);
}

TEST(RunResult, ThresholdsAreJudgedOnTheMetrics) {
  const RunResult result = result_of(small_plan(), Shard{});
  ASSERT_EQ(result.thresholds.size(), 4U);
  EXPECT_TRUE(result.thresholds[0].passed);   // p(95) < 500
  EXPECT_FALSE(result.thresholds[1].passed);  // p(99) < 100
  EXPECT_TRUE(result.thresholds[2].passed);
  EXPECT_TRUE(result.thresholds[3].passed);
  EXPECT_FALSE(result.thresholds_passed());
}

TEST(RunResult, JsonRoundTripKeepsEverything) {
  const RunResult result = result_of(small_plan(), Shard{2, 3});
  const nlohmann::json json = result_to_json(result);
  EXPECT_TRUE(json.contains("summary"));
  EXPECT_TRUE(json.at("series").at("points").size() >= 10U);
  EXPECT_TRUE(json.at("series").at("points")[0].at("http_req_duration").contains("p99"));
  auto again = result_from_json(nlohmann::json::parse(json.dump()));
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_EQ(again->info, result.info);
  EXPECT_EQ(again->metrics, result.metrics);
  EXPECT_EQ(again->thresholds, result.thresholds);
  EXPECT_EQ(result_to_json(*again), json);
}

TEST(RunResult, ReaderNamesBadFields) {
  nlohmann::json json = result_to_json(result_of(small_plan(), Shard{}));
  EXPECT_NE(result_from_json(nlohmann::json::array()).error().find("expected a JSON object"),
            std::string::npos);
  nlohmann::json wrong_version = json;
  wrong_version["version"] = 7;
  EXPECT_NE(result_from_json(wrong_version).error().find("version"), std::string::npos);
  nlohmann::json bad_histogram = json;
  bad_histogram["metrics"]["requests"][1]["duration"]["counts"] = "x";
  EXPECT_NE(result_from_json(bad_histogram).error().find("metrics.requests[1].duration"),
            std::string::npos);
  nlohmann::json bad_shard = json;
  bad_shard["info"]["shard"] = "5/2";
  EXPECT_NE(result_from_json(bad_shard).error().find("info.shard"), std::string::npos);
}

TEST(RunResult, TwoShardsMergeIntoExactlyTheSingleRun) {
  const TestPlan plan = small_plan();
  const RunResult single = result_of(plan, Shard{});
  auto merged = merge_results({result_of(plan, Shard{1, 2}), result_of(plan, Shard{2, 2})});
  ASSERT_TRUE(merged.has_value()) << merged.error();
  EXPECT_EQ(merged->metrics, single.metrics);
  EXPECT_EQ(merged->info.merged_shards, 2);
  EXPECT_TRUE(merged->info.shard.whole());
  EXPECT_EQ(merged->info.elapsed, seconds{10} + milliseconds{2});
  EXPECT_EQ(merged->info.started_at, "2026-01-01T00:00:01Z");
  merged->info.elapsed = single.info.elapsed;
  merged->judge(plan.thresholds);
  EXPECT_EQ(merged->thresholds, single.thresholds);
  const auto a = summary_json(merged->metrics, seconds{10});
  const auto b = summary_json(single.metrics, seconds{10});
  EXPECT_EQ(a, b);
}

TEST(RunResult, ShardsAimedAtDifferentReplicasMergeAndListTheirTargets) {
  const TestPlan plan = small_plan();
  RunResult first = result_of(plan, Shard{1, 2});
  RunResult second = result_of(plan, Shard{2, 2});
  first.info.plan["baseUrl"] = first.info.target = "http://127.0.0.1:1001";
  second.info.plan["baseUrl"] = second.info.target = "http://127.0.0.1:1002";
  auto merged = merge_results({first, second});
  ASSERT_TRUE(merged.has_value()) << merged.error();
  EXPECT_EQ(merged->info.target, "http://127.0.0.1:1001, http://127.0.0.1:1002");
  EXPECT_EQ(merged->metrics, result_of(plan, Shard{}).metrics);
}

TEST(RunResult, MergeRejectsMismatchedShards) {
  const TestPlan plan = small_plan();
  EXPECT_NE(merge_results({}).error().find("nothing to merge"), std::string::npos);
  EXPECT_NE(merge_results({result_of(plan, Shard{1, 2}), result_of(plan, Shard{1, 2})})
                .error()
                .find("repeats shard 1/2"),
            std::string::npos);
  EXPECT_NE(merge_results({result_of(plan, Shard{1, 2}), result_of(plan, Shard{2, 3})})
                .error()
                .find("shard counts differ"),
            std::string::npos);
  RunResult other = result_of(plan, Shard{2, 2});
  other.info.plan["scenarios"] = "something else";
  EXPECT_NE(merge_results({result_of(plan, Shard{1, 2}), other}).error().find("different plan"),
            std::string::npos);
  auto merged = merge_results({result_of(plan, Shard{1, 2}), result_of(plan, Shard{2, 2})});
  EXPECT_NE(merge_results({*merged, result_of(plan, Shard{1, 2})}).error().find("already a merge"),
            std::string::npos);
}

TEST(RunResult, MergeRefusesAnIncompleteSetOfShards) {
  const TestPlan plan = small_plan();
  // Shard 1 of 2 alone used to merge, and its thresholds were judged on half the load.
  auto half = merge_results({result_of(plan, Shard{1, 2})});
  ASSERT_FALSE(half.has_value());
  EXPECT_EQ(half.error(),
            "incomplete set: 1 of 2 shards given, missing 2/2; merge every shard i/n for i = 1..n");
  auto some = merge_results({result_of(plan, Shard{3, 4}), result_of(plan, Shard{1, 4})});
  ASSERT_FALSE(some.has_value());
  EXPECT_NE(some.error().find("2 of 4 shards given, missing 2/4, 4/4;"), std::string::npos)
      << some.error();
  auto whole = merge_results({result_of(plan, Shard{})});
  ASSERT_TRUE(whole.has_value()) << whole.error();  // one unsharded run is a complete set
}

TEST(RunResult, CsvHasOneLinePerSecond) {
  const RunResult result = result_of(small_plan(), Shard{});
  const std::string csv = series_csv(result.metrics);
  EXPECT_EQ(csv.rfind("t_s,http_reqs,http_req_failed,", 0), 0U);
  EXPECT_EQ(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')),
            result.metrics.series.size() + 1);
  std::int64_t requests = 0;
  std::size_t line_start = csv.find('\n') + 1;
  while (line_start < csv.size()) {
    const std::size_t comma = csv.find(',', line_start);
    const std::size_t second_comma = csv.find(',', comma + 1);
    requests += std::stoll(csv.substr(comma + 1, second_comma - comma - 1));
    line_start = csv.find('\n', line_start) + 1;
  }
  EXPECT_EQ(requests, 1000);
}

TEST(SummaryText, MarksThresholdsAndListsMetrics) {
  const RunResult result = result_of(small_plan(), Shard{});
  const std::string text = summary_text(result);
  EXPECT_NE(text.find("THRESHOLDS"), std::string::npos);
  EXPECT_NE(text.find("✓ 'p(95)<500'"), std::string::npos) << text;
  EXPECT_NE(text.find("✗ 'p(99)<100'"), std::string::npos) << text;
  EXPECT_NE(text.find("http_req_duration....."), std::string::npos) << text;
  EXPECT_NE(text.find("{ name:fast }"), std::string::npos) << text;
  EXPECT_NE(text.find("http_reqs"), std::string::npos);
  EXPECT_NE(text.find("2.00%"), std::string::npos);
  EXPECT_EQ(format_ms(0.25), "250.00µs");
  EXPECT_EQ(format_ms(12.345), "12.35ms");
  EXPECT_EQ(format_ms(2500), "2.50s");
  EXPECT_EQ(format_ms(63'000), "1m3s");
}

}  // namespace
}  // namespace loadlab::load
