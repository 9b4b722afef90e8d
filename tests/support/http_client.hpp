// Test support: a tiny blocking HTTP/1.1 client (Beast over TCP), every call bounded by a timeout.
// Failures are values: HttpResult::error says what went wrong (status stays 0).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace loadlab::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string error;  // empty on success
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
  [[nodiscard]] std::string header(const std::string& lower_name) const;
};

struct HttpCall {
  std::string method = "GET";
  std::string target = "/";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{10'000};
};

// One request on a fresh connection (Connection: close).
HttpResult http_request(const std::string& host, std::uint16_t port, const HttpCall& call);
HttpResult http_get(const std::string& host, std::uint16_t port, const std::string& target,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
// A PUT with a JSON body, as the admin API takes its protections and faults.
HttpResult http_put_json(const std::string& host, std::uint16_t port, const std::string& target,
                         const std::string& json_body);

// A keep-alive connection for several requests in a row.
class HttpConnection {
 public:
  HttpConnection(const std::string& host, std::uint16_t port,
                 std::chrono::milliseconds connect_timeout = std::chrono::seconds(5));
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  [[nodiscard]] bool connected() const noexcept;
  HttpResult request(const HttpCall& call);
  HttpResult get(const std::string& target,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

  struct Impl;  // implementation detail (also used by http_request)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace loadlab::testing
