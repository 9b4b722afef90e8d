// From a parsed request to a finished response: routing, request id, handler call (async or on a
// worker), X-Request-ID / X-Process-Time headers and the request metrics.
#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string_view>

#include "http/message.hpp"
#include "http/request_gate.hpp"
#include "http/response_head.hpp"
#include "http/router.hpp"

namespace loadlab::http {

struct SessionEnvironment;

// One request's way from its parsed head to the stamped response: routing, the request id,
// admission by the gate, the handler (on the connection's executor, or on a worker in the
// threaded model), the metrics. It lives in the session's frame; the request must outlive it.
//
// It is three calls rather than one coroutine so that a request whose answer needs no waiting
// (a miss, a refusal, or a route that answers at once in the async model) costs no coroutine
// frame: the session awaits call_handler() only when start() had no answer.
class RequestDispatch {
 public:
  // `received_at`: when the request head was complete.
  RequestDispatch(SessionEnvironment& environment, const Request& request,
                  core::TimePoint received_at, asio::any_io_executor executor);
  RequestDispatch(const RequestDispatch&) = delete;
  RequestDispatch& operator=(const RequestDispatch&) = delete;
  // Without finish() (a session destroyed mid-request when its server is torn down) the counts
  // are left as they are: the metrics and the server state may be gone already.
  ~RequestDispatch() = default;

  // True when the response is known without waiting, and then it is in *out; false: await
  // call_handler(). (An out parameter rather than an optional: the session keeps its locals for
  // the connection's whole life.)
  [[nodiscard]] bool start(Response& out);
  // Runs the matched route's handler (after start() returned false); an exception is a 500.
  asio::awaitable<Response> call_handler();
  // Ends the request (admission released, metrics recorded) and returns its X-Request-ID and
  // X-Process-Time, which the session sends with the head.
  ResponseStamp finish(const Response& response);

 private:
  // start()'s work: the response when it is known without waiting.
  std::optional<Response> answer_now();
  // The threaded model runs the matched route on a worker, unless it is a control route.
  [[nodiscard]] bool on_worker() const noexcept;

  SessionEnvironment& environment_;
  const Request& request_;
  core::TimePoint received_at_;
  asio::any_io_executor executor_;
  std::string_view path_;
  QueryParams query_;
  std::array<char, 17> generated_id_{};
  std::string_view request_id_;
  RouteMatch match_;
  std::optional<RequestContext> context_;  // once routed
  std::unique_ptr<GateTicket> ticket_;
};

// Stamps a response the server produced without a route (protocol errors such as 400, 413, 431)
// and records its metrics.
ResponseStamp finish_protocol_error(SessionEnvironment& environment, const Response& response,
                                    Verb method, core::TimePoint started);

}  // namespace loadlab::http
