// URL joining and splitting for request targets (RFC 3986 subset: http and https authorities).
#include "load/engine/url.hpp"

#include <charconv>

namespace loadlab::load::engine {
namespace {

bool starts_with_icase(std::string_view text, std::string_view prefix) noexcept {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

bool is_absolute_url(std::string_view url) noexcept {
  return starts_with_icase(url, "http://") || starts_with_icase(url, "https://");
}

bool has_url_scheme(std::string_view text) noexcept {
  const auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  const auto separator = text.find("://");
  if (separator == std::string_view::npos || separator == 0 || !is_alpha(text.front()))
    return false;
  for (const char c : text.substr(1, separator - 1)) {
    if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

core::Expected<UrlParts, std::string> split_url(std::string_view url) {
  UrlParts parts;
  std::string_view rest;
  if (starts_with_icase(url, "http://")) {
    rest = url.substr(7);
  } else if (starts_with_icase(url, "https://")) {
    parts.https = true;
    parts.port = 443;
    rest = url.substr(8);
  } else {
    return core::unexpected(std::string("URL '") + std::string(url) +
                            "' must start with http:// or https://");
  }
  const auto authority_end = rest.find_first_of("/?#");
  const auto authority = rest.substr(0, authority_end);
  auto target =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (const auto hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  if (authority.find('@') != std::string_view::npos) {
    return core::unexpected(std::string("URL '") + std::string(url) +
                            "': user information is not supported");
  }
  std::string_view host = authority;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return core::unexpected(std::string("URL '") + std::string(url) + "': unclosed '['");
    }
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return core::unexpected(std::string("URL '") + std::string(url) + "': bad authority");
      }
      port_text = after.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (host.empty()) {
    return core::unexpected(std::string("URL '") + std::string(url) + "' has no host");
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return core::unexpected(std::string("URL '") + std::string(url) + "': bad port '" +
                              std::string(port_text) + "'");
    }
    parts.port = static_cast<std::uint16_t>(port);
    parts.explicit_port = true;
  }
  parts.host = host;
  parts.target = target.empty() ? std::string_view("/") : target;
  if (parts.target.front() == '?') {
    // "http://h?x" has an empty path: the target is "/?x", which needs storage; reject instead.
    return core::unexpected(std::string("URL '") + std::string(url) +
                            "': write the path before the query ('/?...')");
  }
  return parts;
}

core::Expected<std::string, std::string> absolute_url(std::string_view base, std::string_view url) {
  if (is_absolute_url(url)) return std::string(url);
  if (base.empty()) {
    return core::unexpected(std::string("relative URL '") + std::string(url) +
                            "' needs a base URL (baseUrl, BASE_URL or --target)");
  }
  std::string joined(base);
  while (!joined.empty() && joined.back() == '/') joined.pop_back();
  if (url.empty() || url.front() != '/') joined += '/';
  joined += url;
  return joined;
}

std::string host_header(const UrlParts& parts) {
  const bool ipv6 = parts.host.find(':') != std::string_view::npos;
  std::string header = ipv6 ? "[" + std::string(parts.host) + "]" : std::string(parts.host);
  const std::uint16_t default_port = parts.https ? 443 : 80;
  if (parts.port != default_port) header += ":" + std::to_string(parts.port);
  return header;
}

}  // namespace loadlab::load::engine
