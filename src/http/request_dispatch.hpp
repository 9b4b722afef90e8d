// From a parsed request to a finished response: routing, request id, handler call (async or on a
// worker), X-Request-ID / X-Process-Time headers and the request metrics.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "http/message.hpp"
#include "http/response_head.hpp"

namespace loadlab::http {

struct SessionEnvironment;

// *request and *stamp must outlive the call (they live in the awaiting session). `received_at`
// is when the request head was complete. The response comes back without X-Request-ID and
// X-Process-Time: they are in *stamp, for the session to send with the head.
asio::awaitable<Response> dispatch_request(SessionEnvironment* environment, Request* request,
                                           core::TimePoint received_at, ResponseStamp* stamp,
                                           asio::any_io_executor executor);

// Stamps a response the server produced without a route (protocol errors such as 400, 413, 431)
// and records its metrics.
ResponseStamp finish_protocol_error(SessionEnvironment& environment, const Response& response,
                                    Verb method, core::TimePoint started);

}  // namespace loadlab::http
