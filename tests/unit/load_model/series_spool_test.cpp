// The streamed series: per-scenario shares, the collector's release rule, and the spool giving
// back exactly the series an in-memory recorder would have kept.
#include "load/series_spool.hpp"

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

RequestSample sample(std::uint32_t scenario, std::uint32_t request, std::int64_t us) {
  RequestSample s;
  s.scenario = scenario;
  s.request = request;
  s.status = us % 13 == 0 ? 503 : 200;
  s.failed = s.status != 200;
  s.duration = microseconds{us};
  s.latency = microseconds{us + 250};
  return s;
}

// The i-th event of a synthetic run at 4 ms steps: a request of scenario 0 or 1, an iteration,
// and now and then a VU sample.
void record_event(Recorder& recorder, int i, Random& random) {
  const auto value = static_cast<std::int64_t>(random.uniform_int(100, 3'000'000));
  const auto scenario = static_cast<std::uint32_t>(i % 3 == 2 ? 1 : 0);
  const core::TimePoint now = kStart + milliseconds{static_cast<std::int64_t>(i) * 4};
  recorder.record_request(sample(scenario, 0, value), now);
  recorder.record_iteration(scenario, microseconds{value}, now);
  if (i % 50 == 0) recorder.record_dropped_iterations(scenario, 2, now);
  if (i % 25 == 0) recorder.record_vus(3 + i % 4, 9, now);
}

std::int64_t second_of(int i) {
  return static_cast<std::int64_t>(i) * 4 / 1000;
}

TEST(SeriesShares, EachScenarioShareAddsUpToTheTotal) {
  Recorder recorder(two_scenarios(), kStart);
  Random random(7);
  for (int i = 0; i < 2500; ++i) record_event(recorder, i, random);  // 10 s
  const MetricsData data = recorder.take();
  ASSERT_EQ(data.series.size(), 10U);
  for (const auto& point : data.series) {
    ASSERT_EQ(point.by_scenario.size(), 2U);
    const ScenarioPoint& cpu = point.by_scenario[0];
    const ScenarioPoint& io = point.by_scenario[1];
    EXPECT_EQ(cpu.requests + io.requests, point.requests);
    EXPECT_EQ(cpu.failed + io.failed, point.failed);
    EXPECT_EQ(cpu.iterations + io.iterations, point.iterations);
    EXPECT_EQ(cpu.dropped_iterations + io.dropped_iterations, point.dropped_iterations);
    EXPECT_GT(io.requests, 0);
    EXPECT_NEAR(static_cast<double>(cpu.requests), 2.0 * static_cast<double>(io.requests), 2.0);
    SparseHistogram both = cpu.duration;
    both.merge(io.duration);
    EXPECT_EQ(both, point.duration);
    SparseHistogram both_latency = cpu.latency;
    both_latency.merge(io.latency);
    EXPECT_EQ(both_latency, point.latency);
    EXPECT_EQ(io.duration.total_count(), io.requests);
  }
  // The whole run's per-scenario totals agree with the series shares.
  std::int64_t io_total = 0;
  for (const auto& point : data.series) io_total += point.by_scenario[1].requests;
  EXPECT_EQ(io_total, 2500 / 3);
}

TEST(SeriesShares, OneScenarioKeepsNoShares) {
  Recorder recorder({{"only", {{"r", "GET"}}}}, kStart);
  recorder.record_request(sample(0, 0, 1000), kStart);
  const MetricsData data = recorder.take();
  ASSERT_EQ(data.series.size(), 1U);
  EXPECT_TRUE(data.series[0].by_scenario.empty());
  EXPECT_EQ(data.series[0].duration.total_count(), 1);
}

TEST(SeriesShares, JsonCarriesTheSharesAndRejectsTooMany) {
  Recorder recorder(two_scenarios(), kStart);
  Random random(3);
  for (int i = 0; i < 600; ++i) record_event(recorder, i, random);
  const MetricsData data = recorder.take();
  EXPECT_EQ(MetricsData::from_json(data.to_json()), data);

  nlohmann::json json = data.to_json();
  auto& shares = json["series"]["points"][1]["scenarios"];
  shares.push_back(shares[0]);
  try {
    (void)MetricsData::from_json(json);
    FAIL() << "three shares for two scenarios were accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(),
                 "metrics.series.points[1].scenarios: more entries than the plan has scenarios");
  }
  json = data.to_json();
  json["series"]["points"][0]["scenarios"][1].erase("latency");
  try {
    (void)MetricsData::from_json(json);
    FAIL() << "a share without latency was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "metrics.series.points[0].scenarios[1].latency: missing");
  }
}

// Two workers share the events (even and odd); both stream, a collector and a spool gather
// them every `housekeeping` events, as the engine does.
MetricsData run_streamed(int events, int housekeeping, std::vector<ScenarioNames> names) {
  Recorder even(names, kStart), odd(names, kStart);
  even.stream_series();
  odd.stream_series();
  SeriesCollector collector(2);
  SeriesSpool spool;
  Random random(11);
  for (int i = 0; i < events; ++i) {
    record_event(i % 2 == 0 ? even : odd, i, random);
    if (i % housekeeping == housekeeping - 1) {
      // Each worker's watermark is the second its clock is in now.
      collector.add(0, even.take_streamed_series(), second_of(i));
      collector.add(1, odd.take_streamed_series(), second_of(i));
      for (const auto& released : collector.take_released()) spool.append(released);
      EXPECT_TRUE(even.data().series.empty());  // nothing piles up in the recorder
    }
  }
  even.flush();
  odd.flush();
  collector.add(0, even.take_streamed_series(), SeriesCollector::kFinished);
  collector.add(1, odd.take_streamed_series(), SeriesCollector::kFinished);
  for (const auto& released : collector.take_released()) spool.append(released);
  MetricsData data = even.take();
  data.merge(odd.take());
  spool.read_into(data);
  return data;
}

MetricsData run_in_memory(int events, std::vector<ScenarioNames> names) {
  Recorder even(names, kStart), odd(names, kStart);
  Random random(11);
  for (int i = 0; i < events; ++i) record_event(i % 2 == 0 ? even : odd, i, random);
  MetricsData data = even.take();
  data.merge(odd.take());
  return data;
}

TEST(SeriesSpool, StreamedAndSpooledEqualsTheInMemorySeries) {
  const MetricsData streamed = run_streamed(5000, 37, two_scenarios());
  const MetricsData in_memory = run_in_memory(5000, two_scenarios());
  ASSERT_EQ(streamed.series.size(), 20U);
  EXPECT_EQ(streamed, in_memory);  // counts, histograms, shares and the gauges (added per worker)
  EXPECT_EQ(streamed.series[5].vus_max, 18);
}

TEST(SeriesSpool, CoarsensALongRunLikeTheInMemorySeries) {
  // 2 * kMaxSeriesPoints + a bit, one event a second per worker pair.
  std::vector<ScenarioNames> names = {{"s", {{"r", "GET"}}}};
  Recorder direct(names, kStart), streamed(names, kStart);
  streamed.stream_series();
  SeriesCollector collector(1);
  SeriesSpool spool;
  const int total_seconds = static_cast<int>(MetricsData::kMaxSeriesPoints) * 2 + 10;
  for (int s = 0; s < total_seconds; ++s) {
    const core::TimePoint now = kStart + seconds{s} + milliseconds{s % 1000};
    for (Recorder* recorder : {&direct, &streamed}) {
      recorder->record_request(sample(0, 0, 1000 + s), now);
      recorder->record_vus(s % 7, 7, now);
    }
    collector.add(0, streamed.take_streamed_series(), s);
    for (const auto& released : collector.take_released()) spool.append(released);
  }
  streamed.flush();
  collector.add(0, streamed.take_streamed_series(), SeriesCollector::kFinished);
  for (const auto& released : collector.take_released()) spool.append(released);
  EXPECT_EQ(spool.size(), static_cast<std::size_t>(total_seconds));
  MetricsData from_spool = streamed.take();
  spool.read_into(from_spool);
  const MetricsData expected = direct.take();
  EXPECT_EQ(from_spool.series_interval_seconds, 4);
  EXPECT_EQ(from_spool, expected);
}

TEST(SeriesCollector, HoldsASecondUntilEveryWorkerHasPassedIt) {
  SeriesCollector collector(2);
  SeriesPoint point;
  point.requests = 5;
  point.vus = 2;
  collector.add(0, {{0, point}, {1, point}}, 2);
  EXPECT_TRUE(collector.take_released().empty());  // worker 1 is still in second 0
  collector.add(1, {}, 1);
  auto released = collector.take_released();
  ASSERT_EQ(released.size(), 1U);
  EXPECT_EQ(released[0].second, 0);
  EXPECT_EQ(released[0].point.requests, 5);
  EXPECT_EQ(released[0].gauges, MetricsData::Gauges::kLatest);

  // Worker 1 hands over second 0 after its release (it should not): counts kept, gauges not.
  SeriesPoint late;
  late.requests = 3;
  late.vus = 4;
  collector.add(1, {{0, late}, {1, late}}, 2);
  released = collector.take_released();
  ASSERT_EQ(released.size(), 2U);
  EXPECT_EQ(released[0].second, 0);
  EXPECT_EQ(released[0].gauges, MetricsData::Gauges::kIgnore);
  EXPECT_EQ(released[1].second, 1);
  EXPECT_EQ(released[1].point.requests, 8);
  EXPECT_EQ(released[1].point.vus, 6);  // two workers' samples add

  MetricsData data;
  for (const auto& r : released) data.add_series_point(r.second, r.point, r.gauges);
  data.add_series_point(0, point, MetricsData::Gauges::kIgnore);
  EXPECT_EQ(data.series[0].requests, 3 + 5);
  EXPECT_EQ(data.series[0].vus, 0);  // the late parts carried no sample
}

TEST(SeriesCollector, ASecondHandedOverTwiceByOneWorkerKeepsItsLaterGauges) {
  SeriesCollector collector(1);
  SeriesPoint first;
  first.requests = 1;
  first.vus = 10;
  SeriesPoint second_part;
  second_part.requests = 2;
  second_part.vus = 4;
  collector.add(0, {{3, first}}, 3);
  collector.add(0, {{3, second_part}}, 4);
  const auto released = collector.take_released();
  ASSERT_EQ(released.size(), 1U);
  EXPECT_EQ(released[0].point.requests, 3);
  EXPECT_EQ(released[0].point.vus, 4);
}

TEST(MetricsData, ResultsWrittenBeforeTheTlsPhaseStillLoad) {
  Recorder recorder(two_scenarios(), kStart);
  RequestSample tls = sample(0, 0, 2000);
  tls.tls_handshaking = milliseconds{3};
  recorder.record_request(tls, kStart);
  const MetricsData data = recorder.take();
  EXPECT_EQ(data.tls_handshaking.total_count(), 1);
  EXPECT_EQ(MetricsData::from_json(data.to_json()), data);
  const auto resolved =
      data.resolve(*MetricSelector::parse("http_req_tls_handshaking"), seconds{1});
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(resolved->count, 1);

  nlohmann::json old = data.to_json();
  old["phases"].erase("tls_handshaking");
  const MetricsData loaded = MetricsData::from_json(old);
  EXPECT_EQ(loaded.tls_handshaking.total_count(), 0);
  EXPECT_EQ(loaded.connecting, data.connecting);
}

TEST(MetricsData, AddSeriesPointAppliesEachGaugeRule) {
  MetricsData data;
  SeriesPoint a;
  a.requests = 1;
  a.vus = 5;
  data.add_series_point(2, a, MetricsData::Gauges::kLatest);
  ASSERT_EQ(data.series.size(), 3U);
  data.add_series_point(2, a, MetricsData::Gauges::kAdd);
  EXPECT_EQ(data.series[2].vus, 10);
  SeriesPoint b;
  b.requests = 1;
  b.vus = 1;
  data.add_series_point(2, b, MetricsData::Gauges::kLatest);
  EXPECT_EQ(data.series[2].vus, 1);
  data.add_series_point(2, b, MetricsData::Gauges::kIgnore);
  EXPECT_EQ(data.series[2].vus, 1);
  EXPECT_EQ(data.series[2].requests, 4);
}

}  // namespace
}  // namespace loadlab::load
