// Bounded queue admission: capacity at enqueue, the CoDel sojourn rule at dequeue.
#include "protect/codel_queue.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "metrics/registry.hpp"

namespace loadlab::protect {
namespace {

using namespace std::chrono_literals;

class CodelQueueTest : public ::testing::Test {
 protected:
  core::ManualClock clock;
  metrics::Registry registry;
  CodelQueueConfig config{3, 5ms, 100ms};  // capacity 3, target 5 ms, interval 100 ms

  double shed(std::string_view reason) {
    return registry.counter("load_shed_total", "", {"reason"}).with({reason}).value();
  }
};

TEST_F(CodelQueueTest, OverflowIsRejectedWith503) {
  CodelQueue queue("compute", config, clock, registry);
  auto a = queue.try_enqueue();
  ASSERT_TRUE(a);
  ASSERT_TRUE(queue.try_enqueue());
  ASSERT_TRUE(queue.try_enqueue());
  auto full = queue.try_enqueue();
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().reason, RejectReason::queue_full);
  EXPECT_EQ(full.error().status(), 503);
  EXPECT_EQ(shed("queue_full"), 1);
  ASSERT_TRUE(queue.on_dequeue(*a));
  EXPECT_EQ(queue.depth(), 2u);
  EXPECT_TRUE(queue.try_enqueue());
}

TEST_F(CodelQueueTest, ABurstThatDrainsWithinAnIntervalIsNeverDropped) {
  CodelQueue queue("compute", config, clock, registry);
  auto a = queue.try_enqueue();
  auto b = queue.try_enqueue();
  clock.advance(50ms);  // long waits, but the queue has not stood for a whole interval
  auto ran = queue.on_dequeue(*a);
  ASSERT_TRUE(ran);
  EXPECT_EQ(*ran, 50ms);
  EXPECT_TRUE(queue.on_dequeue(*b));
  EXPECT_FALSE(queue.overloaded());
}

TEST_F(CodelQueueTest, AStandingQueueForAnIntervalDropsItemsAboveTarget) {
  CodelQueue queue("compute", config, clock, registry);
  // Every dequeue in the first interval waited 20 ms: the minimum (20) exceeds target (5).
  for (int i = 0; i < 4; ++i) {
    auto ticket = queue.try_enqueue();
    clock.advance(20ms);
    ASSERT_TRUE(queue.on_dequeue(*ticket));
  }
  clock.advance(20ms);  // t = 100 ms: the interval ends at the next dequeue
  auto late = queue.try_enqueue();
  clock.advance(6ms);
  auto dropped = queue.on_dequeue(*late);
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().reason, RejectReason::queue_timeout);
  EXPECT_TRUE(queue.overloaded());
  EXPECT_EQ(shed("queue_timeout"), 1);
  auto quick = queue.try_enqueue();
  clock.advance(5ms);  // exactly target: runs
  EXPECT_TRUE(queue.on_dequeue(*quick));
}

TEST_F(CodelQueueTest, AnItemPastItsDeadlineIsExpiredEvenWhenTheQueueIsOverloaded) {
  CodelQueue queue("compute", config, clock, registry);
  for (int i = 0; i < 4; ++i) {  // a standing queue, as above
    auto ticket = queue.try_enqueue();
    clock.advance(20ms);
    ASSERT_TRUE(queue.on_dequeue(*ticket));
  }
  clock.advance(20ms);
  auto expired = queue.try_enqueue();
  const core::TimePoint deadline = clock.now() + 3ms;
  clock.advance(6ms);  // above target in an overloaded queue, and past its deadline
  auto dropped = queue.on_dequeue(*expired, deadline);
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().reason, RejectReason::deadline_expired);
  EXPECT_EQ(shed("queue_timeout"), 0) << "CoDel did not judge it";
  EXPECT_EQ(queue.depth(), 0u);
  // Before its deadline the same wait is CoDel's to judge: the interval above is overloaded.
  auto wanted = queue.try_enqueue();
  clock.advance(6ms);
  auto judged = queue.on_dequeue(*wanted, clock.now() + 1s);
  ASSERT_FALSE(judged);
  EXPECT_EQ(judged.error().reason, RejectReason::queue_timeout);
}

TEST_F(CodelQueueTest, OneShortSojournInAnIntervalEndsTheOverload) {
  CodelQueue queue("compute", config, clock, registry);
  auto first = queue.try_enqueue();
  clock.advance(101ms);
  ASSERT_TRUE(queue.on_dequeue(*first));  // ends interval 1, which saw no dequeue: runs
  auto slow = queue.try_enqueue();
  clock.advance(101ms);
  EXPECT_FALSE(queue.on_dequeue(*slow));  // interval 2's minimum was 101 ms: overloaded
  auto fast = queue.try_enqueue();
  clock.advance(1ms);
  EXPECT_TRUE(queue.on_dequeue(*fast));  // at most target always runs; interval 3 min = 1 ms
  clock.advance(100ms);
  auto after = queue.try_enqueue();
  clock.advance(50ms);
  EXPECT_TRUE(queue.on_dequeue(*after));  // interval 3 drained below target: not overloaded
  EXPECT_FALSE(queue.overloaded());
}

TEST_F(CodelQueueTest, AnIdleIntervalIsNotOverloaded) {
  CodelQueue queue("compute", config, clock, registry);
  clock.advance(1s);
  auto ticket = queue.try_enqueue();
  clock.advance(30ms);
  EXPECT_TRUE(queue.on_dequeue(*ticket));
}

TEST_F(CodelQueueTest, AbandonedItemsLeaveTheQueue) {
  CodelQueue queue("compute", config, clock, registry);
  auto ticket = queue.try_enqueue();
  ASSERT_TRUE(ticket);
  EXPECT_EQ(queue.depth(), 1u);
  queue.on_abandon(*ticket);
  EXPECT_EQ(queue.depth(), 0u);
  EXPECT_EQ(registry.gauge("work_queue_depth", "", {"queue"}).with({"compute"}).value(), 0);
}

TEST_F(CodelQueueTest, AnItemWhoseExpectedWaitIsAboveTargetIsRefusedAtTheDoor) {
  CodelQueue queue("compute", CodelQueueConfig{100, 5ms, 100ms}, clock, registry);
  queue.set_servers(2);
  queue.on_served(2ms);  // mean service 2 ms, two servers: each item ahead adds 1 ms
  std::vector<QueueTicket> admitted;
  for (int depth = 0; depth < 5; ++depth) {  // expected waits (depth + 1) x 1 ms = 1..5 ms
    auto ticket = queue.try_enqueue();
    ASSERT_TRUE(ticket) << "depth " << depth;
    admitted.push_back(*ticket);
  }
  EXPECT_EQ(queue.expected_wait(), 6ms);
  auto refused = queue.try_enqueue();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, RejectReason::queue_full);
  EXPECT_EQ(refused.error().status(), 503);
  EXPECT_EQ(shed("queue_full"), 1);
  ASSERT_TRUE(queue.on_dequeue(admitted.front()));  // one starts: depth 4, 5 ms
  EXPECT_TRUE(queue.try_enqueue());
}

TEST_F(CodelQueueTest, OneWaitingItemPerServerIsAlwaysAdmitted) {
  // Work far longer than target (50 ms items, 5 ms target) still keeps each server fed.
  CodelQueue queue("compute", CodelQueueConfig{100, 5ms, 100ms}, clock, registry);
  queue.set_servers(2);
  EXPECT_TRUE(queue.try_enqueue());  // no estimate yet
  EXPECT_TRUE(queue.try_enqueue());
  EXPECT_FALSE(queue.try_enqueue());  // no estimate: no more than one per server
  queue.on_served(50ms);
  EXPECT_EQ(queue.expected_wait(), 75ms);
  EXPECT_FALSE(queue.try_enqueue());
}

TEST_F(CodelQueueTest, TheMeanServiceTimeFollowsRecentItems) {
  CodelQueue queue("compute", CodelQueueConfig{100, 5ms, 100ms}, clock, registry);
  queue.set_servers(1);
  queue.on_served(8ms);
  EXPECT_EQ(queue.expected_wait(), 8ms);  // depth 0: one service
  queue.on_served(0ms);                   // weight 1/8: 8 - 8/8 = 7 ms
  EXPECT_EQ(queue.expected_wait(), 7ms);
  queue.set_servers(0);  // rule off: only the capacity bounds
  EXPECT_EQ(queue.expected_wait(), 0ms);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(queue.try_enqueue());
  EXPECT_FALSE(queue.try_enqueue());
}

// One server, 150 us per item, items offered ten times faster than it serves them, for 2 s of
// simulated time. Refusing at the door keeps the waiting line near target, so what is admitted
// is run, not dropped after waiting, and the server never idles: goodput stays at capacity.
TEST_F(CodelQueueTest, UnderATenfoldFloodWhatIsAdmittedRunsAndTheServerStaysBusy) {
  CodelQueue queue("compute", CodelQueueConfig{128, 5ms, 100ms}, clock, registry);
  queue.set_servers(1);
  constexpr auto kService = 150us;
  constexpr auto kArrivalGap = 15us;
  constexpr auto kTick = 5us;
  std::deque<QueueTicket> line;
  auto next_arrival = clock.now();
  auto busy_until = clock.now();
  bool busy = false;
  int served = 0, dropped = 0, refused = 0;
  core::Duration longest_wait{0};
  const auto end = clock.now() + 2s;
  while (clock.now() < end) {
    while (next_arrival <= clock.now()) {
      if (auto ticket = queue.try_enqueue()) {
        line.push_back(*ticket);
      } else {
        ++refused;
      }
      next_arrival += kArrivalGap;
    }
    if (busy && clock.now() >= busy_until) {
      queue.on_served(kService);
      ++served;
      busy = false;
    }
    while (!busy && !line.empty()) {
      const QueueTicket ticket = line.front();
      line.pop_front();
      auto verdict = queue.on_dequeue(ticket);
      if (!verdict) {
        ++dropped;
        continue;
      }
      longest_wait = std::max(longest_wait, *verdict);
      busy = true;
      busy_until = clock.now() + kService;
    }
    clock.advance(kTick);
  }
  const int capacity = static_cast<int>(2s / kService);  // 13,333
  EXPECT_GE(served, capacity * 99 / 100);
  EXPECT_EQ(dropped, 0);
  EXPECT_LE(longest_wait, 5ms + kService);
  EXPECT_GT(refused, 8 * capacity);
}

}  // namespace
}  // namespace loadlab::protect
