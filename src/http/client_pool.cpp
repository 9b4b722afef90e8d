// Connection pool of the outbound client: slot accounting, idle reuse and deadline-bound waiting.
#include "http/client_pool.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace loadlab::http {

namespace asio = boost::asio;
// NOLINTNEXTLINE(misc-unused-using-decls): used by `a || b` on awaitables (not found by ADL)
using asio::experimental::awaitable_operators::operator||;
using SteadyTime = std::chrono::steady_clock::time_point;

// A caller waiting for a slot. `granted` and `handed` are written under the pool mutex; the
// channel (thread-safe) wakes the waiter on its own executor.
struct ConnectionPool::Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : wake(executor, 1) {}
  asio::experimental::concurrent_channel<void(boost::system::error_code)> wake;
  bool granted = false;
  std::unique_ptr<PooledConnection> handed;  // null with granted: permission to open a new one
};

namespace {

void close_quietly(PooledConnection& connection) noexcept {
  boost::system::error_code ignored;
  connection.socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  connection.socket.close(ignored);
}

}  // namespace

ConnectionLease::ConnectionLease(ConnectionPool* pool, std::string key,
                                 std::unique_ptr<PooledConnection> connection) noexcept
    : pool_(pool),
      key_(std::move(key)),
      connection_(std::move(connection)),
      reused_(connection_ != nullptr) {}

ConnectionLease::ConnectionLease(ConnectionLease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      key_(std::move(other.key_)),
      connection_(std::move(other.connection_)),
      reused_(other.reused_) {}

ConnectionLease::~ConnectionLease() {
  release();
}

PooledConnection& ConnectionLease::connection() {
  if (!connection_) {
    connection_ = std::make_unique<PooledConnection>(pool_->io_executor());
    pool_->note_created();
  }
  return *connection_;
}

void ConnectionLease::release() noexcept {
  if (pool_ == nullptr) return;
  std::exchange(pool_, nullptr)->give_back(key_, std::move(connection_));
}

ConnectionPool::ConnectionPool(asio::any_io_executor io_executor, ConnectionPoolLimits limits)
    : io_executor_(std::move(io_executor)), limits_(limits) {
  limits_.max_connections_per_host = std::max<std::size_t>(1, limits_.max_connections_per_host);
}

ConnectionPool::~ConnectionPool() {
  stop();
}

ConnectionPool::Host& ConnectionPool::host_locked(const std::string& key) {
  return hosts_[key];
}

void ConnectionPool::note_created() noexcept {
  std::lock_guard lock(mutex_);
  ++created_;
}

asio::awaitable<core::Expected<ConnectionLease, PoolWaitError>> ConnectionPool::acquire(
    std::string key, SteadyTime deadline) {
  auto executor = co_await asio::this_coro::executor;
  std::shared_ptr<Waiter> waiter;
  std::unique_ptr<PooledConnection> reusable;
  bool may_open = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) co_return core::unexpected(PoolWaitError::stopped);
    Host& host = host_locked(key);
    const auto now = std::chrono::steady_clock::now();
    while (!host.idle.empty() && !reusable) {
      auto candidate = std::move(host.idle.back());  // most recently used: least likely stale
      host.idle.pop_back();
      if (now - candidate->idle_since < limits_.idle_timeout && candidate->socket.is_open()) {
        reusable = std::move(candidate);
        ++reused_;
      } else {
        close_quietly(*candidate);
        --host.open;
      }
    }
    if (!reusable) {
      if (host.open < limits_.max_connections_per_host) {
        ++host.open;
        may_open = true;
      } else if (host.waiters.size() >= limits_.max_waiters_per_host) {
        co_return core::unexpected(PoolWaitError::queue_full);
      } else {
        waiter = std::make_shared<Waiter>(executor);
        host.waiters.push_back(waiter);
      }
    }
  }
  if (reusable || may_open) co_return ConnectionLease(this, std::move(key), std::move(reusable));

  asio::steady_timer timer(executor, deadline);
  co_await (waiter->wake.async_receive(asio::as_tuple(asio::use_awaitable)) ||
            timer.async_wait(asio::as_tuple(asio::use_awaitable)));

  std::lock_guard lock(mutex_);
  if (waiter->granted && !stopped_) {
    co_return ConnectionLease(this, std::move(key), std::move(waiter->handed));
  }
  if (waiter->granted) {  // granted, then stopped: hand the slot back
    Host& host = host_locked(key);
    if (waiter->handed) close_quietly(*waiter->handed);
    --host.open;
    co_return core::unexpected(PoolWaitError::stopped);
  }
  auto& waiters = host_locked(key).waiters;
  waiters.erase(std::remove(waiters.begin(), waiters.end(), waiter), waiters.end());
  co_return core::unexpected(stopped_ ? PoolWaitError::stopped : PoolWaitError::timeout);
}

void ConnectionPool::give_back(const std::string& key,
                               std::unique_ptr<PooledConnection> connection) noexcept {
  std::lock_guard lock(mutex_);
  Host& host = host_locked(key);
  const bool keep = connection && connection->reusable && connection->socket.is_open() && !stopped_;
  if (keep) {
    connection->reusable = false;
    connection->got_response_bytes = false;
    connection->idle_since = std::chrono::steady_clock::now();
  } else if (connection) {
    close_quietly(*connection);
    connection.reset();
  }
  if (!host.waiters.empty() && !stopped_) {
    // The slot passes to the first waiter, with the connection when it is reusable.
    auto waiter = std::move(host.waiters.front());
    host.waiters.pop_front();
    waiter->granted = true;
    waiter->handed = std::move(connection);
    waiter->wake.try_send(boost::system::error_code{});
    return;
  }
  if (keep && host.idle.size() < limits_.max_idle_per_host) {
    host.idle.push_back(std::move(connection));
    return;
  }
  if (connection) close_quietly(*connection);
  --host.open;
}

ConnectionPoolStats ConnectionPool::stats() const {
  std::lock_guard lock(mutex_);
  ConnectionPoolStats stats;
  for (const auto& [key, host] : hosts_) {
    stats.open += host.open;
    stats.idle += host.idle.size();
    stats.waiting += host.waiters.size();
  }
  stats.created = created_;
  stats.reused = reused_;
  return stats;
}

void ConnectionPool::stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  for (auto& [key, host] : hosts_) {
    for (auto& connection : host.idle) close_quietly(*connection);
    host.open -= host.idle.size();
    host.idle.clear();
    for (auto& waiter : host.waiters) waiter->wake.try_send(boost::system::error_code{});
    host.waiters.clear();
  }
}

}  // namespace loadlab::http
