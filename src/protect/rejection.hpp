// Why a protection refused work, and the HTTP status and Retry-After the refusal maps to.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace loadlab::protect {

enum class RejectReason : std::uint8_t {
  breaker_open,       // 503: the dependency's circuit is open (or half-open with probes taken)
  concurrency_limit,  // 429: the load shedder's tier threshold is reached
  adaptive_limit,     // 503: the adaptive limiter's current limit is reached
  queue_full,         // 503: the bounded work queue is at capacity
  queue_timeout,      // 503: CoDel dropped the item after it waited too long in the queue
  bulkhead_full,      // 503: the dependency's concurrency cap is reached
  memory_budget,      // 503: the reservation would pass the memory budget
  deadline_expired,   // 504: the request's deadline passed before the work started
};

// Stable snake_case names, used as the `reason` label of load_shed_total and in JSON bodies.
constexpr std::string_view reason_name(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::breaker_open:
      return "breaker_open";
    case RejectReason::concurrency_limit:
      return "concurrency_limit";
    case RejectReason::adaptive_limit:
      return "adaptive_limit";
    case RejectReason::queue_full:
      return "queue_full";
    case RejectReason::queue_timeout:
      return "queue_timeout";
    case RejectReason::bulkhead_full:
      return "bulkhead_full";
    case RejectReason::memory_budget:
      return "memory_budget";
    case RejectReason::deadline_expired:
      return "deadline_expired";
  }
  return "unknown";
}

constexpr int default_status(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::concurrency_limit:
      return 429;
    case RejectReason::deadline_expired:
      return 504;
    default:
      return 503;
  }
}

// A refusal as a value: the caller turns it into `status` with `Retry-After: retry_after`.
struct Rejection {
  RejectReason reason;
  std::chrono::seconds retry_after{1};
  [[nodiscard]] int status() const noexcept { return default_status(reason); }
};

// Retry-After is whole seconds; a wait of 1.2 s is announced as 2 s and never as 0.
constexpr std::chrono::seconds retry_after_for(std::chrono::nanoseconds wait) noexcept {
  auto seconds = std::chrono::ceil<std::chrono::seconds>(wait);
  return seconds < std::chrono::seconds{1} ? std::chrono::seconds{1} : seconds;
}

}  // namespace loadlab::protect
