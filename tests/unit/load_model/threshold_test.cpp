// k6 threshold expressions: every form, its errors, and evaluation.
#include "load/threshold.hpp"

#include <gtest/gtest.h>

#include "core/hdr_histogram.hpp"

namespace loadlab::load {
namespace {

Threshold parse(std::string_view text) {
  auto t = Threshold::parse(text);
  EXPECT_TRUE(t.has_value()) << text << ": " << (t ? "" : t.error());
  return t ? *t : Threshold{};
}

std::string error_of(std::string_view text) {
  auto t = Threshold::parse(text);
  EXPECT_FALSE(t.has_value()) << text;
  return t ? "" : t.error();
}

TEST(Threshold, ParsesEveryAggregationAndOperator) {
  auto p95 = parse("p(95)<500");
  EXPECT_EQ(p95.aggregation, Aggregation::percentile);
  EXPECT_DOUBLE_EQ(p95.percentile, 95);
  EXPECT_EQ(p95.comparison, Comparison::less);
  EXPECT_DOUBLE_EQ(p95.bound, 500);
  EXPECT_EQ(p95.aggregation_label(), "p(95)");

  auto p999 = parse(" p( 99.9 ) <= 2000 ");
  EXPECT_DOUBLE_EQ(p999.percentile, 99.9);
  EXPECT_EQ(p999.comparison, Comparison::less_equal);
  EXPECT_EQ(p999.aggregation_label(), "p(99.9)");

  EXPECT_EQ(parse("avg<200").aggregation, Aggregation::avg);
  EXPECT_EQ(parse("med<200").aggregation, Aggregation::med);
  EXPECT_EQ(parse("min>1").aggregation, Aggregation::min);
  EXPECT_EQ(parse("max<3000").aggregation, Aggregation::max);
  EXPECT_EQ(parse("rate<0.01").aggregation, Aggregation::rate);
  EXPECT_EQ(parse("count>100").comparison, Comparison::greater);
  EXPECT_EQ(parse("value>=1").comparison, Comparison::greater_equal);
  EXPECT_EQ(parse("count==5").comparison, Comparison::equal);
  EXPECT_EQ(parse("count===5").comparison, Comparison::equal);
  EXPECT_EQ(parse("count!=0").comparison, Comparison::not_equal);
  EXPECT_DOUBLE_EQ(parse("rate<1e-3").bound, 0.001);
}

TEST(Threshold, ComparisonsHold) {
  EXPECT_TRUE(parse("avg<5").holds(4.9));
  EXPECT_FALSE(parse("avg<5").holds(5));
  EXPECT_TRUE(parse("avg<=5").holds(5));
  EXPECT_TRUE(parse("avg>5").holds(5.1));
  EXPECT_FALSE(parse("avg>=5").holds(4.9));
  EXPECT_TRUE(parse("avg==5").holds(5));
  EXPECT_TRUE(parse("avg!=5").holds(4));
}

TEST(Threshold, ParseErrorsSayWhatIsWrong) {
  EXPECT_NE(error_of("p95<500").find("unknown aggregation 'p95'"), std::string::npos);
  EXPECT_NE(error_of("p(95<500").find("expected ')'"), std::string::npos);
  EXPECT_NE(error_of("p(0)<500").find("(0, 100]"), std::string::npos);
  EXPECT_NE(error_of("p(101)<500").find("(0, 100]"), std::string::npos);
  EXPECT_NE(error_of("p(x)<500").find("(0, 100]"), std::string::npos);
  EXPECT_NE(error_of("avg 500").find("expected an operator"), std::string::npos);
  EXPECT_NE(error_of("avg<").find("expected a number"), std::string::npos);
  EXPECT_NE(error_of("avg<5ms").find("got '5ms'"), std::string::npos);
  EXPECT_NE(error_of("").find("unknown aggregation"), std::string::npos);
  EXPECT_NE(error_of("mean<3").find("threshold 'mean<3'"), std::string::npos);
}

TEST(MetricSelector, ParsesTagsInCanonicalOrder) {
  auto s = MetricSelector::parse("http_req_duration{status:200, name:fast}");
  ASSERT_TRUE(s.has_value()) << s.error();
  EXPECT_EQ(s->metric, "http_req_duration");
  EXPECT_EQ(s->key(), "http_req_duration{name:fast,status:200}");
  EXPECT_EQ(MetricSelector::parse("http_reqs")->key(), "http_reqs");
}

TEST(MetricSelector, RejectsUnknownMetricsAndTags) {
  EXPECT_NE(MetricSelector::parse("http_req_durations").error().find("unknown metric"),
            std::string::npos);
  EXPECT_NE(MetricSelector::parse("http_reqs{foo:bar}").error().find("tag 'foo' is not recorded"),
            std::string::npos);
  EXPECT_NE(MetricSelector::parse("vus{scenario:a}").error().find("no sub-metrics"),
            std::string::npos);
  EXPECT_NE(MetricSelector::parse("http_reqs{scenario}").error().find("expected tag:value"),
            std::string::npos);
  EXPECT_NE(MetricSelector::parse("http_reqs{scenario:a").error().find("expected '}'"),
            std::string::npos);
  EXPECT_NE(MetricSelector::parse("http_reqs{name:a,name:b}").error().find("given twice"),
            std::string::npos);
}

TEST(MetricSelector, AcceptsTheTagsTheScenariosDeclareOnMetricsWithAScenarioTag) {
  const std::vector<std::string> declared{"team", "type"};
  auto s = MetricSelector::parse("http_req_duration{type:api,scenario:a}", declared);
  ASSERT_TRUE(s.has_value()) << s.error();
  EXPECT_EQ(s->key(), "http_req_duration{scenario:a,type:api}");
  EXPECT_TRUE(MetricSelector::parse("iterations{team:x}", declared).has_value());
  EXPECT_NE(MetricSelector::parse("http_reqs{flavour:x}", declared)
                .error()
                .find("or a tag the scenarios declare"),
            std::string::npos);
  // Metrics without a scenario tag (the run-wide phases and gauges) have no sub-metrics at all.
  EXPECT_NE(MetricSelector::parse("vus{type:api}", declared).error().find("no sub-metrics"),
            std::string::npos);
  EXPECT_FALSE(MetricSelector::parse("http_req_waiting{type:api}", declared).has_value());
}

TEST(Threshold, AggregationMustFitTheMetricKind) {
  auto check = [](std::string_view metric, std::string_view expr) {
    return check_applicable(*MetricSelector::parse(metric), parse(expr));
  };
  EXPECT_TRUE(check("http_req_duration", "p(95)<500").has_value());
  EXPECT_TRUE(check("http_reqs", "count>100").has_value());
  EXPECT_TRUE(check("http_reqs", "rate>10").has_value());
  EXPECT_TRUE(check("http_req_failed", "rate<0.01").has_value());
  EXPECT_TRUE(check("vus", "max<=100").has_value());
  EXPECT_NE(check("http_reqs", "p(95)<5").error().find("a counter: use count or rate"),
            std::string::npos);
  EXPECT_NE(check("http_req_failed", "avg<5").error().find("a rate: use rate"), std::string::npos);
  EXPECT_NE(check("http_req_duration", "rate<5").error().find("a trend"), std::string::npos);
}

TEST(Threshold, EvaluatesOnResolvedValuesInMilliseconds) {
  auto histogram = std::make_shared<core::HdrHistogram>();
  for (int i = 1; i <= 1000; ++i) histogram->record(i * 1000);  // 1..1000 ms in µs
  MetricValues trend;
  trend.kind = MetricKind::trend;
  trend.histogram = histogram;
  MetricValues failed;
  failed.kind = MetricKind::rate;
  failed.count = 200;
  failed.nonzero = 3;
  MetricValues reqs;
  reqs.kind = MetricKind::counter;
  reqs.count = 200;
  reqs.per_second = 20;

  const MetricResolver resolve = [&](const MetricSelector& s) -> std::optional<MetricValues> {
    if (s.metric == "http_req_duration") return trend;
    if (s.metric == "http_req_failed") return failed;
    if (s.metric == "http_reqs") return reqs;
    return std::nullopt;
  };
  std::vector<MetricThresholds> thresholds{
      {*MetricSelector::parse("http_req_duration"),
       {parse("p(95)<960"), parse("p(95)<940"), parse("avg<501"), parse("med<=500.5"),
        parse("max<1001"), parse("min>=1"), parse("count==1000")}},
      {*MetricSelector::parse("http_req_failed"), {parse("rate<0.01"), parse("rate<0.02")}},
      {*MetricSelector::parse("http_reqs"), {parse("count>100"), parse("rate>=25")}},
      {*MetricSelector::parse("iterations"), {parse("count>0")}},
  };
  const auto outcomes = evaluate_thresholds(thresholds, resolve);
  ASSERT_EQ(outcomes.size(), 12U);
  const std::vector<bool> expected{true, false, true, true, true,  true,
                                   true, false, true, true, false, false};
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    EXPECT_EQ(outcomes[i].passed, expected[i]) << outcomes[i].metric << " " << outcomes[i].source;
  }
  EXPECT_NEAR(*outcomes[0].observed, 950, 1);
  EXPECT_NEAR(*outcomes[7].observed, 0.015, 1e-12);
  EXPECT_EQ(outcomes[11].observed, 0.0);  // no iterations at all: judged as zero, as k6 does
  EXPECT_FALSE(all_passed(outcomes));
}

TEST(Threshold, AbortOnFailWaitsForDelayAbortEval) {
  MetricValues failed;
  failed.kind = MetricKind::rate;
  failed.count = 10;
  failed.nonzero = 5;
  const MetricResolver resolve = [&](const MetricSelector&) {
    return std::optional<MetricValues>(failed);
  };
  Threshold abort = parse("rate<0.1");
  abort.abort_on_fail = true;
  abort.delay_abort_eval = std::chrono::seconds{10};
  Threshold plain = parse("rate<0.2");
  std::vector<MetricThresholds> thresholds{
      {*MetricSelector::parse("http_req_failed"), {plain, abort}}};
  std::string reason;
  EXPECT_FALSE(should_abort(thresholds, resolve, std::chrono::seconds{9}, &reason));
  EXPECT_TRUE(should_abort(thresholds, resolve, std::chrono::seconds{10}, &reason));
  EXPECT_EQ(reason, "http_req_failed: rate<0.1 failed");
  failed.nonzero = 0;
  EXPECT_FALSE(should_abort(thresholds, resolve, std::chrono::seconds{20}, &reason));
}

}  // namespace
}  // namespace loadlab::load
