// Load shedding: a concurrency limit with priority tiers, decided before any work is done.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "protect/rejection.hpp"
#include "protect/slot_permit.hpp"

namespace loadlab::metrics {
class Registry;
class Gauge;
class Counter;
}  // namespace loadlab::metrics

namespace loadlab::protect {

enum class Priority : std::uint8_t { low = 0, normal = 1, high = 2 };
std::optional<Priority> parse_priority(std::string_view text) noexcept;  // "low"|"normal"|"high"
std::string_view priority_name(Priority priority) noexcept;

struct LoadShedderConfig {
  int limit = 100;                                  // requests in flight at 100 %
  std::array<int, 3> tier_percent = {70, 90, 100};  // low, normal, high
  std::chrono::seconds retry_after{1};
  bool operator==(const LoadShedderConfig&) const = default;
};
std::string validate(const LoadShedderConfig& config);

// Tier thresholds are integers: threshold(tier) = max(1, limit * percent / 100) (floor), and a
// request of that tier is admitted while the number in flight is below it. With limit 10:
// low while inflight < 7, normal while < 9, high while < 10. An idle server admits every tier.
//
// Thread-safe and lock-free: one atomic counter, one compare-exchange per admission.
class LoadShedder {
 public:
  LoadShedder(const LoadShedderConfig& config, metrics::Registry& registry);

  // Admitted: hold the permit for the request's whole life. Rejected: 429 concurrency_limit.
  core::Expected<SlotPermit, Rejection> try_acquire(Priority priority);

  [[nodiscard]] int inflight() const noexcept { return inflight_.load(std::memory_order_relaxed); }
  [[nodiscard]] int threshold(Priority priority) const noexcept {
    return thresholds_[static_cast<int>(priority)].load(std::memory_order_relaxed);
  }
  // Applies new limits to the next admissions; requests in flight keep their slots.
  void reconfigure(const LoadShedderConfig& config);

 private:
  std::atomic<int> inflight_{0};
  std::array<std::atomic<int>, 3> thresholds_{};
  std::atomic<std::int64_t> retry_after_seconds_{1};
  metrics::Counter& shed_total_;
  std::array<metrics::Counter*, 3> shed_by_priority_{};
};

}  // namespace loadlab::protect
