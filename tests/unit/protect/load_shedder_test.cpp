// Priority tiers of the load shedder admit and reject at their exact integer thresholds.
#include "protect/load_shedder.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "metrics/registry.hpp"

namespace loadlab::protect {
namespace {

LoadShedderConfig with_limit(int limit) {
  LoadShedderConfig config;
  config.limit = limit;
  return config;
}

// Admits requests of one tier until the first rejection; returns how many got in.
int fill(LoadShedder& shedder, Priority priority, std::vector<SlotPermit>& held) {
  int admitted = 0;
  while (true) {
    auto permit = shedder.try_acquire(priority);
    if (!permit) return admitted;
    held.push_back(std::move(permit).value());
    ++admitted;
  }
}

TEST(LoadShedder, ThresholdsAreFloorOfLimitTimesPercentAndAtLeastOne) {
  metrics::Registry registry;
  LoadShedder ten(with_limit(10), registry);
  EXPECT_EQ(ten.threshold(Priority::low), 7);
  EXPECT_EQ(ten.threshold(Priority::normal), 9);
  EXPECT_EQ(ten.threshold(Priority::high), 10);
  LoadShedder three(with_limit(3), registry);
  EXPECT_EQ(three.threshold(Priority::low), 2);     // 2.1
  EXPECT_EQ(three.threshold(Priority::normal), 2);  // 2.7
  EXPECT_EQ(three.threshold(Priority::high), 3);
  LoadShedder one(with_limit(1), registry);
  EXPECT_EQ(one.threshold(Priority::low), 1);  // an idle server admits every tier
}

TEST(LoadShedder, EachTierAloneIsAdmittedUpToItsThreshold) {
  metrics::Registry registry;
  for (auto [priority, expected] : {std::pair{Priority::low, 7}, std::pair{Priority::normal, 9},
                                    std::pair{Priority::high, 10}}) {
    LoadShedder shedder(with_limit(10), registry);
    std::vector<SlotPermit> held;
    EXPECT_EQ(fill(shedder, priority, held), expected) << priority_name(priority);
    EXPECT_EQ(shedder.inflight(), expected);
  }
}

TEST(LoadShedder, LowerTiersAreShedFirstWhileHigherOnesStillGetIn) {
  metrics::Registry registry;
  LoadShedder shedder(with_limit(10), registry);
  std::vector<SlotPermit> held;
  ASSERT_EQ(fill(shedder, Priority::low, held), 7);  // inflight 7
  auto low = shedder.try_acquire(Priority::low);
  ASSERT_FALSE(low);
  EXPECT_EQ(low.error().status(), 429);
  EXPECT_EQ(low.error().reason, RejectReason::concurrency_limit);
  EXPECT_EQ(low.error().retry_after, std::chrono::seconds{1});
  ASSERT_EQ(fill(shedder, Priority::normal, held), 2);  // 8, 9
  ASSERT_EQ(fill(shedder, Priority::high, held), 1);    // 10
  EXPECT_FALSE(shedder.try_acquire(Priority::high));
  held.pop_back();  // one request finishes: inflight 9
  EXPECT_FALSE(shedder.try_acquire(Priority::normal));
  EXPECT_TRUE(shedder.try_acquire(Priority::high));  // released again at end of statement
  EXPECT_EQ(shedder.inflight(), 9);
}

TEST(LoadShedder, PermitsReleaseOnDestructionAndOnlyOnce) {
  metrics::Registry registry;
  LoadShedder shedder(with_limit(10), registry);
  {
    auto permit = shedder.try_acquire(Priority::normal);
    ASSERT_TRUE(permit);
    SlotPermit moved = std::move(permit).value();
    SlotPermit again = std::move(moved);
    EXPECT_EQ(shedder.inflight(), 1);
    again.release();
    EXPECT_EQ(shedder.inflight(), 0);
  }
  EXPECT_EQ(shedder.inflight(), 0);
}

TEST(LoadShedder, RejectionsAreCountedByReasonAndPriority) {
  metrics::Registry registry;
  LoadShedder shedder(with_limit(1), registry);
  auto held = shedder.try_acquire(Priority::high);
  ASSERT_TRUE(held);
  EXPECT_FALSE(shedder.try_acquire(Priority::low));
  EXPECT_FALSE(shedder.try_acquire(Priority::low));
  EXPECT_FALSE(shedder.try_acquire(Priority::high));
  EXPECT_EQ(registry.counter("load_shed_total", "", {"reason"}).with({"concurrency_limit"}).value(),
            3);
  auto& by_priority = registry.counter("load_shed_priority_total", "", {"priority"});
  EXPECT_EQ(by_priority.with({"low"}).value(), 2);
  EXPECT_EQ(by_priority.with({"high"}).value(), 1);
}

TEST(LoadShedder, ReconfigureChangesTheThresholds) {
  metrics::Registry registry;
  LoadShedder shedder(with_limit(10), registry);
  auto config = with_limit(20);
  config.tier_percent = {50, 75, 100};
  config.retry_after = std::chrono::seconds{3};
  shedder.reconfigure(config);
  EXPECT_EQ(shedder.threshold(Priority::low), 10);
  EXPECT_EQ(shedder.threshold(Priority::normal), 15);
  std::vector<SlotPermit> held;
  EXPECT_EQ(fill(shedder, Priority::low, held), 10);
  EXPECT_EQ(shedder.try_acquire(Priority::low).error().retry_after, std::chrono::seconds{3});
}

TEST(LoadShedder, PriorityNamesParse) {
  EXPECT_EQ(parse_priority("low"), Priority::low);
  EXPECT_EQ(parse_priority("normal"), Priority::normal);
  EXPECT_EQ(parse_priority("high"), Priority::high);
  EXPECT_FALSE(parse_priority("urgent"));
  EXPECT_FALSE(parse_priority(""));
}

TEST(LoadShedder, ValidateRejectsFallingTiers) {
  auto config = with_limit(10);
  config.tier_percent = {90, 70, 100};
  EXPECT_NE(validate(config), "");
  EXPECT_EQ(validate(with_limit(10)), "");
}

}  // namespace
}  // namespace loadlab::protect
