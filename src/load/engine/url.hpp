// Pure URL handling for the engine: join a request URL to the base URL and split an absolute
// http:// URL into host, port and request target. No resolution, no allocation beyond results.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace loadlab::load::engine {

struct UrlParts {
  bool https = false;
  std::string_view host;    // without brackets for IPv6 literals
  std::uint16_t port = 80;  // 443 for https without an explicit port
  bool explicit_port = false;
  std::string_view target;  // path and query, "/" when absent; never the fragment
};

// Splits "http://host[:port][/path][?query][#fragment]"; errors say what is wrong.
core::Expected<UrlParts, std::string> split_url(std::string_view url);

// A URL as the scenario wrote it made absolute: absolute URLs are kept; relative ones are
// appended to base ("http://h:8000" + "api/x" -> "http://h:8000/api/x"). Error if relative
// without a base.
core::Expected<std::string, std::string> absolute_url(std::string_view base, std::string_view url);

// True when url starts with a scheme ("http://", "https://").
[[nodiscard]] bool is_absolute_url(std::string_view url) noexcept;

// True when text starts with any URI scheme and "://" (RFC 3986: a letter, then letters, digits,
// '+', '-' or '.'), such as "ftp://": text the user meant as a URL, supported or not.
[[nodiscard]] bool has_url_scheme(std::string_view text) noexcept;

// The Host header value for parts: host, plus ":port" unless it is the scheme's default.
[[nodiscard]] std::string host_header(const UrlParts& parts);

}  // namespace loadlab::load::engine
