// Seed 002's bounded work queue as a pure rule: CONCURRENCY tasks run, the rest wait in FIFO
// order; queue_ratio = waiting / CONCURRENCY; arrivals are rejected at ratio >= 4 and readiness
// fails above 2. No I/O and no locking: the route adapter serialises calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>

#include "core/clock.hpp"

namespace loadlab::target {

struct QueueRule {
  int concurrency = 1;
  double reject_ratio = 4.0;  // reject on arrival when waiting/concurrency >= this
  double ready_ratio = 2.0;   // ready while waiting/concurrency <= this
};

enum class Admission { started, queued, rejected };

struct QueueTicket {
  std::uint64_t id = 0;  // 0 for a rejected arrival
  Admission admission = Admission::rejected;
};

class WorkQueue {
 public:
  WorkQueue(QueueRule rule, core::Clock& clock);

  // A task arrives: it starts when a worker is free, waits otherwise, or is rejected when the
  // queue is already at the reject ratio.
  QueueTicket arrive();
  // A running task finished. Returns the waiting task that starts in its place, if any.
  std::optional<std::uint64_t> finish(std::uint64_t id);
  // A waiting task leaves without running (its caller went away or shutdown). False if unknown.
  bool abandon(std::uint64_t id);

  [[nodiscard]] int running() const noexcept { return running_; }
  [[nodiscard]] std::size_t waiting() const noexcept { return waiting_.size(); }
  [[nodiscard]] double ratio() const noexcept;
  [[nodiscard]] bool ready() const noexcept { return ratio() <= rule_.ready_ratio; }
  [[nodiscard]] const QueueRule& rule() const noexcept { return rule_; }
  // How long task `id` has been in the system (arrival to now); nullopt if unknown.
  [[nodiscard]] std::optional<core::Duration> age(std::uint64_t id) const;
  // Wait so far of the oldest waiting task (zero when none waits).
  [[nodiscard]] core::Duration oldest_wait() const;

 private:
  QueueRule rule_;
  core::Clock& clock_;
  std::uint64_t next_id_ = 1;
  int running_ = 0;
  std::deque<std::uint64_t> waiting_;
  std::unordered_map<std::uint64_t, core::TimePoint> arrived_;  // running and waiting tasks
};

}  // namespace loadlab::target
