// Memory budget bookkeeping for memory-hungry routes.
#include "protect/memory_admission.hpp"

#include <algorithm>

#include "metrics/registry.hpp"

namespace loadlab::protect {

std::string validate(const MemoryAdmissionConfig& config) {
  if (config.limit_bytes < (1u << 20)) return "limit_bytes must be >= 1 MiB";
  if (!(config.budget_percent > 0 && config.budget_percent <= 100)) {
    return "budget_percent must be in (0, 100]";
  }
  if (config.retry_after.count() < 1) return "retry_after_s must be >= 1";
  return {};
}

MemoryReservation& MemoryReservation::operator=(MemoryReservation&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void MemoryReservation::release() noexcept {
  if (owner_ != nullptr) std::exchange(owner_, nullptr)->unreserve(std::exchange(bytes_, 0));
}

void MemoryReservation::retain() noexcept {
  if (owner_ != nullptr) std::exchange(owner_, nullptr)->move_to_retained(std::exchange(bytes_, 0));
}

MemoryAdmission::MemoryAdmission(const MemoryAdmissionConfig& config, metrics::Registry& registry)
    : rejected_(
          registry
              .counter("load_shed_total", "Requests refused before any work, by reason", {"reason"})
              .with({reason_name(RejectReason::memory_budget)})),
      budget_gauge_(registry
                        .gauge("memory_admission_budget_bytes",
                               "Memory the admission control lets requests use")
                        .with({})),
      reserved_gauge_(
          registry.gauge("memory_admission_reserved_bytes", "Memory reserved by requests in flight")
              .with({})) {
  reconfigure(config);
}

void MemoryAdmission::reconfigure(const MemoryAdmissionConfig& config) {
  const auto budget = static_cast<std::uint64_t>(static_cast<long double>(config.limit_bytes) *
                                                 config.budget_percent / 100.0L);
  budget_.store(budget, std::memory_order_relaxed);
  retry_after_seconds_.store(config.retry_after.count(), std::memory_order_relaxed);
  budget_gauge_.set(static_cast<double>(budget));
}

core::Expected<MemoryReservation, Rejection> MemoryAdmission::try_reserve(std::uint64_t bytes) {
  const std::uint64_t budget = budget_.load(std::memory_order_relaxed);
  const std::uint64_t baseline = std::max(retained_.load(std::memory_order_acquire),
                                          observed_rss_.load(std::memory_order_relaxed));
  std::uint64_t reserved = reserved_.load(std::memory_order_relaxed);
  do {
    // Written as subtractions so huge requests cannot overflow the sum.
    if (baseline > budget || reserved > budget - baseline || bytes > budget - baseline - reserved) {
      rejected_.inc();
      return core::unexpected(
          Rejection{RejectReason::memory_budget,
                    std::chrono::seconds{retry_after_seconds_.load(std::memory_order_relaxed)}});
    }
  } while (!reserved_.compare_exchange_weak(reserved, reserved + bytes, std::memory_order_acq_rel,
                                            std::memory_order_relaxed));
  publish();
  return MemoryReservation{*this, bytes};
}

void MemoryAdmission::unreserve(std::uint64_t bytes) noexcept {
  reserved_.fetch_sub(bytes, std::memory_order_acq_rel);
  publish();
}

void MemoryAdmission::move_to_retained(std::uint64_t bytes) noexcept {
  // Retained first, so a concurrent admission never sees the bytes in neither total.
  retained_.fetch_add(bytes, std::memory_order_acq_rel);
  reserved_.fetch_sub(bytes, std::memory_order_acq_rel);
  publish();
}

void MemoryAdmission::release_retained(std::uint64_t bytes) noexcept {
  std::uint64_t current = retained_.load(std::memory_order_relaxed);
  while (!retained_.compare_exchange_weak(current, current - std::min(current, bytes),
                                          std::memory_order_acq_rel, std::memory_order_relaxed)) {
  }
}

void MemoryAdmission::set_retained(std::uint64_t bytes) noexcept {
  retained_.store(bytes, std::memory_order_release);
}

void MemoryAdmission::set_observed_rss(std::uint64_t bytes) noexcept {
  observed_rss_.store(bytes, std::memory_order_relaxed);
}

void MemoryAdmission::publish() noexcept {
  reserved_gauge_.set(static_cast<double>(reserved_.load(std::memory_order_relaxed)));
}

}  // namespace loadlab::protect
