// The connection pool's rules; see pool_ledger.hpp.
#include "db/pool_ledger.hpp"

#include <algorithm>
#include <stdexcept>

namespace loadlab::db {

PoolLedger::PoolLedger(int size, int overflow) : size_(size), overflow_(overflow) {
  if (size < 1) throw std::invalid_argument("db pool size must be at least 1");
  if (overflow < 0) throw std::invalid_argument("db pool overflow must not be negative");
}

PoolLedger::AcquireResult PoolLedger::acquire(WaiterId waiter, core::TimePoint now,
                                              std::optional<core::TimePoint> deadline) {
  if (closed_) return {Admission::closed, nullptr};
  // Earlier waiters go first: a newcomer never overtakes the queue.
  if (waiters_.empty()) {
    if (!idle_.empty()) {
      auto connection = std::move(idle_.front());
      idle_.pop_front();
      ++in_use_;
      return {Admission::use_idle, std::move(connection)};
    }
    if (in_use_ + static_cast<int>(idle_.size()) < max_connections()) {
      ++in_use_;
      return {Admission::open_new, nullptr};
    }
  }
  if (deadline && *deadline <= now) {
    ++acquire_timeouts_;
    return {Admission::timed_out, nullptr};
  }
  waiters_.push_back(Waiter{waiter, now, deadline});
  return {Admission::wait, nullptr};
}

PoolLedger::ReleaseResult PoolLedger::release(std::unique_ptr<PooledConnection> connection,
                                              ConnectionHealth health) {
  ReleaseResult result;
  if (health == ConnectionHealth::broken || !connection) {
    result.to_close = std::move(connection);
  }
  if (!closed_ && !waiters_.empty()) {
    Waiter next = waiters_.front();
    waiters_.pop_front();
    // The slot stays leased: it moves from the releasing caller to the waiter.
    result.handoff = Handoff{next.id, std::move(connection), next.enqueued_at};
    return result;
  }
  --in_use_;
  if (connection && !closed_ && static_cast<int>(idle_.size()) < size_) {
    idle_.push_back(std::move(connection));
  } else if (connection) {
    result.to_close = std::move(connection);  // an overflow connection: closed on return
  }
  return result;
}

std::vector<WaiterId> PoolLedger::expire(core::TimePoint now) {
  std::vector<WaiterId> expired;
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->deadline && *it->deadline <= now) {
      expired.push_back(it->id);
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
  acquire_timeouts_ += expired.size();
  return expired;
}

bool PoolLedger::time_out(WaiterId waiter) {
  if (!remove_waiter(waiter)) return false;
  ++acquire_timeouts_;
  return true;
}

bool PoolLedger::cancel(WaiterId waiter) {
  return remove_waiter(waiter);
}

bool PoolLedger::remove_waiter(WaiterId waiter) {
  auto it = std::find_if(waiters_.begin(), waiters_.end(),
                         [waiter](const Waiter& w) { return w.id == waiter; });
  if (it == waiters_.end()) return false;
  waiters_.erase(it);
  return true;
}

std::optional<core::TimePoint> PoolLedger::next_deadline() const {
  std::optional<core::TimePoint> earliest;
  for (const auto& waiter : waiters_) {
    if (waiter.deadline && (!earliest || *waiter.deadline < *earliest)) earliest = waiter.deadline;
  }
  return earliest;
}

PoolLedger::Shutdown PoolLedger::close() {
  Shutdown shutdown;
  closed_ = true;
  for (const auto& waiter : waiters_) shutdown.waiters.push_back(waiter.id);
  waiters_.clear();
  for (auto& connection : idle_) shutdown.idle.push_back(std::move(connection));
  idle_.clear();
  return shutdown;
}

PoolStats PoolLedger::stats() const {
  PoolStats stats;
  stats.size = in_use_ + static_cast<int>(idle_.size());
  stats.in_use = in_use_;
  stats.idle = static_cast<int>(idle_.size());
  stats.waiting = static_cast<int>(waiters_.size());
  stats.max = max_connections();
  stats.acquire_timeouts = acquire_timeouts_;
  return stats;
}

}  // namespace loadlab::db
