// Per-dependency concurrency cap with its in-flight and limit gauges.
#include "protect/bulkhead.hpp"

#include "metrics/registry.hpp"

namespace loadlab::protect {

std::string validate(const BulkheadConfig& config) {
  if (config.max_concurrent < 1 || config.max_concurrent > 1'000'000) {
    return "max_concurrent must be 1..1000000";
  }
  if (config.retry_after.count() < 1) return "retry_after_s must be >= 1";
  return {};
}

Bulkhead::Bulkhead(std::string dependency, const BulkheadConfig& config,
                   metrics::Registry& registry)
    : dependency_(std::move(dependency)),
      rejected_(registry
                    .counter("bulkhead_rejected_total",
                             "Calls refused because the dependency's bulkhead was full",
                             {"dependency"})
                    .with({dependency_})),
      inflight_gauge_(
          registry.gauge("bulkhead_inflight", "Calls holding a bulkhead slot", {"dependency"})
              .with({dependency_})),
      limit_gauge_(registry.gauge("bulkhead_limit", "Bulkhead concurrency cap", {"dependency"})
                       .with({dependency_})) {
  reconfigure(config);
}

void Bulkhead::reconfigure(const BulkheadConfig& config) {
  limit_.store(config.max_concurrent, std::memory_order_relaxed);
  limit_gauge_.set(config.max_concurrent);
  retry_after_seconds_.store(config.retry_after.count(), std::memory_order_relaxed);
}

core::Expected<SlotPermit, Rejection> Bulkhead::try_acquire() {
  if (try_take_slot(inflight_, limit_.load(std::memory_order_relaxed))) {
    inflight_gauge_.inc();
    return SlotPermit{inflight_, &inflight_gauge_};
  }
  rejected_.inc();
  return core::unexpected(
      Rejection{RejectReason::bulkhead_full,
                std::chrono::seconds{retry_after_seconds_.load(std::memory_order_relaxed)}});
}

}  // namespace loadlab::protect
