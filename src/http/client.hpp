// Outbound HTTP/1.1 client: keep-alive connections pooled per host:port, a deadline per request,
// bounded responses, failures as values. Usable from coroutines on any executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/fields.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"
#include "http/client_pool.hpp"
#include "http/message.hpp"

namespace loadlab::http {

enum class ClientErrorKind { timeout, connect, reset, protocol };
std::string_view to_string(ClientErrorKind kind) noexcept;

struct ClientError {
  ClientErrorKind kind = ClientErrorKind::protocol;
  std::string message;
};

// Extra request header fields, name and value (e.g. X-Request-Timeout-Ms); they replace a field
// of the same name the client would set.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ClientResponse {
  unsigned status = 0;
  beast::http::fields headers;
  std::string body;
  bool reused_connection = false;
};

// Where requests go: scheme http only, host and port (default 80) and a base path prefix.
struct Origin {
  std::string host;
  std::uint16_t port = 80;
  std::string base_path;  // "" or "/prefix" without a trailing slash

  // "http://host:port[/prefix]"; anything else (https, user info, bad port) is an error message.
  static core::Expected<Origin, std::string> parse(std::string_view url);
  [[nodiscard]] std::string authority() const;  // host:port, the pool key and Host header
};

struct ClientOptions {
  ConnectionPoolLimits pool;
  std::chrono::milliseconds connect_timeout{2'000};
  // Ceiling for requests sent without a timeout, so that nothing waits forever.
  std::chrono::milliseconds max_request_time{300'000};
  std::size_t max_response_header_bytes = 64 * 1024;
  std::size_t max_response_body_bytes = 8 * 1024 * 1024;
  std::string user_agent = "loadlab";
};

class HttpClient {
 public:
  // Sockets live on io_executor (the server's I/O threads); callers may await from any executor.
  explicit HttpClient(asio::any_io_executor io_executor, ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends method origin.base_path+target; timeout nullopt means "no timeout" (the anti-pattern),
  // still bounded by options.max_request_time.
  asio::awaitable<core::Expected<ClientResponse, ClientError>> send(
      Verb method, Origin origin, std::string target, std::string body,
      std::optional<std::chrono::milliseconds> timeout, HeaderList headers = {});

  asio::awaitable<core::Expected<ClientResponse, ClientError>> get(
      Origin origin, std::string target, std::optional<std::chrono::milliseconds> timeout,
      HeaderList headers = {}) {
    return send(Verb::get, std::move(origin), std::move(target), std::string{}, timeout,
                std::move(headers));
  }

  [[nodiscard]] ConnectionPoolStats pool_stats() const { return pool_->stats(); }
  // Closes idle connections and fails new requests; in-flight ones finish or time out.
  void stop();

 private:
  struct Attempt;
  asio::awaitable<core::Expected<ClientResponse, ClientError>> exchange(
      PooledConnection* connection, const Request* request, Origin origin,
      std::chrono::steady_clock::time_point deadline);
  asio::awaitable<core::Expected<ClientResponse, ClientError>> exchange_with_deadline(
      PooledConnection* connection, const Request* request, Origin origin,
      std::chrono::steady_clock::time_point deadline);

  asio::any_io_executor io_executor_;
  ClientOptions options_;
  std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace loadlab::http
