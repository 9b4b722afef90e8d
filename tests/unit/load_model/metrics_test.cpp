// Recorder and MetricsData: exact merges, per-second series, sub-metric resolution.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "load/random.hpp"
#include "load/recorder.hpp"
#include "recorder_fixtures.hpp"

namespace loadlab::load {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

using testing::two_scenarios;
const core::TimePoint kStart = testing::kRunStart;

RequestSample sample(std::uint32_t scenario, std::uint32_t request, int status, std::int64_t us) {
  RequestSample s;
  s.scenario = scenario;
  s.request = request;
  s.status = status;
  s.failed = status != 200;
  s.duration = microseconds{us};
  s.latency = microseconds{us + 100};
  s.bytes_sent = 100;
  s.bytes_received = 1000;
  s.checks_passed = status == 200 ? 1 : 0;
  s.checks_failed = status == 200 ? 0 : 1;
  s.waiting = microseconds{us / 2};
  return s;
}

// Deterministic synthetic traffic: i-th sample at kStart + i * step.
void feed(Recorder& recorder, int from, int to, int step_ms) {
  Random random(99);
  for (int i = 0; i < to; ++i) {
    const auto value = static_cast<std::int64_t>(random.uniform_int(100, 2'000'000));
    const auto scenario = static_cast<std::uint32_t>(i % 3 == 2 ? 1 : 0);
    const auto request = static_cast<std::uint32_t>(scenario == 0 ? i % 2 : 0);
    const int status = i % 17 == 0 ? 503 : 200;
    if (i < from) continue;
    const core::TimePoint now = kStart + milliseconds{static_cast<std::int64_t>(i) * step_ms};
    recorder.record_request(sample(scenario, request, status, value), now);
    recorder.record_iteration(scenario, microseconds{value + 10}, now);
    if (i % 100 == 0) recorder.record_vus(5, 8, now);
  }
}

TEST(HistogramMerge, MergedHistogramsEqualOneHistogramOfAllValues) {
  core::HdrHistogram all, a, b, c;
  Random random(5);
  for (int i = 0; i < 30000; ++i) {
    const auto v = random.uniform_int(1, 50'000'000);
    all.record(v);
    (i % 3 == 0 ? a : i % 3 == 1 ? b : c).record(v);
  }
  a.merge(b);
  a.merge(c);
  EXPECT_EQ(a, all);
  for (double p : {50.0, 90.0, 99.0, 99.9, 100.0})
    EXPECT_EQ(a.value_at_percentile(p), all.value_at_percentile(p));

  const SparseHistogram sa = SparseHistogram::from(all);
  SparseHistogram s1 = SparseHistogram::from(b), s2 = SparseHistogram::from(c);
  core::HdrHistogram bc = b;
  bc.merge(c);
  s1.merge(s2);
  EXPECT_EQ(s1, SparseHistogram::from(bc));
  EXPECT_EQ(sa.total_count(), 30000);
  EXPECT_EQ(sa.to_dense().value_at_percentile(99),
            SparseHistogram::from(sa.to_dense()).to_dense().value_at_percentile(99));
  EXPECT_LT(sa.memory_bytes(), 64 * 1024U);
}

TEST(Recorder, RecordsPerKeyAndPerSecond) {
  Recorder recorder(two_scenarios(), kStart);
  feed(recorder, 0, 3000, 5);  // 15 s of samples, 200 per second
  const MetricsData data = recorder.take();
  EXPECT_EQ(data.total_requests(), 3000);
  EXPECT_EQ(data.series.size(), 15U);
  std::int64_t sum = 0;
  for (const auto& point : data.series) {
    EXPECT_EQ(point.requests, 200);
    EXPECT_EQ(point.duration.total_count(), 200);
    sum += point.requests;
  }
  EXPECT_EQ(sum, 3000);
  EXPECT_EQ(data.series[3].vus, 5);
  EXPECT_EQ(data.series[3].vus_max, 8);
  EXPECT_EQ(data.scenarios[0].iterations, 2000);
  EXPECT_EQ(data.scenarios[1].iterations, 1000);
  EXPECT_EQ(data.waiting.total_count(), 3000);
  EXPECT_EQ(data.connecting.total_count(), 0);  // not measured, not recorded

  const core::Duration elapsed = seconds{15};
  auto reqs = data.resolve(*MetricSelector::parse("http_reqs{scenario:io}"), elapsed);
  ASSERT_TRUE(reqs.has_value());
  EXPECT_EQ(reqs->count, 1000);
  EXPECT_NEAR(reqs->per_second, 1000.0 / 15, 1e-9);
  auto fib =
      data.resolve(*MetricSelector::parse("http_req_duration{name:fib,status:200}"), elapsed);
  ASSERT_TRUE(fib.has_value());
  EXPECT_GT(fib->histogram->total_count(), 900);
  auto failed = data.resolve(*MetricSelector::parse("http_req_failed"), elapsed);
  EXPECT_EQ(failed->nonzero, (3000 + 16) / 17);
  auto ok = data.resolve(*MetricSelector::parse("http_reqs{expected_response:true}"), elapsed);
  EXPECT_EQ(ok->count, 3000 - (3000 + 16) / 17);
  auto checks = data.resolve(*MetricSelector::parse("checks"), elapsed);
  EXPECT_EQ(checks->nonzero, 3000 - (3000 + 16) / 17);
  EXPECT_FALSE(
      data.resolve(*MetricSelector::parse("http_reqs{scenario:nope}"), elapsed).has_value());
  EXPECT_EQ(data.resolve(*MetricSelector::parse("vus"), elapsed)->max, 5);
}

TEST(Recorder, SplitRecordersMergeToExactlyOneRecorder) {
  Recorder whole(two_scenarios(), kStart);
  feed(whole, 0, 4000, 3);
  Recorder first(two_scenarios(), kStart), second(two_scenarios(), kStart);
  feed(first, 0, 1500, 3);
  // The second worker sees the rest; it needs its own samples from the same timeline.
  Recorder rest(two_scenarios(), kStart);
  feed(rest, 1500, 4000, 3);
  MetricsData merged = first.take();
  merged.merge(rest.take());
  MetricsData single = whole.take();
  // vus gauges are per worker and add up across workers, so compare the rest exactly.
  for (auto& p : merged.series) p.vus = p.vus_max = 0;
  for (auto& p : single.series) p.vus = p.vus_max = 0;
  EXPECT_EQ(merged, single);
}

TEST(MetricsData, SeriesCoarsensInsteadOfGrowing) {
  Recorder recorder({{"s", {{"r", "GET"}}}}, kStart);
  const int seconds_count = static_cast<int>(MetricsData::kMaxSeriesPoints) * 2 + 10;
  for (int s = 0; s < seconds_count; ++s) {
    recorder.record_request(sample(0, 0, 200, 1000 + s), kStart + seconds{s});
  }
  const MetricsData data = recorder.take();
  EXPECT_LE(data.series.size(), MetricsData::kMaxSeriesPoints);
  EXPECT_EQ(data.series_interval_seconds, 4);
  std::int64_t total = 0;
  for (const auto& p : data.series) total += p.requests;
  EXPECT_EQ(total, seconds_count);

  MetricsData fine(data.names);
  fine.series.resize(8);
  for (auto& p : fine.series) p.requests = 1;
  MetricsData coarse = data;
  coarse.merge(fine);
  EXPECT_EQ(coarse.series_interval_seconds, 4);
  EXPECT_EQ(coarse.series[0].requests, data.series[0].requests + 4);
}

TEST(SparseHistogram, KeepsTheExactMaxThroughMergeAndJson) {
  // 1234 µs lies in the 2-digit bucket topped by 1239: the series max used to read 1239, above
  // the largest request of the run.
  core::HdrHistogram a = SparseHistogram::make_dense();
  a.record(100);
  a.record(1234);  // bucket 1232..1239
  core::HdrHistogram b = SparseHistogram::make_dense();
  b.record(1231);
  b.record(50);
  SparseHistogram sparse = SparseHistogram::from(a);
  EXPECT_EQ(sparse.max(), 1234);
  sparse.merge(SparseHistogram::from(b));
  EXPECT_EQ(sparse.max(), 1234);
  EXPECT_EQ(sparse.total_count(), 4);
  const SparseHistogram again = SparseHistogram::from_json(sparse.to_json());
  EXPECT_EQ(again, sparse);
  EXPECT_EQ(again.max(), 1234);
  EXPECT_EQ(again.to_dense().count_at_value(1234), 1);
  // A file whose last value is a bucket's top (written before the max was kept) still reads.
  EXPECT_EQ(SparseHistogram::from_json(nlohmann::json::parse("[[100, 1], [1239, 2]]")).max(), 1239);
  EXPECT_THROW((void)SparseHistogram::from_json(nlohmann::json::parse("[[1233, 1], [1234, 1]]")),
               std::invalid_argument);
}

TEST(MetricsData, JsonRoundTripIsExact) {
  Recorder recorder(two_scenarios(), kStart);
  feed(recorder, 0, 2000, 7);
  recorder.record_dropped_iterations(1, 3, kStart + seconds{2});
  recorder.record_interrupted_iteration(0);
  const MetricsData data = recorder.take();
  const MetricsData again = MetricsData::from_json(data.to_json());
  EXPECT_EQ(again, data);
  EXPECT_EQ(again.scenarios[1].dropped_iterations, 3);
}

TEST(MetricsData, CustomTagsSelectTheirScenariosAndRequestsAndSurviveJson) {
  // Scenario "cpu" tagged type:compute, its request "hash" overriding it with type:crypto;
  // scenario "io" tagged type:io.
  auto names = two_scenarios();
  names[0].tags = {{"type", "compute"}};
  names[0].requests[0].tags = {{"type", "compute"}};
  names[0].requests[1].tags = {{"type", "crypto"}};
  names[1].tags = {{"type", "io"}};
  names[1].requests[0].tags = {{"type", "io"}};
  Recorder recorder(names, kStart);
  feed(recorder, 0, 3000, 5);  // cpu: fib 1000, hash 1000; io: slow 1000
  const MetricsData data = MetricsData::from_json(recorder.take().to_json());
  ASSERT_EQ(data.names, names);
  const std::vector<std::string> declared{"type"};
  const auto count = [&](const std::string& selector) {
    const auto values = data.resolve(*MetricSelector::parse(selector, declared), seconds{15});
    return values ? values->count : -1.0;
  };
  EXPECT_EQ(count("http_reqs{type:compute}"), 1000);
  EXPECT_EQ(count("http_reqs{type:crypto}"), 1000);
  EXPECT_EQ(count("http_req_duration{type:io}"), 1000);
  EXPECT_EQ(count("http_reqs{type:crypto,scenario:io}"), -1);  // no such sub-metric
  EXPECT_EQ(count("iterations{type:compute}"), 2000);  // iterations carry the scenario's tags
  EXPECT_EQ(count("iterations{type:crypto}"), -1);
}

TEST(MetricsData, MergeRefusesDifferentPlans) {
  MetricsData a(two_scenarios());
  MetricsData b({{"other", {{"x", "GET"}}}});
  EXPECT_THROW(a.merge(b), std::invalid_argument);
}

TEST(MetricsData, FromJsonNamesTheBadField) {
  Recorder recorder(two_scenarios(), kStart);
  feed(recorder, 0, 10, 7);
  nlohmann::json json = recorder.take().to_json();
  json["requests"][0]["failed"] = -1;
  try {
    (void)MetricsData::from_json(json);
    FAIL() << "accepted a negative count";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.requests[0].failed"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace loadlab::load

namespace loadlab::load {
namespace {

TEST(MetricsData, EmptyDataAdoptsTheNamesOfTheFirstMerge) {
  Recorder recorder(two_scenarios(), kStart);
  feed(recorder, 0, 100, 7);
  const MetricsData data = recorder.take();
  MetricsData total;
  total.merge(data);
  EXPECT_EQ(total, data);
}

}  // namespace
}  // namespace loadlab::load
