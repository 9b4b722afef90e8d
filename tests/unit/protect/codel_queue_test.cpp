// Bounded queue admission: capacity at enqueue, the CoDel sojourn rule at dequeue.
#include "protect/codel_queue.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace loadlab::protect
