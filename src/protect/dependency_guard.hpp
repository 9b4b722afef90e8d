// Everything that guards calls to one dependency: its breaker, bulkhead, retry policy and budget.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "protect/bulkhead.hpp"
#include "protect/call_outcome.hpp"
#include "protect/circuit_breaker.hpp"
#include "protect/protection_set.hpp"
#include "protect/rejection.hpp"
#include "protect/retry_budget.hpp"
#include "protect/retry_policy.hpp"
#include "protect/slot_permit.hpp"

namespace loadlab::protect {

// One attempt at a dependency. finish() reports how it went to the breaker; destruction without
// finish() reports `ignored`. The bulkhead slot is held until finish() or destruction.
class DependencyCall {
 public:
  DependencyCall() noexcept = default;
  DependencyCall(DependencyCall&& other) noexcept;
  DependencyCall& operator=(DependencyCall&& other) noexcept;
  DependencyCall(const DependencyCall&) = delete;
  DependencyCall& operator=(const DependencyCall&) = delete;
  ~DependencyCall() { finish(CallOutcome::ignored); }

  // `failure`: error status (5xx), connection error or timeout; the duration is measured here.
  void finish(CallOutcome outcome) noexcept;

 private:
  friend class DependencyGuard;
  CircuitBreaker* breaker_ = nullptr;  // null when the breaker was off at admission
  CircuitBreaker::Permit permit_{};
  SlotPermit bulkhead_slot_;
  const core::Clock* clock_ = nullptr;
  core::TimePoint started_{};
};

// Thread-safe: the breaker and budget lock internally, the bulkhead is atomic, the jitter source
// has its own mutex. Switches are read per call, so a run-time toggle applies to the next call.
class DependencyGuard {
 public:
  DependencyGuard(std::string name, const ProtectionSettings& settings,
                  const ProtectionSet& switches, core::Clock& clock, metrics::Registry& registry,
                  std::uint64_t jitter_seed);

  // Call once per logical call (not per attempt): it feeds the retry budget.
  void on_logical_call();
  // Before every attempt: breaker (503 breaker_open) then bulkhead (503 bulkhead_full); with
  // both switched off it always admits.
  core::Expected<DependencyCall, Rejection> begin_attempt();
  // After a failed attempt: how long to wait before the next one, or nothing (retries off,
  // attempts exhausted, Retry-After too long, deadline would pass, or budget spent).
  std::optional<core::Duration> retry_delay(int attempts_made,
                                            std::optional<core::Duration> retry_after,
                                            core::TimePoint deadline);

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  CircuitBreaker& breaker() noexcept { return breaker_; }
  Bulkhead& bulkhead() noexcept { return bulkhead_; }
  RetryBudget& retry_budget() noexcept { return budget_; }

  // Applies changed parameters (an unchanged breaker config keeps the breaker's state).
  void apply(const ProtectionParams& before, const ProtectionParams& after);

 private:
  double next_unit();

  const std::string name_;
  const ProtectionSet& switches_;
  core::Clock& clock_;
  CircuitBreaker breaker_;
  Bulkhead bulkhead_;
  RetryBudget budget_;
  std::mutex policy_mutex_;  // guards policy_ (replaced on reconfigure) and the jitter source
  RetryPolicy policy_;
  std::minstd_rand jitter_;
};

}  // namespace loadlab::protect
