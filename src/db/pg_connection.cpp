// One PostgreSQL connection on libpq's non-blocking API; see pg_connection.hpp.
#include "db/pg_connection.hpp"

#include <libpq-fe.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <string_view>

namespace loadlab::db {

namespace asio = boost::asio;
using WaitType = asio::posix::descriptor_base::wait_type;

namespace {

// Watches libpq's socket without owning it: libpq closes it, so the descriptor is released
// (not closed) when the wait ends.
class BorrowedSocket {
 public:
  BorrowedSocket(const asio::any_io_executor& executor, int fd) : socket_(executor, fd) {}
  BorrowedSocket(const BorrowedSocket&) = delete;
  BorrowedSocket& operator=(const BorrowedSocket&) = delete;
  ~BorrowedSocket() { socket_.release(); }
  asio::posix::stream_descriptor& get() noexcept { return socket_; }

 private:
  asio::posix::stream_descriptor socket_;
};

// Waits until libpq's socket is ready; timed_out if `deadline` passes first, operation_aborted
// if the awaiting coroutine is cancelled.
asio::awaitable<boost::system::error_code> wait_socket(
    int fd, WaitType type, std::optional<asio::steady_timer::time_point> deadline) {
  using namespace asio::experimental::awaitable_operators;
  auto executor = co_await asio::this_coro::executor;
  BorrowedSocket socket(executor, fd);
  if (!deadline) {
    auto [ec] = co_await socket.get().async_wait(type, asio::as_tuple(asio::use_awaitable));
    co_return ec;
  }
  asio::steady_timer timer(executor, *deadline);
  auto outcome = co_await (socket.get().async_wait(type, asio::as_tuple(asio::use_awaitable)) ||
                           timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (outcome.index() == 1) co_return asio::error::timed_out;
  co_return std::get<0>(std::get<0>(outcome));
}

std::string trimmed(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

void PgResultDeleter::operator()(pg_result* result) const noexcept {
  PQclear(result);
}

asio::awaitable<core::Expected<std::unique_ptr<PgConnection>, DbError>> PgConnection::connect(
    std::string conninfo, std::chrono::milliseconds timeout) {
  // expand_dbname lets `dbname` carry a whole URL, whose settings override the defaults before it.
  const char* keywords[] = {"application_name", "dbname", nullptr};
  const char* values[] = {"loadlab", conninfo.c_str(), nullptr};
  std::unique_ptr<PgConnection> connection(
      new PgConnection(PQconnectStartParams(keywords, values, 1)));
  if (connection->connection_ == nullptr) {
    co_return core::unexpected(DbError{DbErrorKind::connection_failed, "libpq: out of memory"});
  }
  if (PQstatus(connection->connection_) == CONNECTION_BAD) {
    co_return core::unexpected(connection->transport_error("connect"));
  }
  const auto deadline = asio::steady_timer::clock_type::now() + timeout;
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) {
      co_return core::unexpected(connection->transport_error("connect"));
    }
    // The socket may change between polls (libpq retries without SSL, or another address).
    const int fd = PQsocket(connection->connection_);
    const WaitType type =
        status == PGRES_POLLING_READING ? WaitType::wait_read : WaitType::wait_write;
    if (auto ec = co_await wait_socket(fd, type, deadline)) {
      co_return core::unexpected(
          DbError{DbErrorKind::connection_failed, ec == asio::error::timed_out
                                                      ? "PostgreSQL connect timed out"
                                                      : "connect: " + ec.message()});
    }
    status = PQconnectPoll(connection->connection_);
  }
  if (PQsetnonblocking(connection->connection_, 1) != 0) {
    co_return core::unexpected(connection->transport_error("set non-blocking"));
  }
  co_return connection;
}

PgConnection::~PgConnection() {
  if (connection_ != nullptr) PQfinish(connection_);
}

bool PgConnection::reusable() const noexcept {
  return !broken_ && !in_flight_ && PQstatus(connection_) == CONNECTION_OK &&
         PQtransactionStatus(connection_) == PQTRANS_IDLE;
}

bool PgConnection::alive() noexcept {
  // A server that ends the session sends a FATAL message, then closes: the first read takes the
  // message, the second sees the end of the stream. Both reads return at once when idle.
  for (int read = 0; read < 2; ++read) {
    if (PQconsumeInput(connection_) == 0 || PQstatus(connection_) != CONNECTION_OK) {
      broken_ = true;
      return false;
    }
  }
  return true;
}

void PgConnection::cancel_blocking() noexcept {
  if (PGcancel* cancel = PQgetCancel(connection_)) {
    char error[256];
    PQcancel(cancel, error, sizeof error);
    PQfreeCancel(cancel);
  }
}

DbError PgConnection::transport_error(const char* what) {
  broken_ = true;
  return DbError{DbErrorKind::connection_failed,
                 std::string(what) + ": " + trimmed(PQerrorMessage(connection_))};
}

asio::awaitable<core::Expected<PgResult, DbError>> PgConnection::execute(
    std::string sql, std::vector<std::string> parameters) {
  std::vector<const char*> values;
  values.reserve(parameters.size());
  for (const auto& parameter : parameters) values.push_back(parameter.c_str());
  if (PQsendQueryParams(connection_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                        values.data(), nullptr, nullptr, 0) == 0) {
    co_return core::unexpected(transport_error("send query"));
  }
  in_flight_ = true;
  const int fd = PQsocket(connection_);
  // Non-blocking mode may leave part of the query in libpq's buffer.
  for (int pending = PQflush(connection_); pending != 0; pending = PQflush(connection_)) {
    if (pending < 0) co_return core::unexpected(transport_error("send query"));
    if (auto ec = co_await wait_socket(fd, WaitType::wait_write, std::nullopt)) {
      co_return core::unexpected(
          DbError{DbErrorKind::query_failed, "query abandoned: " + ec.message()});
    }
  }
  PgResult last;
  std::optional<DbError> failure;
  while (true) {
    while (PQisBusy(connection_) == 0) {
      PgResult result(PQgetResult(connection_));
      if (!result) {
        in_flight_ = false;
        if (failure) co_return core::unexpected(std::move(*failure));
        co_return last;
      }
      const ExecStatusType status = PQresultStatus(result.get());
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && !failure) {
        failure = DbError{DbErrorKind::query_failed, trimmed(PQresultErrorMessage(result.get()))};
      }
      last = std::move(result);
    }
    // The wait is where a caller's cancellation lands; the query then keeps running on the
    // server and the connection stays in_flight until the pool cancels and closes it.
    if (auto ec = co_await wait_socket(fd, WaitType::wait_read, std::nullopt)) {
      co_return core::unexpected(
          DbError{DbErrorKind::query_failed, "query abandoned: " + ec.message()});
    }
    if (PQconsumeInput(connection_) == 0)
      co_return core::unexpected(transport_error("read result"));
  }
}

}  // namespace loadlab::db
