// The compute pool as CPU-heavy routes use it: behind the bounded CoDel queue when the `queue`
// protection is on, and never starting work whose request's deadline has passed.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <ctime>
#include <mutex>
#include <type_traits>
#include <utility>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "protect/protections.hpp"
#include "protect/rejection.hpp"
#include "target/compute_pool.hpp"

namespace loadlab::target {

// CPU time the calling thread has used. The queue's expected-wait rule is fed the CPU an item
// took, not its wall time: when the I/O threads share the pool's cores, an item preempted for a
// scheduler slice would otherwise look ten times longer, the rule would keep the line almost
// empty, and the pool thread, finding no work whenever it is scheduled, would lose its share of
// the CPU to the threads refusing requests (measured: 3 % of a shared core at 10x overload).
inline core::Duration thread_cpu_time() noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds{now.tv_sec} + std::chrono::nanoseconds{now.tv_nsec};
}

class GuardedComputePool {
 public:
  explicit GuardedComputePool(ComputePool& pool) : pool_(pool) {}
  void set_protections(protect::Protections& protections) {
    protections_ = &protections;
    protections.compute_queue().set_servers(static_cast<std::size_t>(pool_.threads()));
  }

  // Naked (or `queue` off): straight onto the pool, whose queue is unbounded. With `queue`:
  // queue_full (503) at once when the queue is at capacity or its expected wait is above the
  // CoDel target; on the pool thread, queue_timeout
  // (503) when CoDel drops it, deadline_expired (504) when its deadline passed while it waited.
  template <class Work>
  boost::asio::awaitable<core::Expected<std::invoke_result_t<Work&>, protect::Rejection>> run(
      Work work, core::TimePoint deadline) {
    using Result = core::Expected<std::invoke_result_t<Work&>, protect::Rejection>;
    if (protections_ == nullptr || !protections_->enabled(protect::Protection::queue)) {
      co_return Result(co_await pool_.run(std::move(work)));
    }
    protect::CodelQueue& queue = protections_->compute_queue();
    auto ticket = queue.try_enqueue();
    if (!ticket) co_return Result(core::unexpected(ticket.error()));
    if (!enter_pool()) {  // stopped: the pool would drop it, and its caller would never resume
      queue.on_abandon(*ticket);
      co_return Result(core::unexpected(protect::Rejection{protect::RejectReason::queue_full}));
    }
    // A named job, not a temporary inside the co_await: g++ 12 mishandles a closure temporary of
    // a co_await expression that owns a non-trivial capture (with a std::function as the work,
    // the coroutine's frame later destroyed it from storage already freed).
    auto job = [this, &queue, ticket = *ticket, deadline, work = std::move(work)]() mutable {
      leave_pool();
      if (auto waited = queue.on_dequeue(ticket, deadline); !waited) {
        return Result(core::unexpected(waited.error()));
      }
      const auto cpu_before = thread_cpu_time();
      Result result(work());
      queue.on_served(thread_cpu_time() - cpu_before);
      return result;
    };
    co_return co_await pool_.run(std::move(job));
  }

  [[nodiscard]] ComputePool& pool() noexcept { return pool_; }

  // Stops the pool, whose work not started yet is dropped, and takes the dropped items out of
  // the queue's depth: work_queue_depth must not go on counting work that will never run.
  void stop() {
    pool_.request_stop();  // no item is picked up once stopped() is seen
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    pool_.stop();  // joins: from here on no item leaves the pool
    std::size_t dropped = 0;
    {
      std::lock_guard lock(mutex_);
      dropped = std::exchange(in_pool_, 0);
    }
    if (protections_ == nullptr) return;
    for (; dropped > 0; --dropped) protections_->compute_queue().on_abandon({});
  }
  [[nodiscard]] bool stopped() {
    std::lock_guard lock(mutex_);
    return stopped_;
  }
  // Items that passed the queue's admission and wait in the pool.
  [[nodiscard]] std::size_t waiting_in_pool() {
    std::lock_guard lock(mutex_);
    return in_pool_;
  }

 private:
  bool enter_pool() {
    std::lock_guard lock(mutex_);
    if (stopped_) return false;
    ++in_pool_;
    return true;
  }
  void leave_pool() {
    std::lock_guard lock(mutex_);
    --in_pool_;
  }

  ComputePool& pool_;
  protect::Protections* protections_ = nullptr;
  std::mutex mutex_;
  bool stopped_ = false;
  std::size_t in_pool_ = 0;  // guarded items posted to the pool and not yet picked up
};

}  // namespace loadlab::target
