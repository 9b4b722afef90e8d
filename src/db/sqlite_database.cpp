// The SQLite backend; see sqlite_database.hpp.
#include "db/sqlite_database.hpp"

#include <unistd.h>

#include <cstdint>
#include <stdexcept>

#include "db/blocking_call.hpp"

namespace loadlab::db {

namespace asio = boost::asio;

namespace {

// memdb with a name starting with '/' is one database shared by every connection of the process
// that opens the same name; unlike a shared-cache URI, its locks honour busy_timeout.
std::string memory_target(const void* owner) {
  return "file:/loadlab-" + std::to_string(::getpid()) + "-" +
         std::to_string(reinterpret_cast<std::uintptr_t>(owner)) + "?vfs=memdb";
}

}  // namespace

SqliteDatabase::SqliteDatabase(const std::string& path, PoolOptions options,
                               metrics::Registry& registry, core::Clock& clock)
    : target_(path == ":memory:" ? memory_target(this) : path),
      threads_(static_cast<std::size_t>(options.size + options.overflow)),
      pool_(options, *this, registry, clock) {
  auto keeper = SqliteConnection::open(target_);
  if (!keeper) throw std::runtime_error(keeper.error().message);
  if (auto error = (*keeper)->create_schema()) {
    throw std::runtime_error("cannot create the SQLite schema: " + error->message);
  }
  keeper_ = std::move(keeper).value();
}

SqliteDatabase::~SqliteDatabase() {
  close();
  threads_.join();
}

void SqliteDatabase::close() {
  pool_.close();
}

template <class Result, class Call>
asio::awaitable<Result> SqliteDatabase::on_connection(Call call) {
  auto lease = co_await pool_.acquire();
  if (!lease) co_return core::unexpected(std::move(lease).error());
  SqliteConnection& connection = lease->template as<SqliteConnection>();
  connection.clear_interrupt();
  // Lambdas are named before the co_await: GCC 12 destroys a capturing lambda created inside a
  // co_await expression twice.
  auto blocking = [&connection, call = std::move(call)]() mutable { return call(connection); };
  auto interrupt = [&connection] { connection.interrupt(); };
  co_return co_await run_blocking<Result>(threads_, std::move(blocking), std::move(interrupt));
}

asio::awaitable<core::Expected<Task, DbError>> SqliteDatabase::create_task(
    std::string title, std::string description) {
  auto call = [title = std::move(title), description = std::move(description)](
                  SqliteConnection& c) { return c.insert_task(title, description); };
  co_return co_await on_connection<core::Expected<Task, DbError>>(std::move(call));
}

asio::awaitable<core::Expected<std::vector<Task>, DbError>> SqliteDatabase::list_tasks(int limit) {
  auto call = [limit](SqliteConnection& c) { return c.list_tasks(limit); };
  co_return co_await on_connection<core::Expected<std::vector<Task>, DbError>>(std::move(call));
}

asio::awaitable<core::Expected<std::int64_t, DbError>> SqliteDatabase::expensive_query(
    int iterations) {
  auto call = [iterations](SqliteConnection& c) { return c.expensive_query(iterations); };
  co_return co_await on_connection<core::Expected<std::int64_t, DbError>>(std::move(call));
}

asio::awaitable<core::Expected<double, DbError>> SqliteDatabase::sleep_query(
    std::chrono::milliseconds duration) {
  auto call = [duration](SqliteConnection& c) { return c.sleep_query(duration); };
  co_return co_await on_connection<core::Expected<double, DbError>>(std::move(call));
}

asio::awaitable<core::Expected<std::unique_ptr<PooledConnection>, DbError>> SqliteDatabase::open() {
  using Opened = core::Expected<std::unique_ptr<PooledConnection>, DbError>;
  // Opening a file may touch the disk: not on an I/O thread either.
  auto blocking = [target = target_]() -> Opened {
    auto opened = SqliteConnection::open(target);
    if (!opened) return core::unexpected(std::move(opened).error());
    return std::unique_ptr<PooledConnection>(std::move(opened).value());
  };
  co_return co_await run_blocking<Opened>(threads_, std::move(blocking), [] {});
}

void SqliteDatabase::discard(std::unique_ptr<PooledConnection> connection) {
  // Closing an idle SQLite connection is quick and does not wait on anything.
  connection.reset();
}

}  // namespace loadlab::db
