// Blocking HTTP client for tests: async Beast operations run on a private io_context with a
// deadline (sync Beast calls cannot time out).
#include "http_client.hpp"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <optional>

namespace loadlab::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

std::string HttpResult::header(const std::string& lower_name) const {
  const auto found = headers.find(lower_name);
  return found == headers.end() ? std::string{} : found->second;
}

struct HttpConnection::Impl {
  asio::io_context context;
  beast::tcp_stream stream{context};
  beast::flat_buffer buffer;
  std::string host;
  std::string connect_error;
  bool open = false;

  // Runs the queued operations until they finish or the deadline passes.
  void run(std::chrono::milliseconds timeout) {
    context.restart();
    context.run_for(timeout + std::chrono::seconds(1));
  }

  void connect(const std::string& target_host, std::uint16_t port,
               std::chrono::milliseconds timeout) {
    host = target_host;
    tcp::resolver resolver(context);
    beast::error_code error;
    const auto endpoints = resolver.resolve(target_host, std::to_string(port), error);
    if (error) {
      connect_error = "resolve: " + error.message();
      return;
    }
    stream.expires_after(timeout);
    stream.async_connect(endpoints, [this](const beast::error_code& e, const tcp::endpoint&) {
      if (e)
        connect_error = "connect: " + e.message();
      else
        open = true;
    });
    run(timeout);
    if (!open && connect_error.empty()) connect_error = "connect: timed out";
  }

  HttpResult exchange(const HttpCall& call, bool keep_alive) {
    HttpResult result;
    if (!open) {
      result.error = connect_error.empty() ? "not connected" : connect_error;
      return result;
    }
    bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(call.method), call.target, 11};
    if (request.method() == bhttp::verb::unknown) request.method_string(call.method);
    request.set(bhttp::field::host, host);
    for (const auto& [name, value] : call.headers) request.set(name, value);
    request.body() = call.body;
    request.keep_alive(keep_alive);
    request.prepare_payload();

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    std::optional<beast::error_code> outcome;
    stream.expires_after(call.timeout);
    bhttp::async_write(stream, request, [&](const beast::error_code& e, std::size_t) {
      if (e) {
        outcome = e;
        return;
      }
      bhttp::async_read(
          stream, buffer, parser,
          [&](const beast::error_code& read_error, std::size_t) { outcome = read_error; });
    });
    run(call.timeout);
    if (!outcome) {
      result.error = "timed out";
      open = false;
      return result;
    }
    if (*outcome) {
      result.error = outcome->message();
      open = false;
      return result;
    }
    const auto& response = parser.get();
    result.status = static_cast<int>(response.result_int());
    for (const auto& field : response) {
      result.headers[lower(std::string(field.name_string()))] = std::string(field.value());
    }
    result.body = response.body();
    if (!response.keep_alive()) open = false;
    return result;
  }
};

HttpConnection::HttpConnection(const std::string& host, std::uint16_t port,
                               std::chrono::milliseconds connect_timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->connect(host, port, connect_timeout);
}

HttpConnection::~HttpConnection() = default;

bool HttpConnection::connected() const noexcept {
  return impl_->open;
}

HttpResult HttpConnection::request(const HttpCall& call) {
  return impl_->exchange(call, true);
}

HttpResult HttpConnection::get(const std::string& target, std::chrono::milliseconds timeout) {
  HttpCall call;
  call.target = target;
  call.timeout = timeout;
  return request(call);
}

HttpResult http_request(const std::string& host, std::uint16_t port, const HttpCall& call) {
  HttpConnection::Impl connection;
  connection.connect(host, port, std::min(call.timeout, std::chrono::milliseconds(5'000)));
  return connection.exchange(call, false);
}

HttpResult http_get(const std::string& host, std::uint16_t port, const std::string& target,
                    std::chrono::milliseconds timeout) {
  HttpCall call;
  call.target = target;
  call.timeout = timeout;
  return http_request(host, port, call);
}

HttpResult http_put_json(const std::string& host, std::uint16_t port, const std::string& target,
                         const std::string& json_body) {
  HttpCall call;
  call.method = "PUT";
  call.target = target;
  call.body = json_body;
  call.headers = {{"Content-Type", "application/json"}};
  return http_request(host, port, call);
}

}  // namespace loadlab::testing
