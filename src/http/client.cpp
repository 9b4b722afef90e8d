// Outbound HTTP client: one request/response exchange on a pooled connection, under a deadline.
#include "http/client.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <vector>

namespace loadlab::http {

namespace {

// NOLINTNEXTLINE(misc-unused-using-decls): used by `a || b` on awaitables (not found by ADL)
using asio::experimental::awaitable_operators::operator||;
using asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;
using Result = core::Expected<ClientResponse, ClientError>;

enum class Phase { connect, exchange };

ClientError classify(const boost::system::error_code& ec, Phase phase) {
  namespace error = asio::error;
  const std::string message = ec.message();
  if (ec == error::timed_out) return {ClientErrorKind::timeout, message};
  if (ec == error::operation_aborted) return {ClientErrorKind::timeout, "cancelled: " + message};
  if (phase == Phase::connect) return {ClientErrorKind::connect, message};
  if (ec == beast::http::error::end_of_stream || ec == beast::http::error::partial_message ||
      ec == error::eof || ec == error::connection_reset || ec == error::broken_pipe ||
      ec == error::connection_aborted) {
    return {ClientErrorKind::reset, message};
  }
  return {ClientErrorKind::protocol, message};
}

bool is_idempotent(Verb method) noexcept {
  return method == Verb::get || method == Verb::head || method == Verb::put ||
         method == Verb::delete_ || method == Verb::options;
}

asio::awaitable<core::Expected<std::vector<tcp::endpoint>, ClientError>> resolve(
    asio::any_io_executor io_executor, std::string host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) co_return std::vector<tcp::endpoint>{tcp::endpoint(address, port)};
  tcp::resolver resolver(io_executor);
  auto [resolve_ec, results] = co_await resolver.async_resolve(host, std::to_string(port),
                                                               asio::as_tuple(asio::use_awaitable));
  if (resolve_ec) co_return core::unexpected(classify(resolve_ec, Phase::connect));
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  co_return endpoints;
}

}  // namespace

std::string_view to_string(ClientErrorKind kind) noexcept {
  switch (kind) {
    case ClientErrorKind::timeout:
      return "timeout";
    case ClientErrorKind::connect:
      return "connect";
    case ClientErrorKind::reset:
      return "reset";
    case ClientErrorKind::protocol:
      return "protocol";
  }
  return "protocol";
}

core::Expected<Origin, std::string> Origin::parse(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return core::unexpected("not a URL: '" + std::string(url) + "'");
  if (parsed->scheme() != "http") {
    return core::unexpected("only http:// URLs are supported: '" + std::string(url) + "'");
  }
  if (parsed->has_userinfo() || parsed->has_query() || parsed->has_fragment()) {
    return core::unexpected("URL must be http://host[:port][/path]: '" + std::string(url) + "'");
  }
  Origin origin;
  origin.host = parsed->host_name().empty() ? std::string(parsed->encoded_host_address())
                                            : std::string(parsed->host_name());
  if (parsed->host_type() == boost::urls::host_type::ipv6) {
    origin.host = std::string(parsed->encoded_host_address());  // without the brackets
  }
  if (origin.host.empty()) return core::unexpected("URL has no host: '" + std::string(url) + "'");
  if (parsed->has_port()) {
    const auto port_text = parsed->port();
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return core::unexpected("bad port in URL: '" + std::string(url) + "'");
    }
    origin.port = static_cast<std::uint16_t>(port);
  }
  origin.base_path = std::string(parsed->encoded_path());
  while (!origin.base_path.empty() && origin.base_path.back() == '/') origin.base_path.pop_back();
  return origin;
}

std::string Origin::authority() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

HttpClient::HttpClient(asio::any_io_executor io_executor, ClientOptions options)
    : io_executor_(std::move(io_executor)),
      options_(std::move(options)),
      pool_(std::make_unique<ConnectionPool>(io_executor_, options_.pool)) {}

HttpClient::~HttpClient() = default;

void HttpClient::stop() {
  pool_->stop();
}

asio::awaitable<Result> HttpClient::send(Verb method, Origin origin, std::string target,
                                         std::string body,
                                         std::optional<std::chrono::milliseconds> timeout,
                                         HeaderList headers) {
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::min(timeout.value_or(options_.max_request_time), options_.max_request_time);
  Request request{method, origin.base_path + (target.empty() ? "/" : target), 11};
  request.set(beast::http::field::host, origin.authority());
  request.set(beast::http::field::user_agent, options_.user_agent);
  request.keep_alive(true);
  for (auto& [name, value] : headers) request.set(name, value);
  if (!body.empty() || method == Verb::post || method == Verb::put) {
    request.set(beast::http::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
  }

  // A reused connection may have been closed by the server while idle: retry that case once.
  for (int attempt = 0;; ++attempt) {
    auto lease = co_await pool_->acquire(origin.authority(), deadline);
    if (!lease) {
      switch (lease.error()) {
        case PoolWaitError::timeout:
          co_return core::unexpected(ClientError{ClientErrorKind::timeout,
                                                 "no pooled connection free before the deadline"});
        case PoolWaitError::queue_full:
          co_return core::unexpected(
              ClientError{ClientErrorKind::connect, "connection pool wait queue is full"});
        case PoolWaitError::stopped:
          co_return core::unexpected(ClientError{ClientErrorKind::connect, "client stopped"});
      }
    }
    const bool reused = lease->reused();
    PooledConnection& connection = lease->connection();
    auto result = co_await exchange_with_deadline(&connection, &request, origin, deadline);
    const bool stale_socket = !result && reused && !connection.got_response_bytes &&
                              result.error().kind == ClientErrorKind::reset;
    if (!result) connection.reusable = false;
    lease->release();
    if (result) {
      result->reused_connection = reused;
      co_return result;
    }
    if (stale_socket && attempt == 0 && is_idempotent(method) &&
        std::chrono::steady_clock::now() < deadline) {
      continue;
    }
    co_return result;
  }
}

asio::awaitable<Result> HttpClient::exchange_with_deadline(PooledConnection* connection,
                                                           const Request* request, Origin origin,
                                                           SteadyTime deadline) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, deadline);
  auto outcome = co_await (exchange(connection, request, std::move(origin), deadline) ||
                           timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (outcome.index() == 0) co_return std::get<0>(std::move(outcome));
  connection->reusable = false;
  boost::system::error_code ignored;
  connection->socket.close(ignored);
  co_return core::unexpected(
      ClientError{ClientErrorKind::timeout, "no response before the deadline"});
}

asio::awaitable<Result> HttpClient::exchange(PooledConnection* connection, const Request* request,
                                             Origin origin, SteadyTime deadline) {
  connection->reusable = false;
  connection->got_response_bytes = false;
  if (!connection->socket.is_open()) {
    auto executor = co_await asio::this_coro::executor;
    auto endpoints = co_await resolve(io_executor_, origin.host, origin.port);
    if (!endpoints) co_return core::unexpected(std::move(endpoints.error()));
    asio::steady_timer connect_timer(
        executor, std::min(deadline, std::chrono::steady_clock::now() + options_.connect_timeout));
    auto connected = co_await (
        asio::async_connect(connection->socket, *endpoints, asio::as_tuple(asio::use_awaitable)) ||
        connect_timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (connected.index() == 1) {
      boost::system::error_code ignored;
      connection->socket.close(ignored);
      co_return core::unexpected(ClientError{std::chrono::steady_clock::now() >= deadline
                                                 ? ClientErrorKind::timeout
                                                 : ClientErrorKind::connect,
                                             "connect timed out"});
    }
    auto [connect_ec, endpoint] = std::get<0>(connected);
    if (connect_ec) {
      boost::system::error_code ignored;
      connection->socket.close(ignored);
      co_return core::unexpected(classify(connect_ec, Phase::connect));
    }
    connection->socket.set_option(tcp::no_delay(true), connect_ec);
    connection->buffer.clear();
  }

  auto [write_ec, written] = co_await beast::http::async_write(connection->socket, *request,
                                                               asio::as_tuple(asio::use_awaitable));
  if (write_ec) co_return core::unexpected(classify(write_ec, Phase::exchange));

  beast::http::response_parser<beast::http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options_.max_response_header_bytes));
  parser.body_limit(options_.max_response_body_bytes);
  if (request->method() == Verb::head) parser.skip(true);
  auto [read_ec, read] = co_await beast::http::async_read(
      connection->socket, connection->buffer, parser, asio::as_tuple(asio::use_awaitable));
  connection->got_response_bytes = parser.got_some();
  if (read_ec) co_return core::unexpected(classify(read_ec, Phase::exchange));

  auto& message = parser.get();
  connection->reusable = message.keep_alive() && parser.is_done();
  ClientResponse response;
  response.status = message.result_int();
  for (const auto& field : message) response.headers.insert(field.name_string(), field.value());
  response.body = std::move(message.body());
  co_return response;
}

}  // namespace loadlab::http
