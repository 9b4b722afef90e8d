// Shared protections used from several threads keep their invariants (run it under TSan too).
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "metrics/registry.hpp"
#include "protect/protections.hpp"

namespace loadlab::protect {
namespace {

using namespace std::chrono_literals;

TEST(ProtectionsConcurrency, LimitsHoldAndEverySlotComesBack) {
  core::ManualClock clock;
  metrics::Registry registry;
  ProtectionSettings settings;
  settings.enabled = ProtectionMask::all();
  settings.params.shed.limit = 8;
  settings.params.bulkhead.max_concurrent = 3;
  settings.params.adaptive.min_rtt_samples = 5;
  settings.params.adaptive.max_limit = 6;
  settings.params.adaptive.initial_limit = 6;
  Protections protections(settings, clock, registry);
  auto& downstream = protections.dependency("downstream");

  std::atomic<int> over_limit{0};
  std::atomic<int> admitted{0};
  const auto worker = [&](int id) {
    for (int i = 0; i < 5000; ++i) {
      auto admission = protections.admit_request(i % 3 == 0 ? Priority::low : Priority::high);
      if (!admission) continue;
      admitted.fetch_add(1, std::memory_order_relaxed);
      if (protections.shedder().inflight() > 8 || protections.adaptive_limiter().inflight() > 6) {
        over_limit.fetch_add(1);
      }
      downstream.on_logical_call();
      if (auto attempt = downstream.begin_attempt()) {
        if (downstream.bulkhead().inflight() > 3) over_limit.fetch_add(1);
        attempt->finish(i % 7 == 0 ? CallOutcome::failure : CallOutcome::success);
      }
      if (auto memory = protections.try_reserve_memory(1 << 20)) {
        if (protections.memory().reserved_bytes() > protections.memory().budget_bytes()) {
          over_limit.fetch_add(1);
        }
      }
      if (auto ticket = protections.compute_queue().try_enqueue()) {
        (void)protections.compute_queue().on_dequeue(*ticket);
      }
      if (id == 0 && i % 50 == 0) clock.advance(1ms);
      admission->complete(CallOutcome::success);
    }
  };
  std::vector<std::thread> threads;
  for (int id = 0; id < 4; ++id) threads.emplace_back(worker, id);
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(over_limit.load(), 0);
  EXPECT_GT(admitted.load(), 0);
  EXPECT_EQ(protections.shedder().inflight(), 0);
  EXPECT_EQ(protections.adaptive_limiter().inflight(), 0);
  EXPECT_EQ(downstream.bulkhead().inflight(), 0);
  EXPECT_EQ(protections.memory().reserved_bytes(), 0u);
  EXPECT_EQ(protections.compute_queue().depth(), 0u);
}

TEST(ProtectionsConcurrency, SwitchesFlipWhileRequestsRun) {
  core::ManualClock clock;
  metrics::Registry registry;
  Protections protections(ProtectionSettings{}, clock, registry);
  std::atomic<bool> stop{false};
  std::thread toggler([&] {
    for (int i = 0; i < 200; ++i) {
      EXPECT_TRUE(protections.settings().update(
          nlohmann::json{{"profile", i % 2 == 0 ? "protected" : "naked"}}));
    }
    stop = true;
  });
  int requests = 0;
  while (!stop.load() || requests < 1000) {
    if (auto admission = protections.admit_request(Priority::normal)) {
      admission->complete(CallOutcome::success);
    }
    ++requests;
  }
  toggler.join();
  EXPECT_EQ(protections.shedder().inflight(), 0);
  EXPECT_EQ(protections.adaptive_limiter().inflight(), 0);
}

}  // namespace
}  // namespace loadlab::protect
