// The pool's rules with a manual clock: size, overflow, FIFO hand-over, deadlines, statistics.
#include "db/pool_ledger.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace loadlab::db {
namespace {

using namespace std::chrono_literals;
using Admission = PoolLedger::Admission;

struct FakeConnection : PooledConnection {
  explicit FakeConnection(int n) : number(n) {}
  int number;
};

std::unique_ptr<PooledConnection> fake(int number) {
  return std::make_unique<FakeConnection>(number);
}
int number_of(const std::unique_ptr<PooledConnection>& connection) {
  return static_cast<FakeConnection&>(*connection).number;
}

class PoolLedgerTest : public ::testing::Test {
 protected:
  core::ManualClock clock;
  core::TimePoint now() const { return clock.now(); }
};

TEST_F(PoolLedgerTest, OpensUpToSizePlusOverflowThenQueues) {
  PoolLedger ledger(2, 1);
  EXPECT_EQ(ledger.acquire(1, now(), std::nullopt).admission, Admission::open_new);
  EXPECT_EQ(ledger.acquire(2, now(), std::nullopt).admission, Admission::open_new);
  EXPECT_EQ(ledger.acquire(3, now(), std::nullopt).admission, Admission::open_new);  // overflow
  EXPECT_EQ(ledger.acquire(4, now(), std::nullopt).admission, Admission::wait);
  const PoolStats stats = ledger.stats();
  EXPECT_EQ(stats.in_use, 3);
  EXPECT_EQ(stats.idle, 0);
  EXPECT_EQ(stats.waiting, 1);
  EXPECT_EQ(stats.size, 3);
  EXPECT_EQ(stats.max, 3);
}

TEST_F(PoolLedgerTest, ReusesIdleConnectionsBeforeOpeningNewOnes) {
  PoolLedger ledger(2, 0);
  ASSERT_EQ(ledger.acquire(1, now(), std::nullopt).admission, Admission::open_new);
  ledger.release(fake(7), ConnectionHealth::reusable);
  EXPECT_EQ(ledger.stats().idle, 1);
  auto result = ledger.acquire(2, now(), std::nullopt);
  ASSERT_EQ(result.admission, Admission::use_idle);
  EXPECT_EQ(number_of(result.connection), 7);
  EXPECT_EQ(ledger.stats().idle, 0);
  EXPECT_EQ(ledger.stats().in_use, 1);
}

TEST_F(PoolLedgerTest, ReleaseHandsTheConnectionToTheOldestWaiter) {
  PoolLedger ledger(1, 0);
  ASSERT_EQ(ledger.acquire(1, now(), std::nullopt).admission, Admission::open_new);
  clock.advance(1ms);
  ASSERT_EQ(ledger.acquire(2, now(), std::nullopt).admission, Admission::wait);
  clock.advance(1ms);
  ASSERT_EQ(ledger.acquire(3, now(), std::nullopt).admission, Admission::wait);

  auto released = ledger.release(fake(1), ConnectionHealth::reusable);
  ASSERT_TRUE(released.handoff);
  EXPECT_EQ(released.handoff->waiter, 2u);
  EXPECT_EQ(number_of(released.handoff->connection), 1);
  EXPECT_EQ(released.handoff->enqueued_at, clock.now() - 1ms);
  EXPECT_FALSE(released.to_close);
  EXPECT_EQ(ledger.stats().in_use, 1);
  EXPECT_EQ(ledger.stats().waiting, 1);

  released = ledger.release(fake(1), ConnectionHealth::reusable);
  ASSERT_TRUE(released.handoff);
  EXPECT_EQ(released.handoff->waiter, 3u);
}

TEST_F(PoolLedgerTest, NewcomerDoesNotOvertakeQueuedWaiters) {
  PoolLedger ledger(1, 0);
  ASSERT_EQ(ledger.acquire(1, now(), std::nullopt).admission, Admission::open_new);
  ASSERT_EQ(ledger.acquire(2, now(), std::nullopt).admission, Admission::wait);
  auto released = ledger.release(fake(1), ConnectionHealth::reusable);
  ASSERT_TRUE(released.handoff);
  // The connection went to waiter 2, so a newcomer queues even though a release happened.
  EXPECT_EQ(ledger.acquire(3, now(), std::nullopt).admission, Admission::wait);
}

TEST_F(PoolLedgerTest, OverflowConnectionsAreClosedWhenReturned) {
  PoolLedger ledger(1, 2);
  for (WaiterId id = 1; id <= 3; ++id) {
    ASSERT_EQ(ledger.acquire(id, now(), std::nullopt).admission, Admission::open_new);
  }
  EXPECT_FALSE(ledger.release(fake(1), ConnectionHealth::reusable).to_close);
  auto second = ledger.release(fake(2), ConnectionHealth::reusable);
  ASSERT_TRUE(second.to_close);
  EXPECT_EQ(number_of(second.to_close), 2);
  EXPECT_TRUE(ledger.release(fake(3), ConnectionHealth::reusable).to_close);
  const PoolStats stats = ledger.stats();
  EXPECT_EQ(stats.idle, 1);
  EXPECT_EQ(stats.in_use, 0);
  EXPECT_EQ(stats.size, 1);
}

TEST_F(PoolLedgerTest, BrokenConnectionIsClosedAndItsSlotHandedOn) {
  PoolLedger ledger(1, 0);
  ASSERT_EQ(ledger.acquire(1, now(), std::nullopt).admission, Admission::open_new);
  ASSERT_EQ(ledger.acquire(2, now(), std::nullopt).admission, Admission::wait);
  auto released = ledger.release(fake(1), ConnectionHealth::broken);
  ASSERT_TRUE(released.to_close);
  ASSERT_TRUE(released.handoff);
  EXPECT_EQ(released.handoff->waiter, 2u);
  EXPECT_FALSE(released.handoff->connection);  // the waiter opens a new one
  EXPECT_EQ(ledger.stats().in_use, 1);
}

TEST_F(PoolLedgerTest, FailedOpenGivesTheSlotBack) {
  PoolLedger ledger(1, 0);
  ASSERT_EQ(ledger.acquire(1, now(), std::nullopt).admission, Admission::open_new);
  ledger.release(nullptr, ConnectionHealth::broken);
  EXPECT_EQ(ledger.stats().in_use, 0);
  EXPECT_EQ(ledger.acquire(2, now(), std::nullopt).admission, Admission::open_new);
}

TEST_F(PoolLedgerTest, WaitersExpireAtTheirDeadlineAndAreCounted) {
  PoolLedger ledger(1, 0);
  ASSERT_EQ(ledger.acquire(1, now(), std::nullopt).admission, Admission::open_new);
  ASSERT_EQ(ledger.acquire(2, now(), now() + 100ms).admission, Admission::wait);
  ASSERT_EQ(ledger.acquire(3, now(), now() + 300ms).admission, Admission::wait);
  ASSERT_EQ(ledger.acquire(4, now(), std::nullopt).admission, Admission::wait);
  EXPECT_EQ(ledger.next_deadline(), now() + 100ms);

  clock.advance(99ms);
  EXPECT_TRUE(ledger.expire(now()).empty());
  clock.advance(1ms);
  EXPECT_EQ(ledger.expire(now()), std::vector<WaiterId>{2});
  EXPECT_EQ(ledger.stats().acquire_timeouts, 1u);
  EXPECT_EQ(ledger.stats().waiting, 2);

  clock.advance(1h);
  EXPECT_EQ(ledger.expire(now()), std::vector<WaiterId>{3});  // no deadline: waits forever
  EXPECT_EQ(ledger.stats().acquire_timeouts, 2u);
  EXPECT_FALSE(ledger.next_deadline());

  auto released = ledger.release(fake(1), ConnectionHealth::reusable);
  ASSERT_TRUE(released.handoff);
  EXPECT_EQ(released.handoff->waiter, 4u);
}

TEST_F(PoolLedgerTest, PassedDeadlineWithNothingFreeTimesOutAtOnce) {
  PoolLedger ledger(1, 0);
  ASSERT_EQ(ledger.acquire(1, now(), std::nullopt).admission, Admission::open_new);
  EXPECT_EQ(ledger.acquire(2, now(), now()).admission, Admission::timed_out);
  EXPECT_EQ(ledger.stats().waiting, 0);
  EXPECT_EQ(ledger.stats().acquire_timeouts, 1u);
}

TEST_F(PoolLedgerTest, FreeConnectionIsGrantedEvenWithAPassedDeadline) {
  PoolLedger ledger(1, 0);
  EXPECT_EQ(ledger.acquire(1, now(), now() - 1ms).admission, Admission::open_new);
}

TEST_F(PoolLedgerTest, TimeOutCountsButCancelDoesNot) {
  PoolLedger ledger(1, 0);
  ASSERT_EQ(ledger.acquire(1, now(), std::nullopt).admission, Admission::open_new);
  ASSERT_EQ(ledger.acquire(2, now(), std::nullopt).admission, Admission::wait);
  ASSERT_EQ(ledger.acquire(3, now(), std::nullopt).admission, Admission::wait);
  EXPECT_TRUE(ledger.time_out(2));
  EXPECT_FALSE(ledger.time_out(2));
  EXPECT_TRUE(ledger.cancel(3));
  EXPECT_EQ(ledger.stats().acquire_timeouts, 1u);
  EXPECT_EQ(ledger.stats().waiting, 0);
  // Nobody waits any more: the connection goes idle.
  EXPECT_FALSE(ledger.release(fake(1), ConnectionHealth::reusable).handoff);
  EXPECT_EQ(ledger.stats().idle, 1);
}

TEST_F(PoolLedgerTest, CloseRefusesAcquiresAndReturnsWaitersAndIdle) {
  PoolLedger ledger(2, 0);
  ASSERT_EQ(ledger.acquire(1, now(), std::nullopt).admission, Admission::open_new);
  ASSERT_EQ(ledger.acquire(2, now(), std::nullopt).admission, Admission::open_new);
  ledger.release(fake(2), ConnectionHealth::reusable);
  ASSERT_EQ(ledger.acquire(3, now(), std::nullopt).admission, Admission::use_idle);
  ASSERT_EQ(ledger.acquire(4, now(), std::nullopt).admission, Admission::wait);
  ledger.release(fake(3), ConnectionHealth::reusable);  // handed to 4
  ASSERT_EQ(ledger.acquire(5, now(), std::nullopt).admission, Admission::wait);

  auto shutdown = ledger.close();
  EXPECT_EQ(shutdown.waiters, std::vector<WaiterId>{5});
  EXPECT_TRUE(shutdown.idle.empty());
  EXPECT_EQ(ledger.acquire(6, now(), std::nullopt).admission, Admission::closed);
  // Connections coming back after close are closed, not kept.
  EXPECT_TRUE(ledger.release(fake(1), ConnectionHealth::reusable).to_close);
  EXPECT_TRUE(ledger.release(fake(4), ConnectionHealth::reusable).to_close);
  EXPECT_EQ(ledger.stats().in_use, 0);
  EXPECT_EQ(ledger.stats().idle, 0);
}

TEST(PoolLedgerOptions, RejectsNonsenseSizes) {
  EXPECT_THROW(PoolLedger(0, 0), std::invalid_argument);
  EXPECT_THROW(PoolLedger(1, -1), std::invalid_argument);
}

}  // namespace
}  // namespace loadlab::db
