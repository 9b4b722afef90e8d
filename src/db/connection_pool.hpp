// The asynchronous connection pool: PoolLedger's rules behind a mutex, waiters suspended on a
// timer (their acquire deadline), leases that return their connection on destruction, metrics.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "db/database.hpp"
#include "db/pool_ledger.hpp"

namespace loadlab::metrics {
class Counter;
class Gauge;
class Histogram;
}  // namespace loadlab::metrics

namespace loadlab::db {

// What a backend provides to the pool: how to open a connection and how to get rid of one.
class ConnectionFactory {
 public:
  virtual ~ConnectionFactory() = default;
  virtual boost::asio::awaitable<core::Expected<std::unique_ptr<PooledConnection>, DbError>>
  open() = 0;
  // Called without the pool's lock held; may hand the connection to another thread to cancel
  // its query before closing it.
  virtual void discard(std::unique_ptr<PooledConnection> connection) = 0;
};

class ConnectionPool;

// Exclusive use of one pooled connection; returns it to the pool when destroyed.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  template <class Connection>
  Connection& as() noexcept {
    return static_cast<Connection&>(*connection_);
  }
  // The connection is closed on release instead of being reused.
  void mark_broken() noexcept { broken_ = true; }
  void release() noexcept;

 private:
  friend class ConnectionPool;
  Lease(ConnectionPool* pool, std::unique_ptr<PooledConnection> connection) noexcept
      : pool_(pool), connection_(std::move(connection)) {}

  ConnectionPool* pool_ = nullptr;
  std::unique_ptr<PooledConnection> connection_;
  bool broken_ = false;
};

class ConnectionPool {
 public:
  // Registers db_pool_connections{state}, db_pool_acquire_seconds and
  // db_pool_acquire_timeouts_total. The factory, registry and clock must outlive the pool, and
  // the pool must outlive every lease.
  ConnectionPool(PoolOptions options, ConnectionFactory& factory, metrics::Registry& registry,
                 core::Clock& clock);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  ~ConnectionPool();

  // Waits FIFO for a connection until the earlier of `deadline` and now + acquire timeout;
  // pool_timeout when that passes, shutting_down after close(), connection_failed when a new
  // connection cannot be opened. Cancelling the awaiting coroutine abandons the wait.
  boost::asio::awaitable<core::Expected<Lease, DbError>> acquire(
      std::optional<core::TimePoint> deadline = std::nullopt);

  [[nodiscard]] PoolStats stats() const;
  void set_acquire_timeout(std::optional<std::chrono::milliseconds> timeout);
  // Refuses new acquires, wakes every waiter with shutting_down and closes idle connections;
  // leased connections are closed when they come back.
  void close();

 private:
  friend class Lease;
  struct Waiter;
  class WaitGuard;

  void release(std::unique_ptr<PooledConnection> connection, ConnectionHealth health);
  boost::asio::awaitable<core::Expected<Lease, DbError>> open_into_slot(core::TimePoint start);
  boost::asio::awaitable<core::Expected<Lease, DbError>> wait_for_turn(
      std::shared_ptr<Waiter> waiter, WaiterId id, core::TimePoint start);
  void observe_wait(core::TimePoint start);
  void publish_locked();

  ConnectionFactory& factory_;
  core::Clock& clock_;
  mutable std::mutex mutex_;
  PoolLedger ledger_;
  std::optional<std::chrono::milliseconds> acquire_timeout_;
  std::unordered_map<WaiterId, std::shared_ptr<Waiter>> waiters_;
  WaiterId next_waiter_ = 1;

  metrics::Gauge& in_use_gauge_;
  metrics::Gauge& idle_gauge_;
  metrics::Gauge& waiting_gauge_;
  metrics::Gauge& max_gauge_;
  metrics::Histogram& acquire_seconds_;
  metrics::Counter& acquire_timeouts_;
};

}  // namespace loadlab::db
