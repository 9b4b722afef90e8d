// From a parsed request to a finished response: routing, request id, handler call (async or on a
// worker), X-Request-ID / X-Process-Time headers and the request metrics.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "http/message.hpp"

namespace loadlab::http {

struct SessionEnvironment;

// *request must outlive the call (it lives in the awaiting session).
asio::awaitable<Response> dispatch_request(SessionEnvironment* environment, Request* request,
                                           asio::any_io_executor executor);

// Adds X-Request-ID and X-Process-Time and records metrics for a response the server produced
// without a route (protocol errors such as 400, 413, 431).
void finish_protocol_error(SessionEnvironment& environment, Response& response, Verb method,
                           core::TimePoint started);

}  // namespace loadlab::http
