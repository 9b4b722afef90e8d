// Query-parameter validation: a value in range, or a ready 422 response naming the parameter.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "http/message.hpp"

namespace loadlab::http {

struct ParamError {
  std::string parameter;
  std::string message;  // e.g. "must be an integer between 1 and 40"
};

// Pure parsing, no HTTP: missing -> fallback (or error when fallback is nullopt).
core::Expected<long long, ParamError> parse_int_param(const QueryParams& query,
                                                      std::string_view name,
                                                      std::optional<long long> fallback,
                                                      long long min, long long max);
core::Expected<double, ParamError> parse_double_param(const QueryParams& query,
                                                      std::string_view name,
                                                      std::optional<double> fallback, double min,
                                                      double max);
core::Expected<std::string, ParamError> parse_string_param(const QueryParams& query,
                                                           std::string_view name,
                                                           std::optional<std::string> fallback,
                                                           std::size_t max_length);

// The 422 response for a ParamError: {"error":"invalid parameter","parameter":..,"detail":..}.
Response unprocessable(const ParamError& error, unsigned version = 11);

// Splits and percent-decodes a query string ("a=1&b=x%20y"); malformed escapes are kept verbatim.
QueryParams parse_query(std::string_view query);

// A request target split for routing. The absolute form ("http://host:80/a?b", which servers
// must accept, RFC 9112 §3.2.2) loses its scheme and authority; an empty path there is "/".
struct RequestTarget {
  std::string_view path;
  std::optional<std::string_view> query;  // after the first '?'
};
RequestTarget split_request_target(std::string_view target) noexcept;

}  // namespace loadlab::http
