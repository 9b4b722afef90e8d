// The compute pool behind the `queue` protection: stopping it takes the work it drops out of the
// bounded queue's depth (work_queue_depth), and later work is refused instead of left hanging.
#include "target/guarded_compute_pool.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>

#include "metrics/registry.hpp"
#include "protect/protections.hpp"
#include "wait.hpp"

namespace loadlab::target {
namespace {

using namespace std::chrono_literals;
using Outcome = core::Expected<int, protect::Rejection>;

protect::ProtectionSettings queue_only() {
  protect::ProtectionSettings settings;
  settings.enabled = *protect::parse_protection_list("queue");
  return settings;
}

class GuardedComputePoolTest : public ::testing::Test {
 protected:
  // Runs work on the guarded pool from the test's io_context; the outcome lands in `slot`.
  void spawn(std::function<int()> work, std::optional<Outcome>& slot) {
    boost::asio::co_spawn(
        io,
        [this, work = std::move(work), &slot]() -> boost::asio::awaitable<void> {
          slot = co_await guarded.run(work, core::TimePoint::max());
        },
        boost::asio::detached);
  }

  // The io_context outlives the pool: the work the pool drops holds its callers' coroutines, which
  // are destroyed with the pool and release their claim on the io_context then.
  boost::asio::io_context io;
  core::ManualClock clock;
  metrics::Registry registry;
  protect::Protections protections{queue_only(), clock, registry};
  ComputePool pool{1};
  GuardedComputePool guarded{pool};
};

TEST_F(GuardedComputePoolTest, StoppingTakesDroppedWorkOutOfTheQueueDepth) {
  guarded.set_protections(protections);
  protect::CodelQueue& queue = protections.compute_queue();
  queue.on_served(1us);  // an estimate of the service time, so items may wait behind a busy thread
  std::optional<Outcome> first;
  std::optional<Outcome> dropped[3];
  // The pool's only thread is held by the first item until the stop has begun; three more wait
  // behind it.
  spawn(
      [this] {
        testing::wait_until([this] { return guarded.stopped(); }, 10s);
        return 1;
      },
      first);
  for (auto& slot : dropped) spawn([] { return 2; }, slot);
  io.poll();
  // (Once the first item has been picked up: it leaves the pool's count, then the queue.)
  ASSERT_TRUE(testing::wait_until(
      [&] { return guarded.waiting_in_pool() == 3 && queue.depth() == 3; }, 10s))
      << guarded.waiting_in_pool() << " in the pool, queue depth " << queue.depth();

  // stop() joins the pool: it returns once the held item is done, and drops the three others.
  guarded.stop();
  EXPECT_EQ(queue.depth(), 0u);
  EXPECT_EQ(guarded.waiting_in_pool(), 0u);

  io.poll();  // the held item's caller resumes; the dropped ones never do
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->value(), 1);
  for (const auto& slot : dropped) EXPECT_FALSE(slot.has_value());

  // Work asked for after the stop is refused at once, and leaves the depth at zero.
  std::optional<Outcome> late;
  spawn([] { return 3; }, late);
  io.poll();
  ASSERT_TRUE(late.has_value());
  ASSERT_FALSE(late->has_value());
  EXPECT_EQ(late->error().reason, protect::RejectReason::queue_full);
  EXPECT_EQ(queue.depth(), 0u);
}

}  // namespace
}  // namespace loadlab::target
