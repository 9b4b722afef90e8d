// Admission in the order the wiring notes give: exempt routes, deadline, priority, shed/adaptive.
#include "target/protection_gate.hpp"

#include <nlohmann/json.hpp>
#include <string>

#include "http/params.hpp"
#include "target/caller_deadline.hpp"

namespace loadlab::target {
namespace {

// Keeps the admission (shed and adaptive slots) for the request's whole life.
class AdmissionTicket final : public http::GateTicket {
 public:
  explicit AdmissionTicket(protect::RequestAdmission admission)
      : admission_(std::move(admission)) {}
  void finish(unsigned status) noexcept override {
    admission_.complete(status >= 500 ? protect::CallOutcome::failure
                                      : protect::CallOutcome::success);
  }

 private:
  protect::RequestAdmission admission_;
};

}  // namespace

bool is_exempt_route(std::string_view route) noexcept {
  return route == "/metrics" || route == "/health" || route == "/healthz" || route == "/liveness" ||
         route == "/readiness" || route.starts_with("/admin/");
}

http::Response rejection_response(const protect::Rejection& rejection, unsigned version) {
  const std::string_view reason = protect::reason_name(rejection.reason);
  http::Response response = http::error_response(
      static_cast<http::Status>(rejection.status()),
      nlohmann::json{{"error", rejection.status() == 504 ? "deadline exceeded" : "overloaded"},
                     {"reason", reason}},
      version);
  response.set("Retry-After", std::to_string(rejection.retry_after.count()));
  return response;
}

http::GateDecision ProtectionGate::enter(http::RequestContext& context) {
  http::GateDecision decision;
  if (is_exempt_route(context.route)) return decision;
  const unsigned version = context.request.version();

  auto deadline = protections_.request_deadline(
      context.received_at, header_value(context.request, request_timeout_header));
  if (!deadline) {
    decision.rejection = bad_request_timeout(deadline.error(), version);
    return decision;
  }
  if (deadline->at() < context.deadline) context.deadline = deadline->at();

  std::optional<std::string_view> priority_text;
  if (const std::string* query = context.query.find("priority")) {
    priority_text = *query;
  } else {
    priority_text = header_value(context.request, "X-Priority");
  }
  protect::Priority priority = protect::Priority::normal;
  if (priority_text && !priority_text->empty()) {
    const auto parsed = protect::parse_priority(*priority_text);
    if (!parsed) {
      decision.rejection = http::unprocessable(
          http::ParamError{"priority", "must be one of low, normal, high"}, version);
      return decision;
    }
    priority = *parsed;
  }

  auto admission = protections_.admit_request(priority);
  if (!admission) {
    decision.rejection = rejection_response(admission.error(), version);
    return decision;
  }
  // Nothing to give back (shedding and the adaptive limit off): no ticket to allocate.
  if (admission->holds())
    decision.ticket = std::make_unique<AdmissionTicket>(std::move(*admission));
  return decision;
}

std::optional<http::Response> ProtectionGate::on_start(http::RequestContext& context) {
  if (is_exempt_route(context.route)) return std::nullopt;
  if (clock_.now() >= context.deadline) {
    return rejection_response(protect::Rejection{protect::RejectReason::deadline_expired},
                              context.request.version());
  }
  return std::nullopt;
}

}  // namespace loadlab::target
