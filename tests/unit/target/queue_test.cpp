// Seed 002's queue rule with a manual clock: admission, promotion, readiness and the seed's
// autocannon table for -c 3, 4, 5 and 6 with CONCURRENCY=1.
#include "target/queue.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/clock.hpp"

namespace loadlab::target {
namespace {

using std::chrono::milliseconds;

// `clients` connections that each keep exactly one request in flight, like autocannon -c N:
// returns the admissions of the first round of arrivals.
std::vector<Admission> first_round(WorkQueue& queue, int clients) {
  std::vector<Admission> admissions;
  for (int i = 0; i < clients; ++i) admissions.push_back(queue.arrive().admission);
  return admissions;
}

TEST(WorkQueue, StartsUpToConcurrencyThenQueues) {
  core::ManualClock clock;
  WorkQueue queue(QueueRule{2}, clock);
  EXPECT_EQ(queue.arrive().admission, Admission::started);
  EXPECT_EQ(queue.arrive().admission, Admission::started);
  EXPECT_EQ(queue.arrive().admission, Admission::queued);
  EXPECT_EQ(queue.running(), 2);
  EXPECT_EQ(queue.waiting(), 1u);
  EXPECT_DOUBLE_EQ(queue.ratio(), 0.5);
}

TEST(WorkQueue, RatioCountsWaitingNotRunning) {
  core::ManualClock clock;
  WorkQueue queue(QueueRule{1}, clock);
  queue.arrive();
  EXPECT_DOUBLE_EQ(queue.ratio(), 0.0);
  queue.arrive();
  EXPECT_DOUBLE_EQ(queue.ratio(), 1.0);
}

TEST(WorkQueue, RejectsOnArrivalAtRatioFour) {
  core::ManualClock clock;
  WorkQueue queue(QueueRule{1}, clock);
  for (int i = 0; i < 5; ++i) EXPECT_NE(queue.arrive().admission, Admission::rejected) << i;
  EXPECT_DOUBLE_EQ(queue.ratio(), 4.0);
  const QueueTicket rejected = queue.arrive();
  EXPECT_EQ(rejected.admission, Admission::rejected);
  EXPECT_EQ(rejected.id, 0u);
  EXPECT_EQ(queue.waiting(), 4u);  // the rejected task was never enqueued
}

TEST(WorkQueue, RejectThresholdScalesWithConcurrency) {
  core::ManualClock clock;
  WorkQueue queue(QueueRule{2}, clock);
  for (int i = 0; i < 2 + 8; ++i) EXPECT_NE(queue.arrive().admission, Admission::rejected) << i;
  EXPECT_EQ(queue.arrive().admission, Admission::rejected);
}

TEST(WorkQueue, FinishPromotesTheOldestWaiter) {
  core::ManualClock clock;
  WorkQueue queue(QueueRule{1}, clock);
  const auto first = queue.arrive();
  const auto second = queue.arrive();
  const auto third = queue.arrive();
  EXPECT_EQ(queue.finish(first.id), second.id);
  EXPECT_EQ(queue.running(), 1);
  EXPECT_EQ(queue.waiting(), 1u);
  EXPECT_EQ(queue.finish(second.id), third.id);
  EXPECT_EQ(queue.finish(third.id), std::nullopt);
  EXPECT_EQ(queue.running(), 0);
  EXPECT_EQ(queue.arrive().admission, Admission::started);
}

TEST(WorkQueue, AbandonRemovesOnlyWaiters) {
  core::ManualClock clock;
  WorkQueue queue(QueueRule{1}, clock);
  const auto running = queue.arrive();
  const auto waiting = queue.arrive();
  EXPECT_FALSE(queue.abandon(running.id));
  EXPECT_TRUE(queue.abandon(waiting.id));
  EXPECT_EQ(queue.waiting(), 0u);
  EXPECT_EQ(queue.finish(running.id), std::nullopt);
}

TEST(WorkQueue, ReadinessHoldsUpToRatioTwoInclusive) {
  core::ManualClock clock;
  WorkQueue queue(QueueRule{1}, clock);
  queue.arrive();
  queue.arrive();
  queue.arrive();
  EXPECT_DOUBLE_EQ(queue.ratio(), 2.0);
  EXPECT_TRUE(queue.ready());
  queue.arrive();
  EXPECT_FALSE(queue.ready());
}

TEST(WorkQueue, AgesComeFromTheInjectedClock) {
  core::ManualClock clock;
  WorkQueue queue(QueueRule{1}, clock);
  const auto first = queue.arrive();
  clock.advance(milliseconds(500));
  const auto second = queue.arrive();
  clock.advance(milliseconds(1500));
  EXPECT_EQ(queue.age(first.id), milliseconds(2000));
  EXPECT_EQ(queue.age(second.id), milliseconds(1500));
  EXPECT_EQ(queue.oldest_wait(), milliseconds(1500));
  queue.finish(first.id);
  EXPECT_EQ(queue.oldest_wait(), core::Duration::zero());
  EXPECT_EQ(queue.age(first.id), std::nullopt);
}

// Seed 002's table, CONCURRENCY=1.
TEST(SeedTable, ThreeClientsAreNeverRejectedAndStayReady) {
  core::ManualClock clock;
  WorkQueue queue(QueueRule{1}, clock);
  for (auto admission : first_round(queue, 3)) EXPECT_NE(admission, Admission::rejected);
  EXPECT_TRUE(queue.ready());
  // Steady state: a finished client sends its next request at once.
  for (int round = 0; round < 10; ++round) {
    ASSERT_TRUE(queue.finish(static_cast<std::uint64_t>(round + 1)).has_value());
    EXPECT_NE(queue.arrive().admission, Admission::rejected);
    EXPECT_TRUE(queue.ready());
  }
}

TEST(SeedTable, FourClientsFlipReadinessButAreServed) {
  core::ManualClock clock;
  WorkQueue queue(QueueRule{1}, clock);
  for (auto admission : first_round(queue, 4)) EXPECT_NE(admission, Admission::rejected);
  EXPECT_FALSE(queue.ready());  // 1 running, 3 waiting > 2
}

TEST(SeedTable, FiveClientsAreTheEdgeOneMoreRequestIsRejected) {
  core::ManualClock clock;
  WorkQueue queue(QueueRule{1}, clock);
  for (auto admission : first_round(queue, 5)) EXPECT_NE(admission, Admission::rejected);
  EXPECT_DOUBLE_EQ(queue.ratio(), 4.0);
  EXPECT_EQ(queue.arrive().admission, Admission::rejected);  // the manual request
}

TEST(SeedTable, SixClientsGetMostlyRejections) {
  core::ManualClock clock;
  WorkQueue queue(QueueRule{1}, clock);
  const auto admissions = first_round(queue, 6);
  EXPECT_EQ(admissions.back(), Admission::rejected);
  // The rejected client retries at once, over and over, while the queue stays full.
  int rejected = 0;
  for (int retry = 0; retry < 100; ++retry) {
    if (queue.arrive().admission == Admission::rejected) ++rejected;
  }
  EXPECT_EQ(rejected, 100);
  // A slot frees only when a task finishes; then one retry gets in.
  queue.finish(1);
  EXPECT_EQ(queue.arrive().admission, Admission::queued);
  EXPECT_EQ(queue.arrive().admission, Admission::rejected);
}

}  // namespace
}  // namespace loadlab::target
