// The PostgreSQL backend: non-blocking libpq connections behind the connection pool. Only the
// start-up check and the cancellation of abandoned queries (PQcancel) block, the latter on a
// small dedicated thread pool.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "db/connection_pool.hpp"
#include "db/database.hpp"
#include "db/pg_connection.hpp"

namespace loadlab::db {

class PgDatabase final : public Database, private ConnectionFactory {
 public:
  // Connects once (blocking, at start-up) to check the server and create the schema; throws
  // std::runtime_error when the server is unreachable or refuses.
  PgDatabase(std::string url, PoolOptions options, metrics::Registry& registry, core::Clock& clock);
  ~PgDatabase() override;

  boost::asio::awaitable<core::Expected<Task, DbError>> create_task(
      std::string title, std::string description) override;
  boost::asio::awaitable<core::Expected<std::vector<Task>, DbError>> list_tasks(int limit) override;
  boost::asio::awaitable<core::Expected<std::int64_t, DbError>> expensive_query(
      int iterations) override;
  boost::asio::awaitable<core::Expected<double, DbError>> sleep_query(
      std::chrono::milliseconds duration) override;

  [[nodiscard]] PoolStats stats() const override { return pool_.stats(); }
  void set_acquire_timeout(std::optional<std::chrono::milliseconds> timeout) override {
    pool_.set_acquire_timeout(timeout);
  }
  void close() override { pool_.close(); }

 private:
  boost::asio::awaitable<core::Expected<std::unique_ptr<PooledConnection>, DbError>> open()
      override;
  void discard(std::unique_ptr<PooledConnection> connection) override;
  // A pooled connection whose server side is still there; dead idle ones are discarded.
  boost::asio::awaitable<core::Expected<Lease, DbError>> acquire_live();
  boost::asio::awaitable<core::Expected<std::int64_t, DbError>> insert_and_count(
      PgConnection& connection, int iterations);

  std::string url_;
  // Closing a connection whose query was abandoned calls PQcancel, which blocks.
  boost::asio::thread_pool cleanup_threads_{2};
  ConnectionPool pool_;
};

}  // namespace loadlab::db
