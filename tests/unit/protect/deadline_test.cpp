// Request deadlines: header parsing with limits, expiry exactly at the deadline.
#include "protect/deadline.hpp"

#include <gtest/gtest.h>

#include <string>

namespace loadlab::protect {
namespace {

using namespace std::chrono_literals;

TEST(Deadline, DefaultIsThirtySeconds) {
  core::ManualClock clock;
  auto deadline = request_deadline(clock.now(), std::nullopt, DeadlineConfig{});
  ASSERT_TRUE(deadline);
  EXPECT_EQ(deadline->remaining(clock), 30s);
}

TEST(Deadline, HeaderSetsTheTimeoutInMilliseconds) {
  core::ManualClock clock;
  auto deadline = request_deadline(clock.now(), std::string_view{"1500"}, DeadlineConfig{});
  ASSERT_TRUE(deadline);
  EXPECT_EQ(deadline->remaining(clock), 1500ms);
  EXPECT_EQ(*parse_request_timeout(" 250 ", DeadlineConfig{}), 250ms);
}

TEST(Deadline, BadHeadersAreErrorsNamingTheHeaderAndRange) {
  for (std::string_view bad :
       {"", "abc", "-5", "+5", "1.5", "0", "12abc", "300001", "99999999999999999999"}) {
    auto parsed = parse_request_timeout(bad, DeadlineConfig{});
    ASSERT_FALSE(parsed) << bad;
    EXPECT_NE(parsed.error().find("X-Request-Timeout-Ms"), std::string::npos);
    EXPECT_NE(parsed.error().find("1..300000"), std::string::npos) << parsed.error();
  }
  EXPECT_TRUE(parse_request_timeout("300000", DeadlineConfig{}));
  EXPECT_TRUE(parse_request_timeout("1", DeadlineConfig{}));
}

TEST(Deadline, ExpiredFromTheDeadlineItselfOn) {
  core::ManualClock clock;
  const auto deadline = Deadline::after(clock, 100ms);
  clock.advance(100ms - 1ns);
  EXPECT_FALSE(deadline.expired(clock));
  EXPECT_EQ(deadline.remaining(clock), 1ns);
  clock.advance(1ns);
  EXPECT_TRUE(deadline.expired(clock));
  EXPECT_EQ(deadline.remaining(clock), 0ns);
  clock.advance(1s);
  EXPECT_EQ(deadline.remaining(clock), 0ns);  // never negative
}

TEST(Deadline, StepBudgetIsTheSmallerOfItsTimeoutAndWhatIsLeft) {
  core::ManualClock clock;
  const auto deadline = Deadline::after(clock, 3s);
  EXPECT_EQ(deadline.budget_for(1s, clock.now()), 1s);
  clock.advance(2500ms);
  EXPECT_EQ(deadline.budget_for(1s, clock.now()), 500ms);
}

TEST(Deadline, PropagatedTimeoutIsWhatRemainsInWholeMillisecondsAtLeastOne) {
  core::ManualClock clock;
  const auto deadline = Deadline::after(clock, 1500ms);
  EXPECT_EQ(propagated_timeout_ms(deadline, clock.now()), 1500);
  clock.advance(400ms);
  EXPECT_EQ(propagated_timeout_ms(deadline, clock.now()), 1100);
  clock.advance(500us);  // rounded down: the callee never gets more than the caller has
  EXPECT_EQ(propagated_timeout_ms(deadline, clock.now()), 1099);
  const auto callee = request_deadline(
      clock.now(), std::to_string(propagated_timeout_ms(deadline, clock.now())), DeadlineConfig{});
  ASSERT_TRUE(callee);
  EXPECT_LE(callee->at(), deadline.at());
  clock.advance(1099ms + 200us);  // 300 us left: still a valid header value
  EXPECT_EQ(propagated_timeout_ms(deadline, clock.now()), 1);
  EXPECT_TRUE(parse_request_timeout(std::to_string(propagated_timeout_ms(deadline, clock.now())),
                                    DeadlineConfig{}));
}

TEST(Deadline, ValidateChecksTheDefaultAgainstTheRange) {
  DeadlineConfig config;
  config.default_timeout = 10min;
  EXPECT_NE(validate(config), "");
  EXPECT_EQ(validate(DeadlineConfig{}), "");
}

}  // namespace
}  // namespace loadlab::protect
