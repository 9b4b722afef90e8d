// A hook the server consults for every routed request: admission before the request waits for
// a worker or runs (shedding, adaptive limits, deadlines), a last check just before the handler
// starts (work whose deadline passed is never started), and the final status when it is done.
#pragma once

#include <memory>
#include <optional>

#include "http/message.hpp"

namespace loadlab::http {

// Held from admission until the response is complete.
class GateTicket {
 public:
  virtual ~GateTicket() = default;
  virtual void finish(unsigned status) noexcept = 0;
};

struct GateDecision {
  std::optional<Response> rejection;   // set: answer this, the handler never runs
  std::unique_ptr<GateTicket> ticket;  // may be null for exempt routes
};

// Implementations are thread-safe: enter() runs on I/O threads, on_start() on the thread that
// will run the handler (an I/O thread, or a worker in the threaded model).
class RequestGate {
 public:
  virtual ~RequestGate() = default;
  // May change context.deadline (e.g. from X-Request-Timeout-Ms).
  virtual GateDecision enter(RequestContext& context) = 0;
  virtual std::optional<Response> on_start(RequestContext& context) = 0;
};

}  // namespace loadlab::http
