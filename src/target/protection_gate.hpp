// The target's request gate: deadline, priority shedding and adaptive admission in front of every
// non-exempt route, plus the shared rendering of a protection's refusal as an HTTP answer.
#pragma once

#include <optional>
#include <string_view>

#include "http/request_gate.hpp"
#include "protect/protections.hpp"
#include "protect/rejection.hpp"

namespace loadlab::target {

// Operations routes are never shed nor limited: probes, scrapes and the admin API must answer
// under overload (SPEC §2.4: overload may fail readiness, never liveness).
bool is_exempt_route(std::string_view route) noexcept;

// status() of the reason, Retry-After, and {"error": "...", "reason": "..."}.
http::Response rejection_response(const protect::Rejection& rejection, unsigned version = 11);

class ProtectionGate final : public http::RequestGate {
 public:
  ProtectionGate(protect::Protections& protections, core::Clock& clock)
      : protections_(protections), clock_(clock) {}

  http::GateDecision enter(http::RequestContext& context) override;
  std::optional<http::Response> on_start(http::RequestContext& context) override;

 private:
  protect::Protections& protections_;
  core::Clock& clock_;
};

}  // namespace loadlab::target
