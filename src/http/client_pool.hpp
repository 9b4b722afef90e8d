// Keep-alive connections of the outbound client, pooled per host:port with a bounded number of
// open connections; callers beyond the bound wait (until their deadline) for a connection.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/expected.hpp"

namespace loadlab::http {

struct ConnectionPoolLimits {
  std::size_t max_connections_per_host = 256;
  std::size_t max_idle_per_host = 64;
  std::chrono::milliseconds idle_timeout{15'000};  // below the usual server keep-alive timeouts
  std::size_t max_waiters_per_host = 4'096;
};

struct ConnectionPoolStats {
  std::size_t open = 0;  // connections that exist or are being opened (leased + idle)
  std::size_t idle = 0;
  std::size_t waiting = 0;
  std::uint64_t created = 0;
  std::uint64_t reused = 0;
};

// One TCP connection and its read buffer (bytes past a response stay with the connection).
struct PooledConnection {
  explicit PooledConnection(const boost::asio::any_io_executor& executor) : socket(executor) {}
  boost::asio::ip::tcp::socket socket;
  boost::beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since{};
  bool reusable = false;            // set by the exchange: keep-alive and the message complete
  bool got_response_bytes = false;  // a failure before any byte on a reused socket may be retried
};

class ConnectionPool;

// The right to use one connection slot of a host: a reused idle connection, or a fresh one
// created on first use. Returns the slot to the pool when released or destroyed.
class ConnectionLease {
 public:
  ConnectionLease(ConnectionPool* pool, std::string key,
                  std::unique_ptr<PooledConnection> connection) noexcept;
  ConnectionLease(ConnectionLease&& other) noexcept;
  ConnectionLease& operator=(ConnectionLease&&) = delete;
  ConnectionLease(const ConnectionLease&) = delete;
  ConnectionLease& operator=(const ConnectionLease&) = delete;
  ~ConnectionLease();

  [[nodiscard]] bool reused() const noexcept { return reused_; }
  PooledConnection& connection();
  // Back to the pool: kept for reuse when the connection says so, closed otherwise.
  void release() noexcept;

 private:
  ConnectionPool* pool_;
  std::string key_;
  std::unique_ptr<PooledConnection> connection_;
  bool reused_;
};

enum class PoolWaitError { timeout, queue_full, stopped };

class ConnectionPool {
 public:
  ConnectionPool(boost::asio::any_io_executor io_executor, ConnectionPoolLimits limits);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Waits (on the caller's executor) until a slot of host `key` is free or the deadline passes.
  boost::asio::awaitable<core::Expected<ConnectionLease, PoolWaitError>> acquire(
      std::string key, std::chrono::steady_clock::time_point deadline);

  [[nodiscard]] ConnectionPoolStats stats() const;
  [[nodiscard]] const boost::asio::any_io_executor& io_executor() const noexcept {
    return io_executor_;
  }
  void stop();

 private:
  friend class ConnectionLease;
  struct Waiter;
  struct Host {
    std::deque<std::unique_ptr<PooledConnection>> idle;
    std::deque<std::shared_ptr<Waiter>> waiters;
    std::size_t open = 0;
  };

  void give_back(const std::string& key, std::unique_ptr<PooledConnection> connection) noexcept;
  void note_created() noexcept;
  Host& host_locked(const std::string& key);

  boost::asio::any_io_executor io_executor_;
  ConnectionPoolLimits limits_;
  mutable std::mutex mutex_;  // one lock for all hosts: the critical sections are tiny
  std::map<std::string, Host> hosts_;
  bool stopped_ = false;
  std::uint64_t created_ = 0;
  std::uint64_t reused_ = 0;
};

}  // namespace loadlab::http
