// Bulkhead: a concurrency cap per dependency, so one slow dependency cannot take all capacity.
#pragma once

#include <atomic>
#include <string>

#include "core/expected.hpp"
#include "protect/rejection.hpp"
#include "protect/slot_permit.hpp"

namespace loadlab::metrics {
class Registry;
class Counter;
class Gauge;
}  // namespace loadlab::metrics

namespace loadlab::protect {

struct BulkheadConfig {
  int max_concurrent = 10;
  std::chrono::seconds retry_after{1};
  bool operator==(const BulkheadConfig&) const = default;
};
std::string validate(const BulkheadConfig& config);

// Thread-safe and lock-free (one atomic counter, mirrored into a gauge). It never waits: a full
// bulkhead answers at once, because a queue in front of a slow dependency is exactly what a
// bulkhead must avoid.
class Bulkhead {
 public:
  Bulkhead(std::string dependency, const BulkheadConfig& config, metrics::Registry& registry);

  // Admitted: hold the permit for the whole outbound call. Rejected: 503 bulkhead_full.
  core::Expected<SlotPermit, Rejection> try_acquire();

  [[nodiscard]] int inflight() const noexcept { return inflight_.load(std::memory_order_relaxed); }
  [[nodiscard]] int limit() const noexcept { return limit_.load(std::memory_order_relaxed); }
  [[nodiscard]] const std::string& dependency() const noexcept { return dependency_; }
  void reconfigure(const BulkheadConfig& config);

 private:
  const std::string dependency_;
  std::atomic<int> inflight_{0};
  std::atomic<int> limit_{0};
  std::atomic<std::int64_t> retry_after_seconds_{1};
  metrics::Counter& rejected_;
  metrics::Gauge& inflight_gauge_;
  metrics::Gauge& limit_gauge_;
};

}  // namespace loadlab::protect
