// Connection coroutine with a watchdog deadline instead of a timer per operation (session.hpp).
#include "http/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "http/request_dispatch.hpp"
#include "http/request_metrics.hpp"
#include "http/server_state.hpp"

namespace loadlab::http {

using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;
namespace bhttp = beast::http;

// Socket plus the one deadline that currently applies to it. The watchdog wakes at most every
// `check_interval` and closes the socket once the deadline has passed; moving the deadline costs
// an assignment, not a timer operation (the interval is never longer than any timeout, so a new
// deadline always lies after the watchdog's next wake-up).
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)), watchdog(socket.get_executor()) {}

  void expire_after(std::chrono::milliseconds timeout) {
    deadline = std::chrono::steady_clock::now() + timeout;
  }
  void no_deadline() { deadline = SteadyTime::max(); }

  tcp::socket socket;
  asio::steady_timer watchdog;
  SteadyTime deadline = SteadyTime::max();
  std::chrono::milliseconds check_interval{1'000};
  bool idle = false;       // waiting for the first byte of the next request
  bool finished = false;   // the session is over; the watchdog stops
  bool timed_out = false;  // the watchdog closed the socket
};

namespace {

asio::awaitable<void> watch_deadline(std::shared_ptr<Connection> connection) {
  while (!connection->finished) {
    const SteadyTime now = std::chrono::steady_clock::now();
    if (now >= connection->deadline) {
      connection->timed_out = true;
      beast::error_code ignored;
      connection->socket.shutdown(tcp::socket::shutdown_both, ignored);
      connection->socket.cancel(ignored);
      co_return;
    }
    const SteadyTime next_check = now + connection->check_interval;
    connection->watchdog.expires_at(std::min(connection->deadline, next_check));
    co_await connection->watchdog.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

// The status for a request that could not be read, or nullopt when the connection just ended.
std::optional<Status> status_for_read_error(const beast::error_code& error) {
  if (error == bhttp::error::header_limit) return Status::request_header_fields_too_large;
  if (error == bhttp::error::body_limit) return Status::payload_too_large;
  if (error.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
      error != bhttp::error::end_of_stream && error != bhttp::error::partial_message &&
      error != bhttp::error::need_more && error != bhttp::error::need_buffer) {
    return Status::bad_request;
  }
  return std::nullopt;
}

std::string_view message_for(Status status) {
  switch (status) {
    case Status::request_header_fields_too_large:
      return "request header fields too large";
    case Status::payload_too_large:
      return "request body too large";
    default:
      return "malformed request";
  }
}

// Reads one request into *parser; the first byte may already be buffered.
asio::awaitable<beast::error_code> read_request(Connection* connection, beast::flat_buffer* buffer,
                                                bhttp::request_parser<bhttp::string_body>* parser,
                                                std::chrono::milliseconds timeout) {
  connection->expire_after(timeout);
  auto [error, head_bytes] = co_await bhttp::async_read_header(connection->socket, *buffer, *parser,
                                                               asio::as_tuple(asio::use_awaitable));
  if (error || parser->is_done()) co_return error;
  connection->expire_after(timeout);
  auto [body_error, body_bytes] = co_await bhttp::async_read(connection->socket, *buffer, *parser,
                                                             asio::as_tuple(asio::use_awaitable));
  co_return body_error;
}

asio::awaitable<void> answer_protocol_error(SessionEnvironment* environment, Connection* connection,
                                            Status status, Verb method, core::TimePoint started) {
  Response response = error_response(status, message_for(status));
  response.keep_alive(false);
  finish_protocol_error(*environment, response, method, started);
  connection->expire_after(environment->options->idle_timeout);
  co_await bhttp::async_write(connection->socket, response, asio::as_tuple(asio::use_awaitable));
}

// Waits (idle deadline) until the next request's first byte is buffered; false: close instead.
asio::awaitable<bool> await_next_request(Connection* connection, beast::flat_buffer* buffer,
                                         IoShard* shard, std::chrono::milliseconds timeout) {
  if (buffer->size() > 0) co_return true;
  if (shard->closing_idle) co_return false;
  connection->idle = true;
  connection->expire_after(timeout);
  auto [error, bytes] = co_await connection->socket.async_read_some(
      buffer->prepare(4096), asio::as_tuple(asio::use_awaitable));
  connection->idle = false;
  if (error) co_return false;
  buffer->commit(bytes);
  co_return true;
}

}  // namespace

asio::awaitable<void> run_session(tcp::socket socket, SessionEnvironment* environment,
                                  IoShard* shard) {
  const ServerOptions& options = *environment->options;
  auto connection = std::make_shared<Connection>(std::move(socket));
  connection->check_interval = std::min(options.header_read_timeout, options.idle_timeout);
  shard->connections.push_front(connection.get());
  const auto tracked = shard->connections.begin();
  environment->metrics->connections().inc();
  beast::error_code ignored;
  connection->socket.set_option(tcp::no_delay(true), ignored);
  connection->expire_after(options.header_read_timeout);
  asio::co_spawn(connection->socket.get_executor(), watch_deadline(connection), asio::detached);

  beast::flat_buffer buffer;
  bool first_request = true;
  for (;;) {
    const auto wait = first_request ? options.header_read_timeout : options.idle_timeout;
    if (!co_await await_next_request(connection.get(), &buffer, shard, wait)) break;
    first_request = false;

    const core::TimePoint started = environment->clock->now();
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    const beast::error_code read_error =
        co_await read_request(connection.get(), &buffer, &parser, options.header_read_timeout);
    if (read_error) {
      const std::optional<Status> status = status_for_read_error(read_error);
      if (status && !connection->timed_out) {
        const Verb method = parser.is_header_done() ? parser.get().method() : Verb::unknown;
        co_await answer_protocol_error(environment, connection.get(), *status, method, started);
      }
      break;
    }

    Request& request = parser.get();
    connection->no_deadline();
    Response response =
        co_await dispatch_request(environment, &request, connection->socket.get_executor());
    if (const auto abort = response.find(abort_connection_header);
        abort != response.end() && abort->value() == "reset") {
      // SO_LINGER with a zero timeout turns close() into a RST: the peer sees "connection reset".
      connection->socket.set_option(asio::socket_base::linger(true, 0), ignored);
      break;
    }
    const bool keep_alive =
        request.keep_alive() && response.keep_alive() && !environment->state->draining();
    response.keep_alive(keep_alive);
    connection->expire_after(options.idle_timeout);
    auto [write_error, written] = co_await bhttp::async_write(connection->socket, response,
                                                              asio::as_tuple(asio::use_awaitable));
    if (write_error || !keep_alive) break;
  }

  connection->finished = true;
  connection->watchdog.cancel();
  // A graceful FIN, unless a reset was asked for (a shutdown first would send the FIN anyway).
  asio::socket_base::linger linger;
  connection->socket.get_option(linger, ignored);
  if (!linger.enabled()) connection->socket.shutdown(tcp::socket::shutdown_send, ignored);
  connection->socket.close(ignored);
  shard->connections.erase(tracked);
  environment->metrics->connections().dec();
  environment->state->close_connection();
  if (environment->on_connection_closed) environment->on_connection_closed();
}

void close_idle_connections(IoShard& shard) {
  shard.closing_idle = true;
  for (Connection* connection : shard.connections) {
    if (connection->idle) {
      beast::error_code ignored;
      connection->socket.cancel(ignored);
    }
  }
}

void reject_connection(tcp::socket socket) {
  static constexpr std::string_view answer =
      "HTTP/1.1 503 Service Unavailable\r\n"
      "Content-Type: application/json\r\n"
      "Connection: close\r\n"
      "Retry-After: 1\r\n"
      "Content-Length: 37\r\n\r\n"
      "{\"error\":\"too many open connections\"}";
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(answer.data(), answer.size()), ignored);
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

}  // namespace loadlab::http
