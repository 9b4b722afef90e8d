// The manual clock moves only when told; the steady clock never goes back.
#include "core/clock.hpp"

#include <gtest/gtest.h>

namespace loadlab::core {
namespace {

using namespace std::chrono_literals;

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock;
  const TimePoint start = clock.now();
  EXPECT_EQ(clock.now(), start);
  clock.advance(1500ms);
  EXPECT_EQ(clock.now() - start, 1500ms);
  clock.set(start + 10s);
  EXPECT_EQ(clock.now() - start, 10s);
}

TEST(SteadyClock, IsMonotonic) {
  const Clock& clock = SteadyClock::instance();
  const TimePoint a = clock.now();
  const TimePoint b = clock.now();
  EXPECT_LE(a, b);
}

}  // namespace
}  // namespace loadlab::core
