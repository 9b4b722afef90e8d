// Outbound-call metrics and the protection series' zero values.
#include "target/upstream_metrics.hpp"

#include "metrics/registry.hpp"
#include "protect/rejection.hpp"

namespace loadlab::target {

std::string_view to_string(UpstreamResult result) noexcept {
  switch (result) {
    case UpstreamResult::ok:
      return "ok";
    case UpstreamResult::error:
      return "error";
    case UpstreamResult::timeout:
      return "timeout";
    case UpstreamResult::breaker_open:
      return "breaker_open";
    case UpstreamResult::shed:
      return "shed";
  }
  return "error";
}

UpstreamMetrics::UpstreamMetrics(metrics::Registry& registry, std::string dependency)
    : dependency_(std::move(dependency)) {
  auto& requests = registry.counter("upstream_requests_total",
                                    "Calls to the downstream dependency by outcome", {"result"});
  auto& durations =
      registry.histogram("upstream_request_duration_seconds",
                         "Duration of calls to the downstream dependency", {"result"});
  for (int i = 0; i < result_count; ++i) {
    const auto name = to_string(static_cast<UpstreamResult>(i));
    requests_[i] = &requests.with({name});
    durations_[i] = &durations.with({name});
  }
  // Owned by the protections once they are wired in; present (at 0) from the start so that
  // dashboards and alert rules find them.
  registry
      .gauge("circuit_breaker_state", "Circuit breaker state (0 closed, 1 open, 2 half-open)",
             {"dependency"})
      .with({dependency_});
  auto& transitions = registry.counter("circuit_breaker_transitions_total",
                                       "Circuit breaker state changes", {"dependency", "to"});
  for (const std::string_view to : {"closed", "open", "half_open"}) {
    transitions.with({dependency_, to});
  }
  auto& shed = registry.counter("load_shed_total", "Requests refused by a protection", {"reason"});
  for (int i = 0; i <= static_cast<int>(protect::RejectReason::deadline_expired); ++i) {
    shed.with({protect::reason_name(static_cast<protect::RejectReason>(i))});
  }
}

void UpstreamMetrics::record(UpstreamResult result, double seconds) noexcept {
  const int index = static_cast<int>(result);
  requests_[index]->inc();
  durations_[index]->observe(seconds);
}

double UpstreamMetrics::count(UpstreamResult result) const noexcept {
  return requests_[static_cast<int>(result)]->value();
}

}  // namespace loadlab::target
