// Access to /admin/ routes: open when the server listens on loopback only, otherwise a bearer
// token is required (and without a configured token the admin API stays closed).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace loadlab::target {

// "127.0.0.1", "127.x.y.z", "::1", "[::1]", "localhost".
bool is_loopback_host(std::string_view host) noexcept;
// The host part of "HOST:PORT" ("[::1]:80" -> "::1").
std::string host_of_listen(std::string_view listen);

class AdminGuard {
 public:
  AdminGuard(bool loopback_only, std::string token)
      : loopback_only_(loopback_only), token_(std::move(token)) {}
  // nullopt: allowed; otherwise the 401/403 answer.
  [[nodiscard]] std::optional<http::Response> refuse(const http::Request& request) const;

 private:
  bool loopback_only_;
  std::string token_;
};

}  // namespace loadlab::target
