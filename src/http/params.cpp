// Query-string decoding and strict numeric parameter validation (422 naming parameter and range).
#include "http/params.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace loadlab::http {
namespace {

std::string int_range_text(long long min, long long max) {
  return fmt::format("must be an integer between {} and {}", min, max);
}

std::string number_range_text(double min, double max) {
  return fmt::format("must be a number between {} and {}", min, max);
}

ParamError missing(std::string_view name, const std::string& range) {
  return ParamError{std::string(name), "is required and " + range};
}

// Code points in `text`, or nullopt when it is not well-formed UTF-8 (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF).
std::optional<std::size_t> utf8_length(std::string_view text) noexcept {
  std::size_t code_points = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t continuation = 0;
    char32_t code_point = 0;
    char32_t smallest = 0;
    if (lead < 0x80) {
      code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      continuation = 1;
      code_point = lead & 0x1F;
      smallest = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      continuation = 2;
      code_point = lead & 0x0F;
      smallest = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      continuation = 3;
      code_point = lead & 0x07;
      smallest = 0x10000;
    } else {
      return std::nullopt;
    }
    if (continuation >= text.size() - i) return std::nullopt;  // cut short
    for (std::size_t k = 1; k <= continuation; ++k) {
      const auto byte = static_cast<unsigned char>(text[i + k]);
      if ((byte & 0xC0) != 0x80) return std::nullopt;
      code_point = (code_point << 6) | (byte & 0x3F);
    }
    if (code_point < smallest || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return std::nullopt;
    }
    i += continuation + 1;
    ++code_points;
  }
  return code_points;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size()) {
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) {
        out.push_back(c);  // malformed escape: kept verbatim
        continue;
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

core::Expected<long long, ParamError> parse_int_param(const QueryParams& query,
                                                      std::string_view name,
                                                      std::optional<long long> fallback,
                                                      long long min, long long max) {
  const std::string* raw = query.find(name);
  if (raw == nullptr) {
    if (fallback) return *fallback;
    return core::unexpected(missing(name, int_range_text(min, max)));
  }
  long long value = 0;
  const char* first = raw->data();
  const char* last = first + raw->size();
  const auto [end, ec] = std::from_chars(first, last, value);
  if (raw->empty() || ec != std::errc{} || end != last || value < min || value > max) {
    return core::unexpected(ParamError{std::string(name), int_range_text(min, max)});
  }
  return value;
}

core::Expected<double, ParamError> parse_double_param(const QueryParams& query,
                                                      std::string_view name,
                                                      std::optional<double> fallback, double min,
                                                      double max) {
  const std::string* raw = query.find(name);
  if (raw == nullptr) {
    if (fallback) return *fallback;
    return core::unexpected(missing(name, number_range_text(min, max)));
  }
  double value = 0;
  const char* first = raw->data();
  const char* last = first + raw->size();
  const auto [end, ec] = std::from_chars(first, last, value, std::chars_format::general);
  if (raw->empty() || ec != std::errc{} || end != last || !std::isfinite(value) || value < min ||
      value > max) {
    return core::unexpected(ParamError{std::string(name), number_range_text(min, max)});
  }
  return value;
}

core::Expected<std::string, ParamError> parse_string_param(const QueryParams& query,
                                                           std::string_view name,
                                                           std::optional<std::string> fallback,
                                                           std::size_t max_length) {
  const std::string* raw = query.find(name);
  const std::string rule = fmt::format("must be a string of at most {} characters", max_length);
  if (raw == nullptr) {
    if (fallback) return std::move(*fallback);
    return core::unexpected(missing(name, rule));
  }
  // Characters as the seed (pydantic) counts them: code points, not bytes.
  const std::optional<std::size_t> length = utf8_length(*raw);
  if (!length) return core::unexpected(ParamError{std::string(name), "must be valid UTF-8"});
  if (*length > max_length) return core::unexpected(ParamError{std::string(name), rule});
  return *raw;
}

Response unprocessable(const ParamError& error, unsigned version) {
  return json_response(Status::unprocessable_entity,
                       nlohmann::json{{"error", "invalid parameter"},
                                      {"parameter", error.parameter},
                                      {"detail", error.parameter + " " + error.message}},
                       version);
}

RequestTarget split_request_target(std::string_view target) noexcept {
  const auto has_scheme = [target](std::string_view scheme) {
    if (target.size() < scheme.size()) return false;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(target[i])) != scheme[i]) return false;
    }
    return true;
  };
  std::string_view path_and_query = target;
  for (const std::string_view scheme :
       {std::string_view("http://"), std::string_view("https://")}) {
    if (!has_scheme(scheme)) continue;
    const std::string_view after_scheme = target.substr(scheme.size());
    const std::size_t authority_end = after_scheme.find_first_of("/?");
    path_and_query = authority_end == std::string_view::npos ? std::string_view{}
                                                             : after_scheme.substr(authority_end);
    break;
  }
  RequestTarget split;
  const std::size_t question = path_and_query.find('?');
  split.path = path_and_query.substr(0, question);
  if (question != std::string_view::npos) split.query = path_and_query.substr(question + 1);
  if (split.path.empty() && path_and_query.data() != target.data()) split.path = "/";
  return split;
}

QueryParams parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> items;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (piece.empty()) continue;
    const std::size_t eq = piece.find('=');
    if (eq == std::string_view::npos) {
      items.emplace_back(percent_decode(piece), std::string{});
    } else {
      items.emplace_back(percent_decode(piece.substr(0, eq)), percent_decode(piece.substr(eq + 1)));
    }
  }
  return QueryParams{std::move(items)};
}

}  // namespace loadlab::http
