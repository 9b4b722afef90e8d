// Memory admission: allocations that would pass the memory budget are refused (503), not
// OOM-killed.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>

#include "core/expected.hpp"
#include "protect/rejection.hpp"

namespace loadlab::metrics {
class Registry;
class Counter;
class Gauge;
}  // namespace loadlab::metrics

namespace loadlab::protect {

struct MemoryAdmissionConfig {
  std::uint64_t limit_bytes = 512ull << 20;  // the configured process memory limit
  double budget_percent = 80;                // admission works against this share of it
  std::chrono::seconds retry_after{1};
  bool operator==(const MemoryAdmissionConfig&) const = default;
};
std::string validate(const MemoryAdmissionConfig& config);

class MemoryAdmission;

// Move-only RAII reservation; released on destruction unless retain()ed.
class MemoryReservation {
 public:
  MemoryReservation() noexcept = default;
  MemoryReservation(MemoryAdmission& owner, std::uint64_t bytes) noexcept
      : owner_(&owner), bytes_(bytes) {}
  MemoryReservation(MemoryReservation&& other) noexcept
      : owner_(std::exchange(other.owner_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  MemoryReservation& operator=(MemoryReservation&& other) noexcept;
  MemoryReservation(const MemoryReservation&) = delete;
  MemoryReservation& operator=(const MemoryReservation&) = delete;
  ~MemoryReservation() { release(); }

  void release() noexcept;
  // The memory stays allocated after the request (a "leak" route): its bytes move from the
  // in-flight reservations to the retained total, which release_retained() lowers later.
  void retain() noexcept;
  [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }

 private:
  MemoryAdmission* owner_ = nullptr;
  std::uint64_t bytes_ = 0;
};

// Admits a reservation when max(retained, observed RSS) + in-flight reservations + bytes stays
// within budget = limit * budget_percent / 100. The observed RSS is optional and supplied by the
// caller (e.g. a sampler of /proc/self/statm), because reading it is I/O.
//
// Thread-safe and lock-free: atomics and one compare-exchange per admission.
class MemoryAdmission {
 public:
  MemoryAdmission(const MemoryAdmissionConfig& config, metrics::Registry& registry);

  core::Expected<MemoryReservation, Rejection> try_reserve(std::uint64_t bytes);

  void release_retained(std::uint64_t bytes) noexcept;  // retained memory was freed
  void set_retained(std::uint64_t bytes) noexcept;      // or: the owner reports its total
  void set_observed_rss(std::uint64_t bytes) noexcept;  // 0: not observed

  [[nodiscard]] std::uint64_t budget_bytes() const noexcept {
    return budget_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t reserved_bytes() const noexcept {
    return reserved_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t retained_bytes() const noexcept {
    return retained_.load(std::memory_order_relaxed);
  }
  void reconfigure(const MemoryAdmissionConfig& config);

 private:
  friend class MemoryReservation;
  void unreserve(std::uint64_t bytes) noexcept;
  void move_to_retained(std::uint64_t bytes) noexcept;
  void publish() noexcept;

  std::atomic<std::uint64_t> budget_{0};
  std::atomic<std::uint64_t> reserved_{0};
  std::atomic<std::uint64_t> retained_{0};
  std::atomic<std::uint64_t> observed_rss_{0};
  std::atomic<std::int64_t> retry_after_seconds_{1};
  metrics::Counter& rejected_;
  metrics::Gauge& budget_gauge_;
  metrics::Gauge& reserved_gauge_;
};

}  // namespace loadlab::protect
