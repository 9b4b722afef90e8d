// The handler contract between the HTTP server and the routes it serves.
// Handlers are coroutines on the connection's executor (async model) or on a worker's private
// executor (threaded model); either way they return a complete response, errors included.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"

namespace loadlab::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using Verb = beast::http::verb;
using Status = beast::http::status;
using Request = beast::http::request<beast::http::string_body>;
using Response = beast::http::response<beast::http::string_body>;

// Decoded query string, in order of appearance; lookups return the first match.
class QueryParams {
 public:
  QueryParams() = default;
  explicit QueryParams(std::vector<std::pair<std::string, std::string>> items)
      : items_(std::move(items)) {}
  [[nodiscard]] const std::string* find(std::string_view name) const noexcept {
    for (const auto& [key, value] : items_) {
      if (key == name) return &value;
    }
    return nullptr;
  }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& items() const noexcept {
    return items_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// Everything a handler may know about the request it serves.
struct RequestContext {
  const Request& request;
  std::string_view path;  // without the query string
  const QueryParams& query;
  std::string_view route;          // the route template, e.g. "/api/slow" (bounded metric label)
  std::string_view request_id;     // also sent back as X-Request-ID
  core::TimePoint received_at;     // when the request head was complete
  core::TimePoint deadline;        // received_at + per-request deadline
  asio::any_io_executor executor;  // where the handler runs; timers and sockets belong here
};

using Handler = std::function<asio::awaitable<Response>(RequestContext&)>;
// A handler that answers without waiting (health probes, fixed answers): a plain call, so in the
// async model such a request costs no coroutine frame.
using ImmediateHandler = std::function<Response(RequestContext&)>;

// A handler sets this response header (value "reset") to have the session drop the connection
// with a TCP reset instead of answering: the downstream role's connection-reset fault.
inline constexpr std::string_view abort_connection_header = "X-Loadlab-Abort";

// Response helpers; every error body is JSON: {"error": "...", ...extra fields}.
Response json_response(Status status, const nlohmann::json& body, unsigned version = 11);
Response error_response(Status status, std::string_view message, unsigned version = 11);
Response error_response(Status status, const nlohmann::json& body, unsigned version = 11);
// A string literal is a message, not a JSON value (resolves the literal's ambiguity above).
Response error_response(Status status, const char* message, unsigned version = 11);

}  // namespace loadlab::http
