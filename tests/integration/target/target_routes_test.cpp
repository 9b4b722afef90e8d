// `loadlab serve` (target role) beside a real downstream: every seed route, its parameter
// ranges and error paths, seed 002's queue rule end to end, and the metrics the routes own. The
// database routes are in db_routes_test.cpp (SQLite and PostgreSQL).
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "routes_fixture.hpp"
#include "wait.hpp"

namespace loadlab::target::test {
namespace {

using loadlab::testing::wait_until;

class TargetRoutes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    downstream_ = new ChildProcess(loadlab::testing::start_loadlab_serve(
        {"--role", "downstream", "--drain-timeout", "1s", "--drain-grace", "0s"}));
    target_ = new ChildProcess(loadlab::testing::start_loadlab_serve(
        {"--downstream", downstream_->base_url(), "--db", "sqlite::memory:", "--drain-timeout",
         "2s", "--drain-grace", "0s", "--expensive-op-duration", "100ms"}));
  }
  static void TearDownTestSuite() {
    delete target_;
    delete downstream_;
    target_ = downstream_ = nullptr;
  }
  static const ChildProcess& target() { return *target_; }
  static const ChildProcess& downstream() { return *downstream_; }

 private:
  static inline ChildProcess* downstream_ = nullptr;
  static inline ChildProcess* target_ = nullptr;
};

TEST_F(TargetRoutes, HealthAndTrivialRoutes) {
  for (const char* path : {"/", "/health", "/healthz", "/liveness", "/readiness", "/api/fast"}) {
    const auto result = get(target(), path);
    ASSERT_TRUE(result.ok()) << path << result.error;
    EXPECT_EQ(result.status, 200) << path;
    EXPECT_FALSE(result.header("x-request-id").empty()) << path;
    EXPECT_FALSE(result.header("x-process-time").empty()) << path;
  }
  EXPECT_EQ(json_of(get(target(), "/api/ping")), nlohmann::json({{"ping", "pong"}}));
  EXPECT_EQ(json_of(get(target(), "/"))["role"], "target");
}

TEST_F(TargetRoutes, UnknownRouteAndWrongMethod) {
  const auto missing = get(target(), "/api/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(json_of(missing).contains("error"));
  const auto wrong = call(target(), "POST", "/api/fast");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_TRUE(json_of(wrong).contains("error"));
  EXPECT_EQ(call(target(), "GET", "/api/clear-memory").status, 405);
  EXPECT_EQ(call(target(), "GET", "/work").status, 405);
}

TEST_F(TargetRoutes, CpuIntensive) {
  const auto result = get(target(), "/api/cpu-intensive?complexity=20");
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(json_of(result)["result"], 6765);
  EXPECT_EQ(json_of(get(target(), "/api/cpu-intensive?complexity=1"))["result"], 1);
  for (const char* bad : {"0", "41", "abc", "1.5", ""}) {
    expect_unprocessable(target(), std::string("/api/cpu-intensive?complexity=") + bad,
                         "complexity");
  }
}

TEST_F(TargetRoutes, Hash) {
  const auto result = get(target(), "/api/hash?iterations=2");
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(json_of(result)["hash"],
            "bb926e4d095980c2df02251bf86f7086f73b2630b6e74fa0b8b3e99ceeaca7cb");
  EXPECT_EQ(get(target(), "/api/hash?iterations=100000").status, 200);
  expect_unprocessable(target(), "/api/hash?iterations=0", "iterations");
  expect_unprocessable(target(), "/api/hash?iterations=100001", "iterations");
}

TEST_F(TargetRoutes, JsonProcessing) {
  const auto result = get(target(), "/api/json-processing?size=10");
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(json_of(result)["size"], 10);
  expect_unprocessable(target(), "/api/json-processing?size=0", "size");
  expect_unprocessable(target(), "/api/json-processing?size=10001", "size");
}

TEST_F(TargetRoutes, SlowAndBlocking) {
  EXPECT_EQ(get(target(), "/api/slow?delay=0.05").status, 200);
  EXPECT_EQ(get(target(), "/api/slow?delay=0").status, 200);
  expect_unprocessable(target(), "/api/slow?delay=30.5", "delay");
  expect_unprocessable(target(), "/api/slow?delay=-0.1", "delay");
  expect_unprocessable(target(), "/api/slow?delay=nan", "delay");
  const auto blocking = get(target(), "/api/blocking?duration=0.05");
  ASSERT_EQ(blocking.status, 200);
  EXPECT_TRUE(json_of(blocking)["blocked"].get<bool>());
  expect_unprocessable(target(), "/api/blocking?duration=31", "duration");
}

TEST_F(TargetRoutes, RandomDelayAndParallelIo) {
  const auto random = get(target(), "/api/random-delay");
  ASSERT_EQ(random.status, 200);
  const double delay = json_of(random)["delay"].get<double>();
  EXPECT_GE(delay, 0.5);
  EXPECT_LE(delay, 5.0);
  const auto parallel = get(target(), "/api/parallel-io?count=3");
  ASSERT_EQ(parallel.status, 200) << parallel.body;
  EXPECT_EQ(json_of(parallel)["waits_seconds"].size(), 3u);
  expect_unprocessable(target(), "/api/parallel-io?count=0", "count");
  expect_unprocessable(target(), "/api/parallel-io?count=21", "count");
}

// Leak, spike and clear keep memory_retained_bytes and the admission's retained total in step.
TEST_F(TargetRoutes, MemoryLeakSpikeAndClear) {
  call(target(), "POST", "/api/clear-memory");
  const auto leak = get(target(), "/api/memory-leak?size_mb=2");
  ASSERT_EQ(leak.status, 200) << leak.body;
  EXPECT_EQ(json_of(leak)["total_retained_mb"], 2);
  EXPECT_EQ(scrape(target(), "memory_retained_bytes"), 2.0 * 1024 * 1024);
  EXPECT_EQ(get(target(), "/api/memory-spike?size_mb=1").status, 200);
  EXPECT_EQ(scrape(target(), "memory_retained_bytes"), 2.0 * 1024 * 1024);
  const auto cleared = call(target(), "POST", "/api/clear-memory");
  ASSERT_EQ(cleared.status, 200);
  EXPECT_EQ(json_of(cleared)["freed_mb"], 2);
  EXPECT_EQ(scrape(target(), "memory_retained_bytes"), 0.0);
  expect_unprocessable(target(), "/api/memory-leak?size_mb=0", "size_mb");
  expect_unprocessable(target(), "/api/memory-leak?size_mb=101", "size_mb");
  expect_unprocessable(target(), "/api/memory-spike?size_mb=501", "size_mb");
}

// With --protect memory --memory-limit 64MiB a 100 MB leak is refused with a status.
TEST_F(TargetRoutes, MemoryBudgetRefusesWithAStatus) {
  // With the memory protection a request that cannot fit the budget is refused before any
  // allocation, with a status and a JSON body.
  auto small = loadlab::testing::start_loadlab_serve(
      {"--downstream", downstream().base_url(), "--db", "sqlite::memory:", "--protect", "memory",
       "--memory-limit", "64MiB", "--drain-timeout", "1s"});
  const auto refused = get(small, "/api/memory-leak?size_mb=100");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_TRUE(json_of(refused).contains("error"));
  EXPECT_EQ(scrape(small, "memory_retained_bytes"), 0.0);
}

TEST_F(TargetRoutes, ExpensiveOpAndReadiness) {
  const auto result = get(target(), "/expensive-op");
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_GE(json_of(result)["durationMs"].get<double>(), 0);
  EXPECT_EQ(get(target(), "/readiness").status, 200);
  EXPECT_EQ(scrape(target(), "queue_ratio"), 0.0);
}

TEST_F(TargetRoutes, UpstreamAndWork) {
  EXPECT_EQ(get(target(), "/upstream?ms=1").status, 200);
  EXPECT_EQ(get(target(), "/upstream?ms=0&fail_rate=1").status, 503);
  expect_unprocessable(target(), "/upstream?fail_rate=1.1", "fail_rate");
  EXPECT_EQ(call(target(), "POST", "/work?ms=1&fail_rate=0&priority=high").status, 200);
  EXPECT_EQ(call(target(), "POST", "/work?ms=1&fail_rate=1").status, 500);
  EXPECT_EQ(call(target(), "POST", "/work?ms=1&fail_rate=0&priority=").status, 200);
  expect_unprocessable(target(), "/work?ms=10001", "ms", "POST");
  expect_unprocessable(target(), "/work?priority=urgent", "priority", "POST");
}

TEST_F(TargetRoutes, CallDownstream) {
  const auto ok = get(target(), "/api/call-downstream?timeout=5&delay=0.05");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json_of(ok)["downstream_status"], 200);
  const auto late = get(target(), "/api/call-downstream?timeout=1&delay=1.5");
  EXPECT_EQ(late.status, 504) << late.body;
  EXPECT_EQ(json_of(late)["result"], "timeout");
  expect_unprocessable(target(), "/api/call-downstream?timeout=0.5", "timeout");
  expect_unprocessable(target(), "/api/call-downstream?timeout=61", "timeout");
  EXPECT_GE(scrape(target(), R"(upstream_requests_total{result="timeout"})").value_or(0), 1.0);
}

TEST_F(TargetRoutes, CascadeFailureAndNoTimeout) {
  const auto cascade = get(target(), "/api/cascade-failure?delay=0.05");
  ASSERT_EQ(cascade.status, 200) << cascade.body;
  EXPECT_EQ(json_of(cascade)["succeeded"], 5);
  EXPECT_EQ(get(target(), "/api/no-timeout?delay=0.05").status, 200);
}

TEST_F(TargetRoutes, ClientThroughTheConfiguredUpstream) {
  const auto ok = get(target(), "/client?ms=5");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json_of(ok)["upstream"]["ok"], true);
  EXPECT_EQ(get(target(), "/client?ms=0&fail_rate=1").status, 502);
  EXPECT_EQ(get(target(), "/client?ms=1000&timeout_ms=50").status, 504);
  expect_unprocessable(target(), "/client?priority=urgent", "priority");
  expect_unprocessable(target(), "/client?fail_rate=2", "fail_rate");
  expect_unprocessable(target(), "/client?timeout_ms=0", "timeout_ms");
  EXPECT_GE(scrape(target(), R"(upstream_requests_total{result="ok"})").value_or(0), 1.0);
  EXPECT_GE(scrape(target(), R"(upstream_requests_total{result="error"})").value_or(0), 1.0);
}

TEST_F(TargetRoutes, DownstreamFaultsPropagate) {
  ASSERT_EQ(call(downstream(), "PUT", "/admin/faults", R"({"error_rate":1})").status, 200);
  const auto failed = get(target(), "/client?ms=0");
  call(downstream(), "DELETE", "/admin/faults");
  EXPECT_EQ(failed.status, 502) << failed.body;
  EXPECT_EQ(get(target(), "/client?ms=0").status, 200);
}

TEST_F(TargetRoutes, ProtectionSeriesExistAtZero) {
  EXPECT_EQ(scrape(target(), R"(circuit_breaker_state{dependency="downstream"})"), 0.0);
  EXPECT_EQ(scrape(target(), R"(load_shed_total{reason="concurrency_limit"})"), 0.0);
  EXPECT_TRUE(scrape(target(), R"(upstream_requests_total{result="breaker_open"})"));
  EXPECT_TRUE(scrape(target(), R"(upstream_requests_total{result="shed"})"));
}

TEST(TargetWithoutDownstream, DownstreamDownIsA502) {
  auto target = loadlab::testing::start_loadlab_serve(
      {"--downstream", "http://127.0.0.1:1", "--db", "sqlite::memory:", "--drain-timeout", "1s"});
  const auto result = get(target, "/api/call-downstream?timeout=2");
  EXPECT_EQ(result.status, 502) << result.body;
  EXPECT_EQ(get(target, "/client").status, 502);
}

// Seed 002's table with CONCURRENCY=1: five clients in flight are all served (1 running,
// 4 waiting: ratio 4), readiness fails above ratio 2, and one more request is shed with 503.
TEST(SeedQueueTable, FiveInFlightServedSixthRejected) {
  auto target = loadlab::testing::start_loadlab_serve(
      {"--db", "sqlite::memory:", "--expensive-op-duration", "3s", "--drain-timeout", "20s"},
      {"CONCURRENCY=1"});
  std::vector<std::future<int>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::async(std::launch::async, [&target] {
      return get(target, "/expensive-op", seconds(30)).status;
    }));
    // Arrivals in order, so the queue sees 1 running and then 1, 2, 3, 4 waiting.
    ASSERT_TRUE(wait_until(
        [&] {
          return scrape(target, "expensive_op_running").value_or(0) +
                     scrape(target, "expensive_op_waiting").value_or(0) >=
                 i + 1;
        },
        seconds(5)));
  }
  EXPECT_EQ(scrape(target, "queue_ratio"), 4.0);
  EXPECT_EQ(get(target, "/readiness").status, 429);
  EXPECT_EQ(get(target, "/liveness").status, 200);
  const auto shed = get(target, "/expensive-op");
  EXPECT_EQ(shed.status, 503) << shed.body;
  EXPECT_EQ(shed.header("retry-after"), "3");  // a worker frees up within one 3 s task
  for (auto& client : clients) EXPECT_EQ(client.get(), 200);
  EXPECT_EQ(get(target, "/readiness").status, 200);
}

}  // namespace
}  // namespace loadlab::target::test
