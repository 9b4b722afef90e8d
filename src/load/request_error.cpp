// The table of request errors: words, JSON names and k6's codes.
#include "load/request_error.hpp"

#include <array>

namespace loadlab::load {

namespace {

struct ErrorInfo {
  RequestError error;
  std::string_view words;
  std::string_view json_name;
  int k6_code;
};

// k6's codes: 1000 generic, 1020 invalid URL, 1050 request timeout, 1200 TCP, 1201 broken pipe,
// 1210 dial, 1211 dial timeout, 1212 connection refused, 1220 reset by peer, 1300 TLS. k6 files
// a response cut short or unparsable under the generic 1000; the words here keep them apart.
constexpr std::array<ErrorInfo, 14> kErrors{{
    {RequestError::none, "none", "none", 0},
    {RequestError::connect_failed, "connect failed", "connect_failed", 1210},
    {RequestError::connect_refused, "connection refused", "connect_refused", 1212},
    {RequestError::connect_timeout, "connect timeout", "connect_timeout", 1211},
    {RequestError::tls_failed, "TLS handshake failed", "tls_failed", 1300},
    {RequestError::request_timeout, "request timeout", "request_timeout", 1050},
    {RequestError::write_failed, "write failed", "write_failed", 1200},
    {RequestError::broken_pipe, "broken pipe", "broken_pipe", 1201},
    {RequestError::reset, "connection reset by peer", "reset", 1220},
    {RequestError::read_failed, "read failed", "read_failed", 1200},
    {RequestError::closed, "connection closed early", "closed", 1000},
    {RequestError::protocol, "bad response", "protocol", 1000},
    {RequestError::no_endpoint, "request could not be built", "no_endpoint", 1020},
    {RequestError::interrupted, "interrupted", "interrupted", 0},
}};

const ErrorInfo& info_of(RequestError error) noexcept {
  for (const auto& info : kErrors) {
    if (info.error == error) return info;
  }
  return kErrors.front();
}

}  // namespace

std::string_view to_string(RequestError error) noexcept {
  return info_of(error).words;
}

std::string_view json_name(RequestError error) noexcept {
  return info_of(error).json_name;
}

std::optional<RequestError> request_error_from_json_name(std::string_view name) {
  for (const auto& info : kErrors) {
    if (info.json_name == name) return info.error;
  }
  return std::nullopt;
}

int k6_error_code(RequestError error) noexcept {
  return info_of(error).k6_code;
}

int request_error_code(int status, RequestError error) noexcept {
  if (const int code = k6_error_code(error); code != 0) return code;
  return status >= 400 && status <= 599 ? 1000 + status : 0;
}

std::string describe_failure(int status, RequestError error) {
  if (error != RequestError::none) return std::string(to_string(error));
  if (status == 0) return "no response";
  return "HTTP " + std::to_string(status);
}

}  // namespace loadlab::load
