// One SQLite connection with the target's statements. Blocking: every call except interrupt()
// runs on the database thread pool, one call at a time per connection.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "db/database.hpp"
#include "db/pool_ledger.hpp"

struct sqlite3;
struct sqlite3_stmt;
struct sqlite3_context;
struct sqlite3_value;

namespace loadlab::db {

class SqliteConnection final : public PooledConnection {
 public:
  // `target` is a file path or a SQLite URI ("file:/name?vfs=memdb" for a shared in-memory
  // database). Sets busy_timeout, and WAL mode for files; registers sleep(seconds).
  static core::Expected<std::unique_ptr<SqliteConnection>, DbError> open(const std::string& target);
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;
  ~SqliteConnection() override;

  std::optional<DbError> create_schema();
  core::Expected<Task, DbError> insert_task(const std::string& title,
                                            const std::string& description);
  core::Expected<std::vector<Task>, DbError> list_tasks(int limit);
  // N inserts then a count inside one transaction that is rolled back, so the table stays small
  // however long a load test runs.
  core::Expected<std::int64_t, DbError> expensive_query(int iterations);
  // SELECT sleep(seconds): holds this connection (and its thread) for the whole duration.
  core::Expected<double, DbError> sleep_query(std::chrono::milliseconds duration);

  // Thread-safe: makes the running or next call (a sleep included) return early with an error.
  void interrupt() noexcept;
  // Called before handing a call to the thread pool, so an interrupt that arrives before the
  // call starts is not lost.
  void clear_interrupt() noexcept { interrupted_.store(false, std::memory_order_release); }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  enum class Statement { insert_task, list_tasks, insert_row, count_rows, sleep, count };
  sqlite3_stmt* prepared(Statement which, const char* sql);
  std::optional<DbError> execute(const char* sql);
  DbError last_error(const char* what) const;
  // The SQL function sleep(seconds); returns false when interrupted before the time was up.
  static void sleep_entry(sqlite3_context* context, int argc, sqlite3_value** argv);
  bool sleep_interruptibly(std::chrono::nanoseconds duration);

  sqlite3* db_;
  std::vector<sqlite3_stmt*> statements_ =
      std::vector<sqlite3_stmt*>(static_cast<std::size_t>(Statement::count), nullptr);
  std::atomic<bool> interrupted_{false};
  std::mutex sleep_mutex_;
  std::condition_variable sleep_wakeup_;
};

}  // namespace loadlab::db
