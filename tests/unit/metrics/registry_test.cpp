// Registry semantics and the exact Prometheus text it exposes (also checked by promtool).
#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <thread>

namespace loadlab::metrics {
namespace {

TEST(Registry, ExposesCountersGaugesWithLabelsSorted) {
  Registry registry;
  auto& requests =
      registry.counter("http_requests_total", "Requests served.", {"method", "path", "status"});
  requests.with({"GET", "/api/fast", "200"}).inc();
  requests.with({"GET", "/api/fast", "200"}).inc(2);
  registry.gauge("queue_ratio", "Waiting tasks per worker.").with({}).set(1.5);
  EXPECT_EQ(registry.expose(),
            "# HELP http_requests_total Requests served.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{method=\"GET\",path=\"/api/fast\",status=\"200\"} 3\n"
            "# HELP queue_ratio Waiting tasks per worker.\n"
            "# TYPE queue_ratio gauge\n"
            "queue_ratio 1.5\n");
}

TEST(Registry, HistogramBucketsAreCumulativeWithInclusiveBounds) {
  Registry registry;
  const double bounds[] = {0.1, 1.0};
  auto& h = registry.histogram("op_seconds", "Op time.", {}, bounds).with({});
  h.observe(0.1);  // le=0.1 is inclusive
  h.observe(0.5);
  h.observe(5.0);
  EXPECT_EQ(registry.expose(),
            "# HELP op_seconds Op time.\n"
            "# TYPE op_seconds histogram\n"
            "op_seconds_bucket{le=\"0.1\"} 1\n"
            "op_seconds_bucket{le=\"1\"} 2\n"
            "op_seconds_bucket{le=\"+Inf\"} 3\n"
            "op_seconds_sum 5.6\n"
            "op_seconds_count 3\n");
}

TEST(Registry, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.counter("odd_total", "Line one\nback\\slash", {"v"}).with({"a\"b\\c\nd"}).inc();
  const std::string text = registry.expose();
  EXPECT_NE(text.find("# HELP odd_total Line one\\nback\\\\slash\n"), std::string::npos);
  EXPECT_NE(text.find("odd_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos);
}

TEST(Registry, SameRegistrationReturnsSameFamilyConflictThrows) {
  Registry registry;
  auto& a = registry.counter("x_total", "X.", {"k"});
  auto& b = registry.counter("x_total", "X.", {"k"});
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(registry.gauge("x_total", "X.", {"k"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("x_total", "X.", {"other"}), std::invalid_argument);
  EXPECT_THROW(a.with({"1", "2"}), std::invalid_argument);
}

TEST(Registry, ConcurrentIncrementsAreNotLost) {
  Registry registry;
  auto& counter = registry.counter("hits_total", "Hits.").with({});
  auto& hist = registry.histogram("lat_seconds", "Latency.", {}).with({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100'000; ++i) {
        counter.inc();
        hist.observe(0.002);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter.value(), 400'000.0);
  EXPECT_EQ(hist.snapshot().count, 400'000u);
}

TEST(Registry, TwoRegistriesAreIndependent) {
  Registry first;
  Registry second;
  first.counter("a_total", "A.").with({}).inc();
  EXPECT_EQ(second.expose(), "");
}

TEST(Registry, CollectorsAppearSortedAndCanBeRemoved) {
  Registry registry;
  registry.gauge("zeta", "Z.").with({}).set(1);
  const int id = registry.add_collector(process_collector());
  const std::string text = registry.expose();
  EXPECT_NE(text.find("process_cpu_seconds_total "), std::string::npos);
  EXPECT_NE(text.find("process_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(text.find("process_open_fds "), std::string::npos);
  EXPECT_NE(text.find("process_start_time_seconds "), std::string::npos);
  EXPECT_LT(text.find("process_cpu_seconds_total"), text.find("zeta"));
  registry.remove_collector(id);
  EXPECT_EQ(registry.expose().find("process_"), std::string::npos);
}

TEST(Registry, ExpositionPassesPromtool) {
  Registry registry;
  registry.counter("http_requests_total", "Requests.", {"method", "path", "status"})
      .with({"GET", "/x", "200"})
      .inc();
  registry.histogram("http_request_duration_seconds", "Durations.", {"method", "path"})
      .with({"GET", "/x"})
      .observe(0.02);
  registry.gauge("http_inflight_requests", "In flight.").with({}).set(3);
  registry.add_collector(process_collector());
  const std::string path = testing::TempDir() + "/metrics.txt";
  std::ofstream(path) << registry.expose();
  const std::string command = "promtool check metrics < " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  EXPECT_EQ(status, 0) << output;
}

}  // namespace
}  // namespace loadlab::metrics
