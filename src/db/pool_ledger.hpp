// The connection pool's rules without threads or I/O: fixed size plus overflow, FIFO waiters with
// deadlines, hand-over on release, statistics. ConnectionPool wraps it with a mutex and timers.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "core/clock.hpp"
#include "db/database.hpp"

namespace loadlab::db {

// Base of every backend's connection; the pool only moves them around.
class PooledConnection {
 public:
  virtual ~PooledConnection() = default;
  // False once the connection saw a transport error or an abandoned query: it is then closed
  // instead of going back to the idle list.
  [[nodiscard]] virtual bool reusable() const noexcept { return true; }
};

using WaiterId = std::uint64_t;

// Whether a returned connection may be used again (a connection that saw a cancelled or failed
// query is discarded and its slot handed on).
enum class ConnectionHealth { reusable, broken };

class PoolLedger {
 public:
  // size connections are kept idle; up to overflow more are opened under load and closed when
  // returned (SQLAlchemy's QueuePool pool_size / max_overflow).
  PoolLedger(int size, int overflow);

  enum class Admission { use_idle, open_new, wait, timed_out, closed };
  struct AcquireResult {
    Admission admission = Admission::wait;
    std::unique_ptr<PooledConnection> connection;  // set for use_idle
  };
  // use_idle: the caller leases `connection`; open_new: the caller holds a slot and must open a
  // connection (or call release(nullptr, broken) if that fails); wait: `waiter` is queued FIFO
  // until a release hands it a connection or a slot, or until its deadline passes; timed_out:
  // nothing is free and the deadline has already passed (counted as an acquire timeout).
  AcquireResult acquire(WaiterId waiter, core::TimePoint now,
                        std::optional<core::TimePoint> deadline);

  // A queued waiter that receives a released connection, or only a slot when the released
  // connection was broken (then the waiter opens a new one).
  struct Handoff {
    WaiterId waiter = 0;
    std::unique_ptr<PooledConnection> connection;
    core::TimePoint enqueued_at;
  };
  struct ReleaseResult {
    std::optional<Handoff> handoff;
    std::unique_ptr<PooledConnection> to_close;  // an overflow or broken connection to close
  };
  ReleaseResult release(std::unique_ptr<PooledConnection> connection, ConnectionHealth health);

  // Removes the waiters whose deadline is at or before now and counts them as acquire timeouts.
  std::vector<WaiterId> expire(core::TimePoint now);
  // The waiter's own timer fired: removes it and counts a timeout; false if it was not queued.
  bool time_out(WaiterId waiter);
  // The waiter gave up for another reason (its caller was cancelled); not a pool timeout.
  bool cancel(WaiterId waiter);
  [[nodiscard]] std::optional<core::TimePoint> next_deadline() const;

  // Refuses every later acquire; returns the queued waiters (to be told) and the idle
  // connections (to be closed).
  struct Shutdown {
    std::vector<WaiterId> waiters;
    std::vector<std::unique_ptr<PooledConnection>> idle;
  };
  Shutdown close();

  [[nodiscard]] PoolStats stats() const;
  [[nodiscard]] int max_connections() const noexcept { return size_ + overflow_; }
  [[nodiscard]] bool closed() const noexcept { return closed_; }

 private:
  struct Waiter {
    WaiterId id{};
    core::TimePoint enqueued_at;
    std::optional<core::TimePoint> deadline;
  };
  bool remove_waiter(WaiterId waiter);

  int size_;
  int overflow_;
  int in_use_ = 0;  // leased connections plus slots whose connection is being opened
  bool closed_ = false;
  std::deque<std::unique_ptr<PooledConnection>> idle_;
  std::deque<Waiter> waiters_;
  std::uint64_t acquire_timeouts_ = 0;
};

}  // namespace loadlab::db
