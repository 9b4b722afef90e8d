// The database the target's routes use: a fixed-size connection pool over SQLite or PostgreSQL.
// Every operation acquires a pooled connection (waiting at most acquire_timeout), never blocks an
// I/O thread, and reports failure as a value.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"

namespace loadlab::metrics {
class Registry;
}

namespace loadlab::db {

enum class DbErrorKind { pool_timeout, query_failed, connection_failed, shutting_down };

struct DbError {
  DbErrorKind kind;
  std::string message;
};

struct Task {
  std::int64_t id = 0;
  std::string title;
  std::string description;
  std::string created_at;  // ISO 8601
};

struct PoolOptions {
  int size = 5;
  int overflow = 10;
  // Naked default: wait as long as the caller's deadline allows (the seed's hang);
  // protections set a short acquire timeout.
  std::optional<std::chrono::milliseconds> acquire_timeout;
};

struct PoolStats {
  int size = 0;  // connections open now (in use + idle)
  int max = 0;   // size + overflow: the most that may be open
  int in_use = 0;
  int idle = 0;
  int waiting = 0;
  std::uint64_t acquire_timeouts = 0;
};

class Database {
 public:
  virtual ~Database() = default;

  virtual boost::asio::awaitable<core::Expected<Task, DbError>> create_task(
      std::string title, std::string description) = 0;
  virtual boost::asio::awaitable<core::Expected<std::vector<Task>, DbError>> list_tasks(
      int limit) = 0;
  // Seed 000's expensive query: N inserts then a count; returns the count.
  virtual boost::asio::awaitable<core::Expected<std::int64_t, DbError>> expensive_query(
      int iterations) = 0;
  // A real slow query holding one pooled connection (pg_sleep, or a registered SQLite function).
  virtual boost::asio::awaitable<core::Expected<double, DbError>> sleep_query(
      std::chrono::milliseconds duration) = 0;

  [[nodiscard]] virtual PoolStats stats() const = 0;
  // Run-time change of the acquire timeout (protections toggle it).
  virtual void set_acquire_timeout(std::optional<std::chrono::milliseconds> timeout) = 0;
  virtual void close() = 0;
};

// "sqlite:PATH", "sqlite::memory:" or "postgresql://..." (also "postgres://"). Throws
// std::invalid_argument for an unknown scheme and std::runtime_error when it cannot connect
// (start-up errors). Registers db_pool_connections{state}, db_pool_acquire_seconds,
// db_pool_acquire_timeouts_total in the registry.
std::unique_ptr<Database> open_database(const std::string& url, PoolOptions options,
                                        metrics::Registry& registry, core::Clock& clock);

}  // namespace loadlab::db
