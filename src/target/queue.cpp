// Seed 002's queue rule.
#include "target/queue.hpp"

#include <algorithm>

namespace loadlab::target {

WorkQueue::WorkQueue(QueueRule rule, core::Clock& clock) : rule_(rule), clock_(clock) {
  rule_.concurrency = std::max(1, rule_.concurrency);
}

double WorkQueue::ratio() const noexcept {
  return static_cast<double>(waiting_.size()) / rule_.concurrency;
}

QueueTicket WorkQueue::arrive() {
  if (ratio() >= rule_.reject_ratio) return {0, Admission::rejected};
  const std::uint64_t id = next_id_++;
  arrived_.emplace(id, clock_.now());
  if (running_ < rule_.concurrency) {
    ++running_;
    return {id, Admission::started};
  }
  waiting_.push_back(id);
  return {id, Admission::queued};
}

std::optional<std::uint64_t> WorkQueue::finish(std::uint64_t id) {
  if (arrived_.erase(id) == 0) return std::nullopt;
  if (waiting_.empty()) {
    running_ = std::max(0, running_ - 1);
    return std::nullopt;
  }
  const std::uint64_t next = waiting_.front();  // the worker takes the next task at once
  waiting_.pop_front();
  return next;
}

bool WorkQueue::abandon(std::uint64_t id) {
  const auto position = std::find(waiting_.begin(), waiting_.end(), id);
  if (position == waiting_.end()) return false;
  waiting_.erase(position);
  arrived_.erase(id);
  return true;
}

std::optional<core::Duration> WorkQueue::age(std::uint64_t id) const {
  const auto found = arrived_.find(id);
  if (found == arrived_.end()) return std::nullopt;
  return clock_.now() - found->second;
}

core::Duration WorkQueue::oldest_wait() const {
  if (waiting_.empty()) return core::Duration::zero();
  return clock_.now() - arrived_.at(waiting_.front());
}

}  // namespace loadlab::target
