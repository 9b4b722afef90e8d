// CrashLoopBackOff policy on a manual clock: doubling, cap, reset after a healthy run.
#include "lab/restart_backoff.hpp"

#include <gtest/gtest.h>

namespace loadlab::lab {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RestartBackoff, DoublesFromHalfASecondUpToTheCap) {
  core::ManualClock clock;
  RestartBackoff backoff(BackoffSettings{milliseconds(500), seconds(4), seconds(20)});
  std::vector<core::Duration> delays;
  for (int death = 0; death < 6; ++death) {
    const auto started = clock.now();
    clock.advance(milliseconds(100));
    const auto due = backoff.schedule_restart(started, clock.now());
    delays.push_back(due - clock.now());
    clock.set(due);
  }
  const std::vector<core::Duration> expected{milliseconds(500), seconds(1), seconds(2),
                                             seconds(4),        seconds(4), seconds(4)};
  EXPECT_EQ(delays, expected);
}

TEST(RestartBackoff, ALongHealthyRunResetsTheDelay) {
  core::ManualClock clock;
  RestartBackoff backoff(BackoffSettings{milliseconds(500), seconds(8), seconds(20)});
  auto started = clock.now();
  clock.advance(seconds(1));
  backoff.schedule_restart(started, clock.now());
  started = clock.now();
  clock.advance(seconds(1));
  EXPECT_EQ(backoff.schedule_restart(started, clock.now()) - clock.now(), seconds(1));
  started = clock.now();
  clock.advance(seconds(30));  // stayed up longer than reset_after
  EXPECT_EQ(backoff.schedule_restart(started, clock.now()) - clock.now(), milliseconds(500));
}

}  // namespace
}  // namespace loadlab::lab
