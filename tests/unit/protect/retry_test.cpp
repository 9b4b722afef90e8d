// Retry decisions (backoff, jitter, Retry-After, deadline) and the retry budget's arithmetic.
#include <gtest/gtest.h>

#include "metrics/registry.hpp"
#include "protect/retry_budget.hpp"
#include "protect/retry_policy.hpp"

namespace loadlab::protect {
namespace {

using namespace std::chrono_literals;

UniformRandom constant(double value) {
  return [value] { return value; };
}

TEST(RetryPolicy, AtMostThreeAttempts) {
  const RetryPolicy policy(RetryConfig{}, constant(0.0));
  const core::TimePoint now{};
  const auto deadline = now + 30s;
  EXPECT_EQ(policy.next_delay(1, std::nullopt, now, deadline), 50ms);   // 100 ms, jittered down
  EXPECT_EQ(policy.next_delay(2, std::nullopt, now, deadline), 100ms);  // 200 ms
  EXPECT_FALSE(policy.next_delay(3, std::nullopt, now, deadline));
  EXPECT_FALSE(policy.next_delay(0, std::nullopt, now, deadline));
}

TEST(RetryPolicy, JitterSpansTheUpperHalfAndTheCapHolds) {
  RetryConfig config;
  config.max_attempts = 10;
  config.base_delay = 1s;
  config.max_delay = 2s;
  const core::TimePoint now{};
  const auto deadline = now + 1h;
  const RetryPolicy low(config, constant(0.0));
  const RetryPolicy high(config, constant(0.75));
  EXPECT_EQ(low.next_delay(1, std::nullopt, now, deadline), 500ms);
  EXPECT_EQ(high.next_delay(1, std::nullopt, now, deadline), 875ms);
  EXPECT_EQ(low.next_delay(5, std::nullopt, now, deadline), 1s);  // 16 s capped to 2 s
  EXPECT_EQ(high.next_delay(5, std::nullopt, now, deadline), 1750ms);
}

TEST(RetryPolicy, RetryAfterIsHonouredUpToItsMaximum) {
  const RetryPolicy policy(RetryConfig{}, constant(0.5));
  const core::TimePoint now{};
  const auto deadline = now + 60s;
  EXPECT_EQ(policy.next_delay(1, 5s, now, deadline), 5s);
  EXPECT_EQ(policy.next_delay(1, 10ms, now, deadline), 75ms);  // the backoff is longer
  EXPECT_EQ(policy.next_delay(1, 30s, now, deadline), 30s);
  EXPECT_FALSE(policy.next_delay(1, 31s, now, deadline));
}

TEST(RetryPolicy, NeverRetriesPastTheDeadline) {
  const RetryPolicy policy(RetryConfig{}, constant(0.0));
  const core::TimePoint now{};
  EXPECT_FALSE(policy.next_delay(1, std::nullopt, now, now + 50ms));  // would start at it
  EXPECT_EQ(policy.next_delay(1, std::nullopt, now, now + 50ms + 1ns), 50ms);
  EXPECT_FALSE(policy.next_delay(1, 2s, now, now + 2s));
  EXPECT_FALSE(policy.next_delay(1, std::nullopt, now + 1s, now));  // already passed
}

TEST(ServerRetryAfter, DeltaSecondsOn429And503Only) {
  EXPECT_EQ(server_retry_after(503, "2"), 2s);
  EXPECT_EQ(server_retry_after(429, " 120 "), 120s);
  EXPECT_EQ(server_retry_after(503, "0"), 0s);
  EXPECT_EQ(server_retry_after(500, "2"), std::nullopt);  // other statuses ask for nothing
  EXPECT_EQ(server_retry_after(502, "2"), std::nullopt);
  EXPECT_EQ(server_retry_after(200, "2"), std::nullopt);
  for (std::string_view bad : {"", " ", "-1", "+1", "1.5", "2s", "Wed, 21 Oct 2015 07:28:00 GMT"}) {
    EXPECT_EQ(server_retry_after(503, bad), std::nullopt) << bad;
  }
  // Huge values saturate instead of overflowing, and remain too long to honour.
  const auto huge = server_retry_after(503, "99999999999999999999999");
  ASSERT_TRUE(huge);
  EXPECT_EQ(*huge, std::chrono::seconds{1'000'000'000});
  const RetryPolicy policy(RetryConfig{}, constant(0.0));
  EXPECT_FALSE(policy.next_delay(1, huge, core::TimePoint{}, core::TimePoint::max()));
}

class RetryBudgetTest : public ::testing::Test {
 protected:
  core::ManualClock clock;  // starts on a whole second: bucket boundaries are exact
  metrics::Registry registry;
};

TEST_F(RetryBudgetTest, TenPercentOfCallsPlusTheMinimum) {
  RetryBudget budget("downstream", RetryBudgetConfig{}, clock, registry);
  for (int i = 0; i < 100; ++i) budget.on_call();
  for (int i = 0; i < 13; ++i) EXPECT_TRUE(budget.try_spend()) << i;
  EXPECT_FALSE(budget.try_spend());
  EXPECT_EQ(budget.snapshot().allowed, 13);
  EXPECT_EQ(budget.snapshot().retries, 13);
  for (int i = 0; i < 9; ++i) budget.on_call();
  EXPECT_FALSE(budget.try_spend());  // 109 calls: still 13 allowed
  budget.on_call();
  EXPECT_TRUE(budget.try_spend());  // 110 calls: 14
  EXPECT_EQ(registry.counter("retry_budget_exhausted_total", "", {"dependency"})
                .with({"downstream"})
                .value(),
            2);
}

TEST_F(RetryBudgetTest, AQuietServiceMayStillRetryTheMinimum) {
  RetryBudget budget("downstream", RetryBudgetConfig{}, clock, registry);
  EXPECT_TRUE(budget.try_spend());
  EXPECT_TRUE(budget.try_spend());
  EXPECT_TRUE(budget.try_spend());
  EXPECT_FALSE(budget.try_spend());
}

TEST_F(RetryBudgetTest, CallsAndRetriesAgeOutOfTheWindow) {
  RetryBudget budget("downstream", RetryBudgetConfig{}, clock, registry);
  for (int i = 0; i < 100; ++i) budget.on_call();
  for (int i = 0; i < 13; ++i) ASSERT_TRUE(budget.try_spend());
  clock.advance(10s - 1ns);  // same window still
  EXPECT_FALSE(budget.try_spend());
  EXPECT_EQ(budget.snapshot().calls, 100);
  clock.advance(1ns);  // the first bucket leaves
  EXPECT_EQ(budget.snapshot().calls, 0);
  EXPECT_EQ(budget.snapshot().retries, 0);
  EXPECT_TRUE(budget.try_spend());
}

TEST_F(RetryBudgetTest, ZeroPercentAllowsOnlyTheMinimum) {
  RetryBudgetConfig config;
  config.percent = 0;
  config.min_retries = 1;
  RetryBudget budget("downstream", config, clock, registry);
  for (int i = 0; i < 1000; ++i) budget.on_call();
  EXPECT_TRUE(budget.try_spend());
  EXPECT_FALSE(budget.try_spend());
}

}  // namespace
}  // namespace loadlab::protect
