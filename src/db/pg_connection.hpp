// One PostgreSQL connection driven through libpq's non-blocking API: the socket is awaited with
// Asio (wait_read / wait_write) on the calling coroutine's executor, so no thread ever blocks.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "db/database.hpp"
#include "db/pool_ledger.hpp"

struct pg_conn;
struct pg_result;

namespace loadlab::db {

struct PgResultDeleter {
  void operator()(pg_result* result) const noexcept;
};
using PgResult = std::unique_ptr<pg_result, PgResultDeleter>;

class PgConnection final : public PooledConnection {
 public:
  // Connects without blocking (PQconnectStartParams / PQconnectPoll); connection_failed when
  // the server refuses or `timeout` passes.
  static boost::asio::awaitable<core::Expected<std::unique_ptr<PgConnection>, DbError>> connect(
      std::string conninfo, std::chrono::milliseconds timeout);

  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection() override;

  // Sends one statement with text parameters and awaits every result; returns the last one.
  // A transport error or a cancelled wait leaves the connection mid-protocol: it is marked
  // not reusable, and the pool discards it (cancelling the server-side query first).
  boost::asio::awaitable<core::Expected<PgResult, DbError>> execute(
      std::string sql, std::vector<std::string> parameters);

  [[nodiscard]] bool reusable() const noexcept override;
  // Non-blocking check of an idle connection: false when the server closed it meanwhile (a
  // restart, pg_terminate_backend, an idle timeout), which libpq only notices on reading.
  [[nodiscard]] bool alive() noexcept;
  // True while a query may still run on the server (a cancelled wait left it there).
  [[nodiscard]] bool query_in_flight() const noexcept { return in_flight_; }
  // Blocking: asks the server to cancel the running query. Call on a blocking thread only.
  void cancel_blocking() noexcept;

 private:
  explicit PgConnection(pg_conn* connection) : connection_(connection) {}
  DbError transport_error(const char* what);

  pg_conn* connection_;
  bool broken_ = false;
  bool in_flight_ = false;
};

}  // namespace loadlab::db
