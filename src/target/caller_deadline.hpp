// The caller's deadline, X-Request-Timeout-Ms: how much time the caller has left for this request
// (the target sends what remains of its own deadline on every outbound call, SPEC §3).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "http/message.hpp"
#include "protect/deadline.hpp"

namespace loadlab::target {

inline constexpr std::string_view request_timeout_header = "X-Request-Timeout-Ms";

// The value of a request header, if the request has it.
[[nodiscard]] std::optional<std::string_view> header_value(const http::Request& request,
                                                           std::string_view name);

// The 422 for a bad X-Request-Timeout-Ms: the parser's message names the header, the answer
// names it once, as the field at fault.
[[nodiscard]] http::Response bad_request_timeout(std::string parser_message, unsigned version);

// The downstream role's routes honour the caller's deadline, as a gRPC server honours a
// propagated one: work is not started once the deadline has passed, and a route still waiting
// when it passes is cancelled and answered 504 at once, instead of holding the connection and a
// timer for a caller who has given up. Without the header the route runs as before.
[[nodiscard]] http::Handler bound_by_caller_deadline(http::Handler inner, const core::Clock& clock,
                                                     const protect::DeadlineConfig& config);

}  // namespace loadlab::target
