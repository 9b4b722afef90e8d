// Why an HTTP exchange ended without a usable response, and k6's `error_code` for it.
//
// The engine reports one of these with every exchange; the recorder keeps requests that failed
// for different reasons apart (status 0 alone would mix a refused connect, a timeout and a reset),
// so the summary can say what failed and thresholds can select it as k6 does:
// `http_reqs{error_code:1050}` counts request timeouts, `http_req_failed{error_code:1503}` the
// 503s. Codes follow k6's table (https://grafana.com/docs/k6/latest/javascript-api/error-codes/):
// network errors have their own code; a response with a 4xx or 5xx status has 1000 + status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loadlab::load {

enum class RequestError : std::uint8_t {
  none,
  connect_failed,   // unreachable and other connect errors
  connect_refused,  // nothing listens there (ECONNREFUSED)
  connect_timeout,
  tls_failed,       // the TLS handshake failed (e.g. the certificate did not verify)
  request_timeout,  // the exchange's deadline passed
  write_failed,
  broken_pipe,  // EPIPE on write: the peer closed first
  reset,        // ECONNRESET on read or write
  read_failed,  // other socket errors while reading
  closed,       // the peer closed before the response ended
  protocol,     // the response could not be parsed
  no_endpoint,  // the request could not be built or its host is unknown
  interrupted,  // ended by the engine (gracefulStop, abort); never recorded as a request
};

// Human words, for the summary: "request timeout", "connection refused".
[[nodiscard]] std::string_view to_string(RequestError error) noexcept;
// A stable identifier for JSON: "request_timeout", "connect_refused".
[[nodiscard]] std::string_view json_name(RequestError error) noexcept;
[[nodiscard]] std::optional<RequestError> request_error_from_json_name(std::string_view name);

// k6's code of a network error (1000..1399); 0 for none and interrupted.
[[nodiscard]] int k6_error_code(RequestError error) noexcept;
// The `error_code` tag of a request: its network error's code, else 1000 + status for a 4xx or
// 5xx response, else 0 (the request has no error code).
[[nodiscard]] int request_error_code(int status, RequestError error) noexcept;
// What a request with that status and error failed of, for the summary: "request timeout",
// "HTTP 503".
[[nodiscard]] std::string describe_failure(int status, RequestError error);

}  // namespace loadlab::load
