// The PostgreSQL backend; see pg_database.hpp.
#include "db/pg_database.hpp"

#include <libpq-fe.h>

#include <boost/asio/post.hpp>
#include <cstdio>
#include <stdexcept>

namespace loadlab::db {

namespace asio = boost::asio;

namespace {

constexpr std::chrono::milliseconds kConnectTimeout{5000};
// Dead idle connections skipped per call before giving up (the pool then opens new ones).
constexpr int kStaleRetries = 16;

// The advisory lock serialises replicas that start together (CREATE TABLE IF NOT EXISTS is not
// safe against a concurrent creation of the same table).
constexpr const char* kSchema =
    "SELECT pg_advisory_lock(7263540);"
    "CREATE TABLE IF NOT EXISTS tasks ("
    " id BIGSERIAL PRIMARY KEY,"
    " title TEXT NOT NULL,"
    " description TEXT NOT NULL DEFAULT '',"
    " created_at TIMESTAMPTZ NOT NULL DEFAULT now());"
    "CREATE TABLE IF NOT EXISTS expensive_rows ("
    " id BIGSERIAL PRIMARY KEY,"
    " payload TEXT NOT NULL);"
    "SELECT pg_advisory_unlock(7263540);";

constexpr const char* kTaskColumns =
    "id, title, description, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

// Start-up only: a blocking connection with libpq's own connect timeout.
void check_server_and_create_schema(const std::string& url) {
  const char* keywords[] = {"application_name", "connect_timeout", "dbname", nullptr};
  const char* values[] = {"loadlab", "5", url.c_str(), nullptr};
  PGconn* connection = PQconnectdbParams(keywords, values, 1);
  auto fail = [connection](const std::string& what) {
    std::string message = connection != nullptr ? PQerrorMessage(connection) : "out of memory";
    while (!message.empty() && message.back() == '\n') message.pop_back();
    PQfinish(connection);
    throw std::runtime_error(what + ": " + message);
  };
  if (connection == nullptr || PQstatus(connection) != CONNECTION_OK) {
    fail("cannot connect to PostgreSQL");
  }
  PGresult* result = PQexec(connection, kSchema);
  const ExecStatusType status = PQresultStatus(result);
  PQclear(result);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    fail("cannot create the PostgreSQL schema");
  }
  PQfinish(connection);
}

std::string text_at(const PGresult* result, int row, int column) {
  return std::string(PQgetvalue(result, row, column),
                     static_cast<std::size_t>(PQgetlength(result, row, column)));
}

Task task_at(const PGresult* result, int row) {
  return Task{std::stoll(text_at(result, row, 0)), text_at(result, row, 1), text_at(result, row, 2),
              text_at(result, row, 3)};
}

std::string seconds_text(std::chrono::milliseconds duration) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", std::chrono::duration<double>(duration).count());
  return buffer;
}

}  // namespace

PgDatabase::PgDatabase(std::string url, PoolOptions options, metrics::Registry& registry,
                       core::Clock& clock)
    : url_(std::move(url)), pool_(options, *this, registry, clock) {
  check_server_and_create_schema(url_);
}

PgDatabase::~PgDatabase() {
  pool_.close();
  cleanup_threads_.join();
}

asio::awaitable<core::Expected<std::unique_ptr<PooledConnection>, DbError>> PgDatabase::open() {
  auto connected = co_await PgConnection::connect(url_, kConnectTimeout);
  if (!connected) co_return core::unexpected(std::move(connected).error());
  co_return std::unique_ptr<PooledConnection>(std::move(connected).value());
}

void PgDatabase::discard(std::unique_ptr<PooledConnection> connection) {
  // PQcancel opens a second connection and waits for it: never on an I/O thread.
  asio::post(cleanup_threads_, [connection = std::move(connection)]() mutable {
    auto& pg = static_cast<PgConnection&>(*connection);
    if (pg.query_in_flight()) pg.cancel_blocking();
    connection.reset();
  });
}

asio::awaitable<core::Expected<Lease, DbError>> PgDatabase::acquire_live() {
  // After a server restart every idle connection is dead: try a few, then open fresh ones.
  for (int attempt = 0; attempt <= kStaleRetries; ++attempt) {
    auto lease = co_await pool_.acquire();
    if (!lease || lease->as<PgConnection>().alive()) co_return std::move(lease);
    lease->mark_broken();
  }
  co_return core::unexpected(
      DbError{DbErrorKind::connection_failed, "every pooled PostgreSQL connection was closed"});
}

asio::awaitable<core::Expected<Task, DbError>> PgDatabase::create_task(std::string title,
                                                                       std::string description) {
  auto lease = co_await acquire_live();
  if (!lease) co_return core::unexpected(std::move(lease).error());
  auto& connection = lease->as<PgConnection>();
  // Arguments are named locals: GCC 12 miscompiles braced temporaries inside co_await.
  std::string sql =
      std::string("INSERT INTO tasks (title, description) VALUES ($1, $2) RETURNING ") +
      kTaskColumns;
  std::vector<std::string> parameters{std::move(title), std::move(description)};
  auto inserted = co_await connection.execute(std::move(sql), std::move(parameters));
  if (!inserted) co_return core::unexpected(std::move(inserted).error());
  if (PQntuples(inserted->get()) != 1) {
    co_return core::unexpected(DbError{DbErrorKind::query_failed, "INSERT returned no row"});
  }
  co_return task_at(inserted->get(), 0);
}

asio::awaitable<core::Expected<std::vector<Task>, DbError>> PgDatabase::list_tasks(int limit) {
  auto lease = co_await acquire_live();
  if (!lease) co_return core::unexpected(std::move(lease).error());
  auto& connection = lease->as<PgConnection>();
  std::string sql = std::string("SELECT ") + kTaskColumns + " FROM tasks ORDER BY id DESC LIMIT $1";
  std::vector<std::string> parameters{std::to_string(std::max(limit, 0))};
  auto listed = co_await connection.execute(std::move(sql), std::move(parameters));
  if (!listed) co_return core::unexpected(std::move(listed).error());
  std::vector<Task> tasks;
  const int rows = PQntuples(listed->get());
  tasks.reserve(static_cast<std::size_t>(rows));
  for (int row = 0; row < rows; ++row) tasks.push_back(task_at(listed->get(), row));
  co_return tasks;
}

asio::awaitable<core::Expected<std::int64_t, DbError>> PgDatabase::expensive_query(int iterations) {
  auto lease = co_await acquire_live();
  if (!lease) co_return core::unexpected(std::move(lease).error());
  auto& connection = lease->as<PgConnection>();
  auto counted = co_await insert_and_count(connection, iterations);
  if (!counted && connection.reusable()) {
    // Still usable but maybe inside the transaction: roll it back before the pool reuses it.
    (void)co_await connection.execute("ROLLBACK", std::vector<std::string>());
  }
  co_return counted;
}

// Seed 000's expensive query: N round-trip inserts then a count, in a transaction that is
// rolled back so the table does not grow with the length of a load test.
asio::awaitable<core::Expected<std::int64_t, DbError>> PgDatabase::insert_and_count(
    PgConnection& connection, int iterations) {
  auto begun = co_await connection.execute("BEGIN", std::vector<std::string>());
  if (!begun) co_return core::unexpected(std::move(begun).error());
  for (int i = 0; i < iterations; ++i) {
    std::vector<std::string> payload{"row-" + std::to_string(i)};
    auto inserted = co_await connection.execute("INSERT INTO expensive_rows (payload) VALUES ($1)",
                                                std::move(payload));
    if (!inserted) co_return core::unexpected(std::move(inserted).error());
  }
  auto counted = co_await connection.execute("SELECT count(*) FROM expensive_rows",
                                             std::vector<std::string>());
  if (!counted) co_return core::unexpected(std::move(counted).error());
  const std::int64_t rows = std::stoll(text_at(counted->get(), 0, 0));
  auto rolled_back = co_await connection.execute("ROLLBACK", std::vector<std::string>());
  if (!rolled_back) co_return core::unexpected(std::move(rolled_back).error());
  co_return rows;
}

asio::awaitable<core::Expected<double, DbError>> PgDatabase::sleep_query(
    std::chrono::milliseconds duration) {
  auto lease = co_await acquire_live();
  if (!lease) co_return core::unexpected(std::move(lease).error());
  auto& connection = lease->as<PgConnection>();
  std::vector<std::string> parameters{seconds_text(duration)};
  auto slept = co_await connection.execute("SELECT pg_sleep($1)", std::move(parameters));
  if (!slept) co_return core::unexpected(std::move(slept).error());
  co_return std::chrono::duration<double>(duration).count();
}

}  // namespace loadlab::db
