// The Prometheus text parser and the lab's extraction of protection values from a scrape.
#include "lab/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "lab/service_metrics.hpp"

namespace loadlab::lab {
namespace {

constexpr const char* kScrape = R"(# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{method="GET",path="/api/fast",status="200"} 120
http_requests_total{method="GET",path="/client",status="503"} 7
http_requests_total{method="GET",path="/client",status="504"} 3 1700000000000
circuit_breaker_state{dependency="upstream"} 1
circuit_breaker_state{dependency="downstream"} 0
circuit_breaker_transitions_total{dependency="upstream",to="open"} 2
circuit_breaker_transitions_total{dependency="upstream",to="closed"} 1
load_shed_total{reason="priority"} 4
load_shed_total{reason="queue"} 1
upstream_requests_total{result="ok"} 10
upstream_requests_total{result="breaker_open"} 6
db_pool_connections{state="in_use"} 5
db_pool_connections{state="idle"} 0
queue_ratio 4.5
memory_rejected_total 2
weird{text="a \"quoted\" value\\n"} +Inf
)";

TEST(PrometheusText, ParsesNamesLabelsValuesAndSkipsCommentsAndTimestamps) {
  const auto samples = parse_prometheus_text(kScrape);
  ASSERT_TRUE(samples.has_value()) << samples.error();
  EXPECT_EQ(samples->size(), 16u);
  EXPECT_EQ(samples->front().name, "http_requests_total");
  EXPECT_EQ(samples->front().labels.at("path"), "/api/fast");
  EXPECT_DOUBLE_EQ(sum_samples(*samples, "http_requests_total", {{"path", "/client"}}), 10);
  EXPECT_TRUE(std::isinf(samples->back().value));
  EXPECT_EQ(samples->back().labels.at("text"),
            "a \"quoted\" value\\n");  // escaped backslash, then n
}

TEST(PrometheusText, ReportsTheLineOfMalformedInput) {
  const auto bad = parse_prometheus_text("ok 1\nbroken{label=\"x\" 2\n");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().find("line 2"), std::string::npos) << bad.error();
  EXPECT_FALSE(parse_prometheus_text("name notanumber\n").has_value());
  EXPECT_FALSE(parse_prometheus_text("name{=\"x\"} 1\n").has_value());
}

TEST(ServiceMetrics, ExtractsProtectionGaugesAndCounters) {
  const auto samples = parse_prometheus_text(kScrape);
  ASSERT_TRUE(samples.has_value());
  const auto reading = read_service_metrics(*samples);
  EXPECT_EQ(reading.gauges.at("breaker_state"), 1);
  EXPECT_EQ(reading.gauges.at("queue_ratio"), 4.5);
  EXPECT_EQ(reading.gauges.at("pool_in_use"), 5);
  EXPECT_EQ(reading.counters.at("http_200"), 120);
  EXPECT_EQ(reading.counters.at("http_5xx"), 10);
  EXPECT_EQ(reading.counters.at("shed"), 5);
  EXPECT_EQ(reading.counters.at("breaker_opened"), 2);
  EXPECT_EQ(reading.counters.at("upstream_breaker_open"), 6);
  EXPECT_EQ(reading.counters.at("protection_events"), 5 + 6 + 2);
}

TEST(CounterDeltas, FirstReadingIsABaselineAndARestartCountsFromZero) {
  CounterDeltas deltas;
  EXPECT_EQ(deltas.advance({{"shed", 10}}).at("shed"), 0);
  EXPECT_EQ(deltas.advance({{"shed", 15}}).at("shed"), 5);
  EXPECT_EQ(deltas.advance({{"shed", 3}}).at("shed"), 3);  // the child restarted
}

}  // namespace
}  // namespace loadlab::lab
