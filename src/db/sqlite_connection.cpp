// One SQLite connection with the target's statements; see sqlite_connection.hpp.
#include "db/sqlite_connection.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <string_view>

namespace loadlab::db {

namespace {

constexpr int kBusyTimeoutMs = 5000;
// A sleep longer than this is a typo, not a slow query.
constexpr double kMaxSleepSeconds = 3600.0;

constexpr const char* kCreatedAtNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

// Resets a cached statement when a call ends, whatever way it ends.
struct StatementReset {
  sqlite3_stmt* statement;
  ~StatementReset() {
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
  }
};

std::string column_text(sqlite3_stmt* statement, int column) {
  const auto* text = sqlite3_column_text(statement, column);
  return text != nullptr ? std::string(reinterpret_cast<const char*>(text)) : std::string();
}

Task read_task(sqlite3_stmt* statement) {
  return Task{sqlite3_column_int64(statement, 0), column_text(statement, 1),
              column_text(statement, 2), column_text(statement, 3)};
}

}  // namespace

core::Expected<std::unique_ptr<SqliteConnection>, DbError> SqliteConnection::open(
    const std::string& target) {
  sqlite3* db = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(target.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return core::unexpected(DbError{DbErrorKind::connection_failed,
                                    "cannot open SQLite database '" + target + "': " + message});
  }
  std::unique_ptr<SqliteConnection> connection(new SqliteConnection(db));
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  sqlite3_create_function_v2(db, "sleep", 1, SQLITE_UTF8, connection.get(),
                             &SqliteConnection::sleep_entry, nullptr, nullptr, nullptr);
  const bool in_memory = target.find("vfs=memdb") != std::string::npos;
  if (!in_memory) {
    // WAL lets readers proceed beside the one writer; NORMAL sync is durable enough for a lab.
    if (auto error = connection->execute("PRAGMA journal_mode=WAL"))
      return core::unexpected(*error);
    if (auto error = connection->execute("PRAGMA synchronous=NORMAL")) {
      return core::unexpected(*error);
    }
  }
  return connection;
}

SqliteConnection::~SqliteConnection() {
  for (sqlite3_stmt* statement : statements_) sqlite3_finalize(statement);
  sqlite3_close_v2(db_);
}

std::optional<DbError> SqliteConnection::create_schema() {
  return execute(
      "CREATE TABLE IF NOT EXISTS tasks ("
      " id INTEGER PRIMARY KEY,"
      " title TEXT NOT NULL,"
      " description TEXT NOT NULL DEFAULT '',"
      " created_at TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS expensive_rows ("
      " id INTEGER PRIMARY KEY,"
      " payload TEXT NOT NULL);");
}

core::Expected<Task, DbError> SqliteConnection::insert_task(const std::string& title,
                                                            const std::string& description) {
  static const std::string sql =
      std::string("INSERT INTO tasks (title, description, created_at) VALUES (?1, ?2, ") +
      kCreatedAtNow + ") RETURNING id, title, description, created_at";
  sqlite3_stmt* statement = prepared(Statement::insert_task, sql.c_str());
  if (statement == nullptr) return core::unexpected(last_error("prepare insert_task"));
  StatementReset reset{statement};
  sqlite3_bind_text(statement, 1, title.data(), static_cast<int>(title.size()), SQLITE_STATIC);
  sqlite3_bind_text(statement, 2, description.data(), static_cast<int>(description.size()),
                    SQLITE_STATIC);
  if (sqlite3_step(statement) != SQLITE_ROW) return core::unexpected(last_error("insert task"));
  Task task = read_task(statement);
  if (sqlite3_step(statement) != SQLITE_DONE) return core::unexpected(last_error("insert task"));
  return task;
}

core::Expected<std::vector<Task>, DbError> SqliteConnection::list_tasks(int limit) {
  sqlite3_stmt* statement =
      prepared(Statement::list_tasks,
               "SELECT id, title, description, created_at FROM tasks ORDER BY id DESC LIMIT ?1");
  if (statement == nullptr) return core::unexpected(last_error("prepare list_tasks"));
  StatementReset reset{statement};
  sqlite3_bind_int(statement, 1, std::max(limit, 0));
  std::vector<Task> tasks;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) tasks.push_back(read_task(statement));
  if (rc != SQLITE_DONE) return core::unexpected(last_error("list tasks"));
  return tasks;
}

core::Expected<std::int64_t, DbError> SqliteConnection::expensive_query(int iterations) {
  // IMMEDIATE takes the write lock up front, so two writers wait (busy_timeout) instead of
  // deadlocking on a read-to-write upgrade.
  if (auto error = execute("BEGIN IMMEDIATE")) return core::unexpected(*error);
  auto fail = [this](DbError error) {
    execute("ROLLBACK");
    return core::unexpected(std::move(error));
  };
  sqlite3_stmt* insert =
      prepared(Statement::insert_row, "INSERT INTO expensive_rows (payload) VALUES (?1)");
  sqlite3_stmt* count = prepared(Statement::count_rows, "SELECT count(*) FROM expensive_rows");
  if (insert == nullptr || count == nullptr) return fail(last_error("prepare expensive_query"));
  for (int i = 0; i < iterations; ++i) {
    StatementReset reset{insert};
    const std::string payload = "row-" + std::to_string(i);
    sqlite3_bind_text(insert, 1, payload.data(), static_cast<int>(payload.size()),
                      SQLITE_TRANSIENT);
    if (sqlite3_step(insert) != SQLITE_DONE) return fail(last_error("expensive insert"));
  }
  std::int64_t rows = 0;
  {
    StatementReset reset{count};
    if (sqlite3_step(count) != SQLITE_ROW) return fail(last_error("expensive count"));
    rows = sqlite3_column_int64(count, 0);
  }
  if (auto error = execute("ROLLBACK")) return core::unexpected(*error);
  return rows;
}

core::Expected<double, DbError> SqliteConnection::sleep_query(std::chrono::milliseconds duration) {
  sqlite3_stmt* statement = prepared(Statement::sleep, "SELECT sleep(?1)");
  if (statement == nullptr) return core::unexpected(last_error("prepare sleep"));
  StatementReset reset{statement};
  sqlite3_bind_double(statement, 1, std::chrono::duration<double>(duration).count());
  if (sqlite3_step(statement) != SQLITE_ROW) return core::unexpected(last_error("sleep query"));
  return sqlite3_column_double(statement, 0);
}

void SqliteConnection::interrupt() noexcept {
  {
    std::lock_guard lock(sleep_mutex_);
    interrupted_.store(true, std::memory_order_release);
  }
  sleep_wakeup_.notify_all();
  sqlite3_interrupt(db_);
}

void SqliteConnection::sleep_entry(sqlite3_context* context, int argc, sqlite3_value** argv) {
  auto* self = static_cast<SqliteConnection*>(sqlite3_user_data(context));
  const double seconds = argc == 1 ? sqlite3_value_double(argv[0]) : 0.0;
  if (!std::isfinite(seconds) || seconds < 0 || seconds > kMaxSleepSeconds) {
    sqlite3_result_error(context, "sleep(seconds): seconds must be within 0..3600", -1);
    return;
  }
  const auto duration =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
  if (!self->sleep_interruptibly(duration)) {
    sqlite3_result_error(context, "sleep interrupted", -1);
    return;
  }
  sqlite3_result_double(context, seconds);
}

bool SqliteConnection::sleep_interruptibly(std::chrono::nanoseconds duration) {
  std::unique_lock lock(sleep_mutex_);
  return !sleep_wakeup_.wait_for(lock, duration,
                                 [this] { return interrupted_.load(std::memory_order_acquire); });
}

sqlite3_stmt* SqliteConnection::prepared(Statement which, const char* sql) {
  sqlite3_stmt*& slot = statements_[static_cast<std::size_t>(which)];
  if (slot == nullptr) {
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &slot, nullptr) != SQLITE_OK) {
      slot = nullptr;
    }
  }
  return slot;
}

std::optional<DbError> SqliteConnection::execute(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return std::nullopt;
  DbError error{DbErrorKind::query_failed,
                std::string(sql).substr(0, 40) + ": " + (message != nullptr ? message : "failed")};
  sqlite3_free(message);
  return error;
}

DbError SqliteConnection::last_error(const char* what) const {
  return DbError{DbErrorKind::query_failed, std::string(what) + ": " + sqlite3_errmsg(db_)};
}

}  // namespace loadlab::db
