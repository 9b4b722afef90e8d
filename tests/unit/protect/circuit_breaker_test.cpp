// Circuit breaker rules, exactly, with a manual clock.
#include "protect/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include "metrics/registry.hpp"

namespace loadlab::protect {
namespace {

using namespace std::chrono_literals;

class CircuitBreakerTest : public ::testing::Test {
 protected:
  core::ManualClock clock;
  metrics::Registry registry;

  static CircuitBreakerConfig defaults() { return CircuitBreakerConfig{}; }

  // One call through the breaker; false when it was rejected.
  static bool call(CircuitBreaker& breaker, CallOutcome outcome, core::Duration duration = 10ms) {
    auto permit = breaker.try_acquire();
    if (!permit) return false;
    breaker.on_result(*permit, outcome, duration);
    return true;
  }

  double state_gauge(const std::string& dependency) {
    return registry.gauge("circuit_breaker_state", "", {"dependency"}).with({dependency}).value();
  }
  double transitions(const std::string& dependency, std::string_view to) {
    return registry.counter("circuit_breaker_transitions_total", "", {"dependency", "to"})
        .with({dependency, to})
        .value();
  }

  // Opens a default breaker with ten failures; returns when it opened.
  core::TimePoint trip(CircuitBreaker& breaker) {
    for (int i = 0; i < 10; ++i) EXPECT_TRUE(call(breaker, CallOutcome::failure));
    EXPECT_EQ(breaker.state(), BreakerState::open);
    return clock.now();
  }
};

TEST_F(CircuitBreakerTest, NeverOpensBeforeTheMinimumNumberOfCalls) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  for (int i = 1; i <= 9; ++i) {
    ASSERT_TRUE(call(breaker, CallOutcome::failure));
    EXPECT_EQ(breaker.state(), BreakerState::closed) << "after failure " << i;
  }
  ASSERT_TRUE(call(breaker, CallOutcome::failure));  // the 10th call: 10 >= minimum, 100 % >= 50 %
  EXPECT_EQ(breaker.state(), BreakerState::open);
  EXPECT_EQ(state_gauge("downstream"), 1);
  EXPECT_EQ(transitions("downstream", "open"), 1);
}

TEST_F(CircuitBreakerTest, OpensOnExactlyTheCallWhereTheFailureRateReachesTheThreshold) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(call(breaker, CallOutcome::success));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(call(breaker, CallOutcome::failure));
  EXPECT_EQ(breaker.state(), BreakerState::closed);  // 4 of 10 = 40 %
  ASSERT_TRUE(call(breaker, CallOutcome::failure));
  EXPECT_EQ(breaker.state(), BreakerState::closed);  // 5 of 11 = 45 %
  ASSERT_TRUE(call(breaker, CallOutcome::failure));
  EXPECT_EQ(breaker.state(), BreakerState::open);  // 6 of 12 = 50 %
}

TEST_F(CircuitBreakerTest, FiftyPercentOfTheMinimumTripsOnTheTenthCall) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(call(breaker, CallOutcome::success));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(call(breaker, CallOutcome::failure));
  EXPECT_EQ(breaker.state(), BreakerState::closed);  // 9 calls: below the minimum
  ASSERT_TRUE(call(breaker, CallOutcome::failure));
  EXPECT_EQ(breaker.state(), BreakerState::open);  // 5 of 10
}

TEST_F(CircuitBreakerTest, OnlyTheLastWindowOfCallsCounts) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(call(breaker, CallOutcome::failure));
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(call(breaker, CallOutcome::success));
  EXPECT_EQ(breaker.snapshot().failures, 4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(call(breaker, CallOutcome::success));
  EXPECT_EQ(breaker.snapshot().failures, 0);  // the 4 failures aged out of the window
  EXPECT_EQ(breaker.snapshot().calls, 20);
  for (int i = 1; i <= 9; ++i) {
    ASSERT_TRUE(call(breaker, CallOutcome::failure));
    EXPECT_EQ(breaker.state(), BreakerState::closed) << i << " failures of 20";
  }
  ASSERT_TRUE(call(breaker, CallOutcome::failure));  // 10 of the last 20
  EXPECT_EQ(breaker.state(), BreakerState::open);
}

TEST_F(CircuitBreakerTest, WhileOpenNoCallPassesAndRetryAfterCountsDown) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  trip(breaker);
  auto rejected = breaker.try_acquire();
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().reason, RejectReason::breaker_open);
  EXPECT_EQ(rejected.error().status(), 503);
  EXPECT_EQ(rejected.error().retry_after, 10s);
  clock.advance(3500ms);
  rejected = breaker.try_acquire();
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().retry_after, 7s);  // 6.5 s left, rounded up
}

TEST_F(CircuitBreakerTest, StillOpenOneTickBeforeTheWaitAndHalfOpenAtIt) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  const auto opened = trip(breaker);
  clock.set(opened + 10s - 1ns);
  EXPECT_EQ(breaker.state(), BreakerState::open);
  auto early = breaker.try_acquire();
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().retry_after, 1s);
  clock.set(opened + 10s);
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  EXPECT_EQ(state_gauge("downstream"), 2);
}

TEST_F(CircuitBreakerTest, ExactlyTheConfiguredProbesAreAdmitted) {
  for (int probes : {1, 3}) {
    auto config = defaults();
    config.half_open_probes = probes;
    CircuitBreaker breaker("db" + std::to_string(probes), config, clock, registry);
    trip(breaker);
    clock.advance(10s);
    std::vector<CircuitBreaker::Permit> permits;
    for (int i = 0; i < probes; ++i) {
      auto permit = breaker.try_acquire();
      ASSERT_TRUE(permit) << "probe " << i;
      EXPECT_TRUE(permit->probe);
      permits.push_back(*permit);
    }
    auto next = breaker.try_acquire();
    ASSERT_FALSE(next);
    EXPECT_EQ(next.error().reason, RejectReason::breaker_open);
  }
}

TEST_F(CircuitBreakerTest, ClosesOnlyWhenAllProbesSucceed) {
  auto config = defaults();
  config.half_open_probes = 3;
  CircuitBreaker breaker("downstream", config, clock, registry);
  trip(breaker);
  clock.advance(10s);
  auto a = breaker.try_acquire();
  auto b = breaker.try_acquire();
  auto c = breaker.try_acquire();
  ASSERT_TRUE(a && b && c);
  breaker.on_result(*a, CallOutcome::success, 10ms);
  breaker.on_result(*b, CallOutcome::success, 10ms);
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  breaker.on_result(*c, CallOutcome::success, 10ms);
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  EXPECT_EQ(state_gauge("downstream"), 0);
  EXPECT_EQ(transitions("downstream", "closed"), 1);
  EXPECT_EQ(breaker.snapshot().calls, 0);  // a fresh window after closing
}

TEST_F(CircuitBreakerTest, AFailedProbeReopensForAnotherFullWait) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  trip(breaker);
  clock.advance(10s);
  ASSERT_TRUE(call(breaker, CallOutcome::failure));
  EXPECT_EQ(breaker.state(), BreakerState::open);
  const auto reopened = clock.now();
  clock.set(reopened + 10s - 1ns);
  EXPECT_FALSE(breaker.try_acquire());
  clock.set(reopened + 10s);
  ASSERT_TRUE(call(breaker, CallOutcome::success));
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  EXPECT_EQ(transitions("downstream", "open"), 2);
  EXPECT_EQ(transitions("downstream", "half_open"), 2);
}

TEST_F(CircuitBreakerTest, ASlowProbeCountsAsAFailure) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  trip(breaker);
  clock.advance(10s);
  ASSERT_TRUE(call(breaker, CallOutcome::success, 2s));
  EXPECT_EQ(breaker.state(), BreakerState::open);
}

TEST_F(CircuitBreakerTest, AnIgnoredProbeGivesItsSlotBack) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  trip(breaker);
  clock.advance(10s);
  auto probe = breaker.try_acquire();
  ASSERT_TRUE(probe);
  EXPECT_FALSE(breaker.try_acquire());
  breaker.on_result(*probe, CallOutcome::ignored, 0ms);
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  EXPECT_TRUE(breaker.try_acquire());
}

TEST_F(CircuitBreakerTest, ResultsFromBeforeTheLastStateChangeAreIgnored) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  auto stale = breaker.try_acquire();  // admitted while closed
  ASSERT_TRUE(stale);
  trip(breaker);
  clock.advance(10s);
  auto probe = breaker.try_acquire();
  ASSERT_TRUE(probe);
  breaker.on_result(*stale, CallOutcome::success, 10ms);  // must not close the breaker
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  breaker.on_result(*probe, CallOutcome::success, 10ms);
  EXPECT_EQ(breaker.state(), BreakerState::closed);
}

TEST_F(CircuitBreakerTest, SlowCallRateOpensWhenEveryCallInTheWindowIsSlow) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);  // slow = 2 s, 100 %
  ASSERT_TRUE(call(breaker, CallOutcome::success, 2s - 1ns));         // just under: not slow
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(call(breaker, CallOutcome::success, 2s));
  EXPECT_EQ(breaker.state(), BreakerState::closed);  // 9 slow of 10
  EXPECT_EQ(breaker.snapshot().slow_calls, 9);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(call(breaker, CallOutcome::success, 3s));
  EXPECT_EQ(breaker.state(), BreakerState::closed);      // 19 slow of 20: the fast one still counts
  ASSERT_TRUE(call(breaker, CallOutcome::success, 3s));  // the fast one leaves the window
  EXPECT_EQ(breaker.state(), BreakerState::open);
}

TEST_F(CircuitBreakerTest, SlowCallRateThresholdBelowHundredPercent) {
  auto config = defaults();
  config.slow_call_rate_threshold_percent = 50;
  CircuitBreaker breaker("downstream", config, clock, registry);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(call(breaker, CallOutcome::success, 10ms));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(call(breaker, CallOutcome::success, 5s));
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  ASSERT_TRUE(call(breaker, CallOutcome::success, 5s));
  EXPECT_EQ(breaker.state(), BreakerState::open);
}

TEST_F(CircuitBreakerTest, ConsecutiveFailureRuleOfSeed004) {
  auto config = defaults();
  config.rule = TripRule::consecutive_failures;
  CircuitBreaker breaker("upstream", config, clock, registry);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(call(breaker, CallOutcome::failure));
  ASSERT_TRUE(call(breaker, CallOutcome::success));  // resets the run
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(call(breaker, CallOutcome::failure));
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  ASSERT_TRUE(call(breaker, CallOutcome::failure));  // the 5th in a row
  EXPECT_EQ(breaker.state(), BreakerState::open);
  clock.advance(10s);
  ASSERT_TRUE(call(breaker, CallOutcome::success));
  EXPECT_EQ(breaker.state(), BreakerState::closed);
}

TEST_F(CircuitBreakerTest, ConsecutiveRuleIgnoresSlowCalls) {
  auto config = defaults();
  config.rule = TripRule::consecutive_failures;
  CircuitBreaker breaker("upstream", config, clock, registry);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(call(breaker, CallOutcome::success, 10s));
  EXPECT_EQ(breaker.state(), BreakerState::closed);
}

TEST_F(CircuitBreakerTest, IgnoredOutcomesAreNotRecorded) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(call(breaker, CallOutcome::ignored));
  EXPECT_EQ(breaker.snapshot().calls, 0);
}

TEST_F(CircuitBreakerTest, ReconfiguringAnOpenBreakerKeepsItOpenWithTheNewWait) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  const auto opened = trip(breaker);
  clock.advance(2s);
  auto longer = defaults();
  longer.open_duration = 59s;
  breaker.reconfigure(longer);
  EXPECT_EQ(breaker.state(), BreakerState::open);
  EXPECT_EQ(state_gauge("downstream"), 1);
  EXPECT_EQ(transitions("downstream", "closed"), 0);
  auto rejected = breaker.try_acquire();
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().retry_after, 57s);  // 59 s from when it opened, 2 s ago
  clock.set(opened + 59s - 1ns);
  EXPECT_EQ(breaker.state(), BreakerState::open);
  clock.set(opened + 59s);
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
}

TEST_F(CircuitBreakerTest, AShorterOpenWaitAlreadyOverGoesHalfOpenOnTheNextCall) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  trip(breaker);
  clock.advance(3s);
  auto shorter = defaults();
  shorter.open_duration = 2s;
  breaker.reconfigure(shorter);
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  EXPECT_EQ(transitions("downstream", "closed"), 0);
}

TEST_F(CircuitBreakerTest, ReconfiguringAHalfOpenBreakerKeepsItsProbe) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  trip(breaker);
  clock.advance(10s);
  auto probe = breaker.try_acquire();
  ASSERT_TRUE(probe);
  auto changed = defaults();
  changed.open_duration = 20s;
  breaker.reconfigure(changed);
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  EXPECT_FALSE(breaker.try_acquire());  // the one probe is still out
  breaker.on_result(*probe, CallOutcome::success, 10ms);
  EXPECT_EQ(breaker.state(), BreakerState::closed);
}

TEST_F(CircuitBreakerTest, ReconfiguringAClosedBreakerKeepsTheOutcomesInItsWindow) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(call(breaker, CallOutcome::failure));
  auto changed = defaults();
  changed.open_duration = 30s;
  breaker.reconfigure(changed);
  EXPECT_EQ(breaker.snapshot().failures, 9);
  ASSERT_TRUE(call(breaker, CallOutcome::failure));  // the 10th failure trips as before
  EXPECT_EQ(breaker.state(), BreakerState::open);
}

TEST_F(CircuitBreakerTest, ASmallerWindowKeepsTheMostRecentOutcomes) {
  CircuitBreaker breaker("downstream", defaults(), clock, registry);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(call(breaker, CallOutcome::success));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(call(breaker, CallOutcome::failure));
  auto smaller = defaults();
  smaller.window_size = 6;
  smaller.minimum_calls = 6;
  breaker.reconfigure(smaller);
  auto kept = breaker.snapshot();
  EXPECT_EQ(kept.calls, 6);  // two successes and the four failures
  EXPECT_EQ(kept.failures, 4);
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  ASSERT_TRUE(call(breaker, CallOutcome::success));  // the oldest success leaves: 4 of 6 failed
  EXPECT_EQ(breaker.state(), BreakerState::open);
}

TEST_F(CircuitBreakerTest, ALargerWindowKeepsEveryOutcomeAndFillsUp) {
  auto small = defaults();
  small.window_size = 4;
  small.minimum_calls = 4;
  CircuitBreaker breaker("downstream", small, clock, registry);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(call(breaker, CallOutcome::success));  // ring wrapped
  breaker.reconfigure(defaults());
  EXPECT_EQ(breaker.snapshot().calls, 4);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(call(breaker, CallOutcome::failure));
  EXPECT_EQ(breaker.snapshot().calls, 9);
  EXPECT_EQ(breaker.state(), BreakerState::closed);  // 9 calls, under the minimum of 10
  ASSERT_TRUE(call(breaker, CallOutcome::failure));  // 6 of 10 failed
  EXPECT_EQ(breaker.state(), BreakerState::open);
}

TEST_F(CircuitBreakerTest, ValidateNamesTheField) {
  auto config = defaults();
  config.minimum_calls = 21;
  EXPECT_NE(validate(config).find("minimum_calls"), std::string::npos);
  EXPECT_EQ(validate(defaults()), "");
}

}  // namespace
}  // namespace loadlab::protect
