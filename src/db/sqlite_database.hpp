// The embedded default backend: SQLite behind the connection pool, its blocking calls on a
// dedicated thread pool (one thread per possible connection, so queries never queue for a thread).
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <string>

#include "db/connection_pool.hpp"
#include "db/database.hpp"
#include "db/sqlite_connection.hpp"

namespace loadlab::db {

class SqliteDatabase final : public Database, private ConnectionFactory {
 public:
  // `path` is a file path or ":memory:" (one in-memory database shared by the pool's
  // connections and private to this object). Throws std::runtime_error when it cannot open it.
  SqliteDatabase(const std::string& path, PoolOptions options, metrics::Registry& registry,
                 core::Clock& clock);
  ~SqliteDatabase() override;

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
  void close() override;

 private:
  boost::asio::awaitable<core::Expected<std::unique_ptr<PooledConnection>, DbError>> open()
      override;
  void discard(std::unique_ptr<PooledConnection> connection) override;

  template <class Result, class Call>
  boost::asio::awaitable<Result> on_connection(Call call);

  std::string target_;
  boost::asio::thread_pool threads_;
  // Keeps an in-memory database alive while no pooled connection is open.
  std::unique_ptr<SqliteConnection> keeper_;
  ConnectionPool pool_;
};

}  // namespace loadlab::db
