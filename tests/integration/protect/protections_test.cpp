// The protections seen from outside: a real target in front of a real downstream.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "exposition.hpp"
#include "http_client.hpp"
#include "wait.hpp"

namespace loadlab::testing {
namespace {

using namespace std::chrono_literals;

class Services {
 public:
  explicit Services(const std::vector<std::string>& target_args)
      : downstream_(start_loadlab_serve({"--role", "downstream"})) {
    std::vector<std::string> args = {"--downstream", downstream_.base_url(), "--db",
                                     "sqlite::memory:"};
    args.insert(args.end(), target_args.begin(), target_args.end());
    target_ = std::make_unique<ChildProcess>(start_loadlab_serve(args));
  }
  HttpResult get(const std::string& target, std::chrono::milliseconds timeout = 10s) {
    return http_get(target_->host(), target_->port(), target, timeout);
  }
  HttpResult put_protections(const nlohmann::json& body) {
    return http_put_json(target_->host(), target_->port(), "/admin/protections", body.dump());
  }
  std::optional<double> target_metric(const std::string& series) {
    return metric_value(get("/metrics").body, series);
  }
  double downstream_requests(const std::string& path) {
    const auto text = http_get(downstream_.host(), downstream_.port(), "/metrics").body;
    double total = 0;
    const std::regex line("http_requests_total\\{method=\"GET\",path=\"" + path +
                          "\",status=\"[0-9]+\"\\} ([0-9.e+]+)");
    for (std::sregex_iterator it(text.begin(), text.end(), line), end; it != end; ++it) {
      total += std::stod((*it)[1]);
    }
    return total;
  }
  ChildProcess& downstream() { return downstream_; }
  ChildProcess& target() { return *target_; }

 private:
  ChildProcess downstream_;
  std::unique_ptr<ChildProcess> target_;
};

// Seed 004's demo: healthy traffic, fail_rate=1 trips the breaker, no call reaches the
// dependency while it is open, healthy traffic closes it after the wait.
TEST(Protections, BreakerTripsOnFailuresBlocksCallsAndRecovers) {
  Services services({"--protect", "breaker,timeouts"});
  ASSERT_EQ(services
                .put_protections({{"breaker",
                                   {{"rule", "consecutive_failures"},
                                    {"consecutive_failures", 5},
                                    {"open_ms", 1500},
                                    {"half_open_probes", 1}}}})
                .status,
            200);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(services.get("/client?ms=1").status, 200);
  EXPECT_EQ(services.target_metric("circuit_breaker_state{dependency=\"downstream\"}"), 0.0);

  int failures_before_open = 0;
  HttpResult refused;
  for (int i = 0; i < 20; ++i) {
    refused = services.get("/client?ms=1&fail_rate=1");
    if (refused.status == 503) break;
    EXPECT_EQ(refused.status, 502);
    ++failures_before_open;
  }
  EXPECT_EQ(failures_before_open, 5);  // the seed's rule: exactly 5 consecutive failures
  ASSERT_EQ(refused.status, 503);
  EXPECT_FALSE(refused.header("retry-after").empty());
  EXPECT_EQ(services.target_metric("circuit_breaker_state{dependency=\"downstream\"}"), 1.0);

  const double reached_before = services.downstream_requests("/upstream");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(services.get("/client?ms=1").status, 503);
  EXPECT_EQ(services.downstream_requests("/upstream"), reached_before);  // zero calls while open
  EXPECT_GE(services.target_metric("upstream_requests_total{result=\"breaker_open\"}").value_or(0),
            11.0);

  // After the open wait a healthy probe closes it.
  EXPECT_TRUE(wait_until([&] { return services.get("/client?ms=1").status == 200; }, 10s, 100ms));
  EXPECT_EQ(services.target_metric("circuit_breaker_state{dependency=\"downstream\"}"), 0.0);
  EXPECT_EQ(services.get("/client?ms=1").status, 200);
}

// Opens the downstream breaker (3 consecutive failures, a minute's wait) and checks it is open.
void trip_downstream_breaker(Services& services) {
  ASSERT_EQ(services
                .put_protections({{"breaker",
                                   {{"rule", "consecutive_failures"},
                                    {"consecutive_failures", 3},
                                    {"open_ms", 60000}}}})
                .status,
            200);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(services.get("/client?ms=1&fail_rate=1").status, 502);
  ASSERT_EQ(services.target_metric("circuit_breaker_state{dependency=\"downstream\"}"), 1.0);
}

// An operator tuning the breaker while it protects a failing dependency must not let traffic
// through to it.
TEST(Protections, ChangingBreakerSettingsKeepsAnOpenBreakerOpen) {
  Services services({"--protect", "breaker,timeouts"});
  trip_downstream_breaker(services);
  const double reached_before = services.downstream_requests("/upstream");
  ASSERT_EQ(services.put_protections({{"breaker", {{"open_ms", 59000}}}}).status, 200);
  EXPECT_EQ(services.target_metric("circuit_breaker_state{dependency=\"downstream\"}"), 1.0);
  EXPECT_EQ(services
                .target_metric(
                    "circuit_breaker_transitions_total{dependency=\"downstream\",to=\"closed\"}")
                .value_or(0),
            0.0);
  const auto refused = services.get("/client?ms=1&fail_rate=1");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(services.downstream_requests("/upstream"), reached_before);
}

// With the breaker open /api/cascade-failure sends no call: like /client, 503 + Retry-After.
TEST(Protections, CascadeFailureRefusedByTheBreakerIs503WithRetryAfter) {
  Services services({"--protect", "breaker,timeouts"});
  trip_downstream_breaker(services);
  const auto refused = services.get("/api/cascade-failure?delay=0&calls=3");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_FALSE(refused.header("retry-after").empty());
  const auto body = nlohmann::json::parse(refused.body);
  EXPECT_EQ(body.at("succeeded"), 0);
  for (const auto& result : body.at("results")) EXPECT_EQ(result.at("result"), "breaker_open");
  EXPECT_EQ(services.downstream_requests("/slow"), 0.0);
}

TEST(Protections, RunTimeToggleTakesEffectWithoutRestart) {
  Services services({"--protect", "naked"});
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(services.get("/client?ms=1&fail_rate=1").status, 502) << "naked never opens";
  }
  const auto put = services.put_protections(
      {{"profile", "breaker"},
       {"breaker", {{"rule", "consecutive_failures"}, {"consecutive_failures", 3}}}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(nlohmann::json::parse(put.body).at("profile"), "breaker");
  int status = 0;
  for (int i = 0; i < 5 && status != 503; ++i)
    status = services.get("/client?ms=1&fail_rate=1").status;
  EXPECT_EQ(status, 503);
  const auto bad = services.put_protections({{"enabled", {"breaker", "no-such-protection"}}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(bad.body.find("no-such-protection"), std::string::npos);
}

TEST(Protections, SheddingAnswers429WithRetryAfterAndSparesOperationsRoutes) {
  Services services({"--protect", "shed"});
  ASSERT_EQ(services.put_protections({{"shed", {{"limit", 2}}}}).status, 200);
  std::vector<std::thread> slow;
  std::atomic<int> slow_ok{0};
  for (int i = 0; i < 2; ++i) {
    slow.emplace_back([&] {
      if (services.get("/api/slow?delay=2&priority=high").status == 200) ++slow_ok;
    });
  }
  ASSERT_TRUE(wait_until(
      [&] { return services.target_metric("http_inflight_requests").value_or(0) >= 3; }, 10s));
  const auto shed = services.get("/api/fast?priority=high");
  EXPECT_EQ(shed.status, 429);
  EXPECT_EQ(shed.header("retry-after"), "1");
  EXPECT_EQ(nlohmann::json::parse(shed.body).at("reason"), "concurrency_limit");
  EXPECT_EQ(services.get("/liveness").status, 200);  // exempt
  EXPECT_EQ(services.get("/api/fast?priority=urgent").status, 422);
  for (auto& t : slow) t.join();
  EXPECT_EQ(slow_ok.load(), 2);
  EXPECT_EQ(services.get("/api/fast").status, 200);
}

TEST(Protections, MemoryAdmissionTurnsAnOverBudgetAllocationInto503) {
  Services services({"--protect", "memory"});
  // The budget (80 % of the limit) counts resident memory, so it is set relative to what the
  // process already holds: 100 MiB of room above the RSS at start (which a sanitizer inflates).
  constexpr double kMiB = 1 << 20;
  const double rss_at_start = services.target_metric("process_resident_memory_bytes").value_or(0);
  ASSERT_GT(rss_at_start, 0);
  const double budget = rss_at_start + 100 * kMiB;
  const auto limit = static_cast<std::int64_t>(budget / 0.8);
  ASSERT_EQ(services.put_protections({{"memory", {{"limit_bytes", limit}}}}).status, 200);
  EXPECT_EQ(services.get("/api/memory-leak?size_mb=60").status, 200);
  const auto refused = services.get("/api/memory-leak?size_mb=80");  // 140 MiB > 100 MiB of room
  EXPECT_EQ(refused.status, 503);
  EXPECT_FALSE(refused.header("retry-after").empty());
  EXPECT_EQ(nlohmann::json::parse(refused.body).at("reason"), "memory_budget");
  EXPECT_EQ(services.get("/api/clear-memory").status, 405);
  HttpCall clear;
  clear.method = "POST";
  clear.target = "/api/clear-memory";
  EXPECT_EQ(http_request(services.target().host(), services.target().port(), clear).status, 200);
  // Released memory makes room again: as much as resident memory now leaves (all 80 MiB when
  // the allocator gave the 60 back; less where a sanitizer's quarantine still holds it).
  const double rss_after_clear =
      services.target_metric("process_resident_memory_bytes").value_or(budget);
  const int room_mib = static_cast<int>((budget - rss_after_clear) / kMiB) - 8;
  ASSERT_GE(room_mib, 16) << "resident memory stayed near the budget after the clear";
  EXPECT_EQ(
      services.get("/api/memory-leak?size_mb=" + std::to_string(std::min(room_mib, 80))).status,
      200);
}

// Threaded model, slow downstream: naked, calls to it take every worker and /api/fast waits;
// protected by a bulkhead, excess calls fail fast and /api/fast keeps its latency.
double fast_route_seconds_under_slow_downstream(const std::string& protect) {
  Services services({"--model", "threaded", "--workers", "4", "--protect", protect});
  EXPECT_EQ(http_put_json(services.downstream().host(), services.downstream().port(),
                          "/admin/faults", R"({"latency_ms":2500})")
                .status,
            200);
  if (protect != "naked") {
    EXPECT_EQ(services.put_protections({{"bulkhead", {{"max_concurrent", 2}}}}).status, 200);
  }
  std::vector<std::thread> callers;
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] { services.get("/api/call-downstream?timeout=10&delay=0", 15s); });
  }
  // Wait by the calls in flight at the downstream (async, so its /metrics answers at once; the
  // scrape counts itself): the target's own /metrics would wait for a worker in the threaded
  // model and answer only after the busy period.
  const double holding = protect == "naked" ? 4 : 2;  // every worker, or the bulkhead's 2
  auto downstream_inflight = [&] {
    return metric_value(
               http_get(services.downstream().host(), services.downstream().port(), "/metrics")
                   .body,
               "http_inflight_requests")
               .value_or(0) -
           1;
  };
  EXPECT_TRUE(wait_until([&] { return downstream_inflight() >= holding; }, 10s))
      << protect << ": calls in flight at the downstream: " << downstream_inflight();
  const auto started = std::chrono::steady_clock::now();
  const auto fast = services.get("/api/fast", 20s);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(fast.status, 200);
  for (auto& t : callers) t.join();
  return seconds;
}

TEST(Protections, BulkheadKeepsFastRouteFastInThreadedModel) {
  const double naked = fast_route_seconds_under_slow_downstream("naked");
  const double guarded = fast_route_seconds_under_slow_downstream("bulkhead,timeouts");
  EXPECT_GT(naked, 1.0) << "naked: /api/fast waited for a worker held by the slow downstream";
  EXPECT_LT(guarded, 1.0) << "protected: the bulkhead left workers free";
  EXPECT_GT(naked, 3 * guarded);
}

}  // namespace
}  // namespace loadlab::testing
