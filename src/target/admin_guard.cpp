// Admin API access rule.
#include "target/admin_guard.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <nlohmann/json.hpp>

namespace loadlab::target {

namespace {

// Compares without an early exit, so that response time does not reveal matching prefixes.
bool same_secret(std::string_view a, std::string_view b) noexcept {
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return difference == 0;
}

}  // namespace

bool is_loopback_host(std::string_view host) noexcept {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

std::string host_of_listen(std::string_view listen) {
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find(']');
    return std::string(
        listen.substr(1, close == std::string_view::npos ? listen.size() : close - 1));
  }
  const auto colon = listen.rfind(':');
  return std::string(colon == std::string_view::npos ? listen : listen.substr(0, colon));
}

std::optional<http::Response> AdminGuard::refuse(const http::Request& request) const {
  if (loopback_only_) return std::nullopt;
  const unsigned version = request.version();
  if (token_.empty()) {
    return http::error_response(
        http::Status::forbidden,
        "admin API disabled: the server listens beyond loopback and no admin token is set",
        version);
  }
  const auto header = request.find(http::beast::http::field::authorization);
  if (header != request.end()) {
    // The scheme name is case-insensitive (RFC 9110 §11.1): curl -H 'authorization: bearer X'
    // and clients that lower-case it are the same credentials. Spaces after it are allowed.
    const std::string_view value = header->value();
    constexpr std::string_view scheme = "bearer";
    if (value.size() > scheme.size() &&
        boost::beast::iequals(value.substr(0, scheme.size()), scheme) &&
        value[scheme.size()] == ' ') {
      std::string_view credentials = value.substr(scheme.size());
      credentials.remove_prefix(std::min(credentials.find_first_not_of(' '), credentials.size()));
      if (same_secret(credentials, token_)) return std::nullopt;
    }
  }
  http::Response response =
      http::error_response(http::Status::unauthorized, "admin token required", version);
  response.set(http::beast::http::field::www_authenticate, "Bearer");
  return response;
}

}  // namespace loadlab::target
