// Admission for a bounded work queue: capacity at enqueue, CoDel-style sojourn limit at dequeue.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "protect/rejection.hpp"

namespace loadlab::metrics {
class Registry;
class Counter;
class Gauge;
class Histogram;
}  // namespace loadlab::metrics

namespace loadlab::protect {

struct CodelQueueConfig {
  std::size_t capacity = 128;                            // items waiting, not running
  core::Duration target = std::chrono::milliseconds{5};  // acceptable standing queue delay
  core::Duration interval = std::chrono::milliseconds{100};
  std::chrono::seconds retry_after{1};
  bool operator==(const CodelQueueConfig&) const = default;
};
std::string validate(const CodelQueueConfig& config);

// Stamped at enqueue; hand it back exactly once to on_dequeue() or on_abandon().
struct QueueTicket {
  core::TimePoint enqueued_at;
};

// Pure decisions; the executor that owns the actual queue (src/target) asks before pushing and
// after popping, and reports each item's service time. Admission at enqueue: rejected (queue_full)
// when `capacity` items wait, or, once one waiting item per server is there, when the new item's
// expected wait, (depth + 1) x mean service time / servers, would pass target. That keeps the
// standing queue near target by refusing at the door, before any work: a queue bounded only by
// count refills at once under a flood, every dequeued item has waited the whole queue, and the
// dequeue rule below would then drop nearly everything that was admitted (goodput collapses). The
// CoDel rule (Nichols & Jacobson, as in Facebook's wangle executor): at the end of every interval
// the queue is "overloaded" when the smallest sojourn seen during that interval exceeded target,
// i.e. a standing queue that never drained. While overloaded, a dequeued item that waited longer
// than target is dropped (503 queue_timeout) instead of run. A burst that drains within one
// interval is never dropped; an interval with no dequeues is not overloaded.
//
// Thread-safe: one small mutex (the executor usually calls it under its own queue lock anyway).
class CodelQueue {
 public:
  CodelQueue(const std::string& name, const CodelQueueConfig& config, core::Clock& clock,
             metrics::Registry& registry);

  // Rejected with queue_full when `capacity` items are waiting.
  core::Expected<QueueTicket, Rejection> try_enqueue();

  // Ok: run the item now (the value is its sojourn). Rejected: queue_timeout, do not run it.
  core::Expected<core::Duration, Rejection> on_dequeue(const QueueTicket& ticket);
  // The same for an item with a deadline, judged first: an item whose deadline passed while it
  // waited leaves as deadline_expired (504), whatever CoDel would say, and adds no sojourn
  // sample (its client has given up; the overload state comes from the items still wanted).
  // Without this order, whether such an item got 504 or 503 depended on how quickly the item
  // before it had been picked up.
  core::Expected<core::Duration, Rejection> on_dequeue(const QueueTicket& ticket,
                                                       core::TimePoint deadline);

  // The item left the queue without a verdict (its request was cancelled).
  void on_abandon(const QueueTicket& ticket);

  // How long an admitted item ran, in CPU time of its thread (feeds the mean service time of the
  // expected-wait rule).
  void on_served(core::Duration service_time);
  // How many threads drain the queue (the compute pool's size); 0 turns the expected-wait rule
  // off (the default, for a queue whose drain rate is unknown).
  void set_servers(std::size_t servers);
  // (depth + 1) x mean service time / servers: about the longest a newly admitted item waits.
  [[nodiscard]] core::Duration expected_wait();

  [[nodiscard]] std::size_t depth();
  [[nodiscard]] bool overloaded();
  void reconfigure(const CodelQueueConfig& config);

 private:
  void leave_locked();
  [[nodiscard]] core::Duration expected_wait_locked() const;
  [[nodiscard]] bool admits_locked() const;

  core::Clock& clock_;
  metrics::Counter& full_total_;
  metrics::Counter& timeout_total_;
  metrics::Gauge& depth_gauge_;
  metrics::Histogram& sojourn_seconds_;

  std::mutex mutex_;
  CodelQueueConfig config_;
  std::size_t depth_ = 0;
  core::TimePoint interval_end_;
  core::Duration min_sojourn_ = core::Duration::max();  // in the current interval
  bool overloaded_ = false;
  std::size_t servers_ = 0;  // set by the executor; 0 = the expected-wait rule is off
  // Exponentially weighted mean of the service time (weight 1/8 per sample), 0 until served.
  core::Duration mean_service_{0};
};

}  // namespace loadlab::protect
