// A dependency's breaker, bulkhead, retries and budget working together, under the switches.
#include "protect/dependency_guard.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "metrics/registry.hpp"

namespace loadlab::protect {
namespace {

using namespace std::chrono_literals;

class DependencyGuardTest : public ::testing::Test {
 protected:
  core::ManualClock clock;
  metrics::Registry registry;

  static ProtectionSettings with(std::string_view list) {
    ProtectionSettings settings;
    settings.enabled = *parse_protection_list(list);
    settings.params.bulkhead.max_concurrent = 2;
    return settings;
  }
};

TEST_F(DependencyGuardTest, NakedAdmitsEverythingAndNeverRetries) {
  const auto settings = with("naked");
  ProtectionSet switches(settings);
  DependencyGuard guard("downstream", settings, switches, clock, registry, 1);
  for (int i = 0; i < 50; ++i) {
    auto attempt = guard.begin_attempt();
    ASSERT_TRUE(attempt);
    attempt->finish(CallOutcome::failure);
  }
  std::vector<DependencyCall> held;
  for (int i = 0; i < 10; ++i) held.push_back(std::move(guard.begin_attempt()).value());
  EXPECT_EQ(guard.breaker().state(), BreakerState::closed);
  EXPECT_FALSE(guard.retry_delay(1, std::nullopt, clock.now() + 1h));
}

TEST_F(DependencyGuardTest, FailuresOpenTheBreakerAndNoAttemptPasses) {
  const auto settings = with("breaker");
  ProtectionSet switches(settings);
  DependencyGuard guard("downstream", settings, switches, clock, registry, 1);
  for (int i = 0; i < 10; ++i) {
    auto attempt = guard.begin_attempt();
    ASSERT_TRUE(attempt);
    clock.advance(5ms);
    attempt->finish(CallOutcome::failure);
  }
  auto refused = guard.begin_attempt();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, RejectReason::breaker_open);
  EXPECT_EQ(refused.error().retry_after, 10s);
}

TEST_F(DependencyGuardTest, AttemptsMeasureTheirOwnDurationForTheSlowCallRule) {
  const auto settings = with("breaker");
  ProtectionSet switches(settings);
  DependencyGuard guard("downstream", settings, switches, clock, registry, 1);
  for (int i = 0; i < 10; ++i) {
    auto attempt = guard.begin_attempt();
    clock.advance(2s);
    attempt->finish(CallOutcome::success);
  }
  EXPECT_EQ(guard.breaker().state(), BreakerState::open);
}

TEST_F(DependencyGuardTest, AFullBulkheadGivesTheHalfOpenProbeBack) {
  const auto settings = with("breaker,bulkhead");
  ProtectionSet switches(settings);
  DependencyGuard guard("downstream", settings, switches, clock, registry, 1);
  for (int i = 0; i < 10; ++i) guard.begin_attempt()->finish(CallOutcome::failure);
  clock.advance(10s);
  // Fill the bulkhead with calls the breaker does not see (switch the breaker off briefly).
  auto no_breaker = with("bulkhead");
  switches.replace(no_breaker);
  std::vector<DependencyCall> held;
  held.push_back(std::move(guard.begin_attempt()).value());
  held.push_back(std::move(guard.begin_attempt()).value());
  switches.replace(settings);
  auto full = guard.begin_attempt();  // takes the probe, then finds the bulkhead full
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().reason, RejectReason::bulkhead_full);
  held.clear();
  auto probe = guard.begin_attempt();  // the probe slot came back
  ASSERT_TRUE(probe);
  probe->finish(CallOutcome::success);
  EXPECT_EQ(guard.breaker().state(), BreakerState::closed);
}

TEST_F(DependencyGuardTest, RetriesStopAtTheBudget) {
  const auto settings = with("retry");
  ProtectionSet switches(settings);
  DependencyGuard guard("downstream", settings, switches, clock, registry, 7);
  const auto deadline = clock.now() + 30s;
  for (int i = 0; i < 20; ++i) guard.on_logical_call();  // 2 + min 3 = 5 retries allowed
  for (int i = 0; i < 5; ++i) {
    auto delay = guard.retry_delay(1, std::nullopt, deadline);
    ASSERT_TRUE(delay) << i;
    EXPECT_GE(*delay, 50ms);
    EXPECT_LT(*delay, 100ms);
  }
  EXPECT_FALSE(guard.retry_delay(1, std::nullopt, deadline));
  EXPECT_FALSE(guard.retry_delay(3, std::nullopt, deadline));  // attempts exhausted anyway
}

TEST_F(DependencyGuardTest, RetryAfterFromTheDependencySetsTheLeastWait) {
  auto settings = with("retry");
  settings.params.retry.max_retry_after = 5s;
  ProtectionSet switches(settings);
  DependencyGuard guard("downstream", settings, switches, clock, registry, 7);
  for (int i = 0; i < 20; ++i) guard.on_logical_call();
  auto deadline = clock.now() + 30s;
  // "Retry-After: 3" on a 503: at least 3 s, though the backoff alone would be 50..100 ms.
  EXPECT_EQ(guard.retry_delay(1, server_retry_after(503, "3"), deadline), 3s);
  EXPECT_EQ(guard.retry_delay(2, server_retry_after(429, "5"), deadline), 5s);  // at the cap
  EXPECT_FALSE(guard.retry_delay(1, server_retry_after(503, "6"), deadline));   // past the cap
  // Not retried when the wait would end at or after the deadline.
  clock.advance(27s);
  EXPECT_FALSE(guard.retry_delay(1, server_retry_after(503, "3"), deadline));
  const auto ok = guard.retry_delay(1, server_retry_after(503, "2"), deadline);
  EXPECT_EQ(ok, 2s);
  // A 500's Retry-After is not a request to wait: the backoff applies.
  const auto backoff = guard.retry_delay(1, server_retry_after(500, "2"), deadline);
  ASSERT_TRUE(backoff);
  EXPECT_LT(*backoff, 100ms);
}

TEST_F(DependencyGuardTest, ChangedParametersApplyWithoutResettingAnUnchangedBreaker) {
  auto settings = with("breaker,bulkhead");
  ProtectionSet switches(settings);
  DependencyGuard guard("downstream", settings, switches, clock, registry, 1);
  for (int i = 0; i < 10; ++i) guard.begin_attempt()->finish(CallOutcome::failure);
  auto changed = settings;
  changed.params.bulkhead.max_concurrent = 5;
  guard.apply(settings.params, changed.params);
  EXPECT_EQ(guard.bulkhead().limit(), 5);
  EXPECT_EQ(guard.breaker().state(), BreakerState::open);
}

}  // namespace
}  // namespace loadlab::protect
