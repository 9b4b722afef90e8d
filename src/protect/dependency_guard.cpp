// Breaker + bulkhead per attempt, retry policy + budget between attempts, honouring the switches.
#include "protect/dependency_guard.hpp"

namespace loadlab::protect {

DependencyCall::DependencyCall(DependencyCall&& other) noexcept
    : breaker_(std::exchange(other.breaker_, nullptr)),
      permit_(other.permit_),
      bulkhead_slot_(std::move(other.bulkhead_slot_)),
      clock_(std::exchange(other.clock_, nullptr)),
      started_(other.started_) {}

DependencyCall& DependencyCall::operator=(DependencyCall&& other) noexcept {
  if (this != &other) {
    finish(CallOutcome::ignored);
    breaker_ = std::exchange(other.breaker_, nullptr);
    permit_ = other.permit_;
    bulkhead_slot_ = std::move(other.bulkhead_slot_);
    clock_ = std::exchange(other.clock_, nullptr);
    started_ = other.started_;
  }
  return *this;
}

void DependencyCall::finish(CallOutcome outcome) noexcept {
  bulkhead_slot_.release();
  if (breaker_ == nullptr) return;
  const auto duration = clock_->now() - started_;
  std::exchange(breaker_, nullptr)->on_result(permit_, outcome, duration);
}

DependencyGuard::DependencyGuard(std::string name, const ProtectionSettings& settings,
                                 const ProtectionSet& switches, core::Clock& clock,
                                 metrics::Registry& registry, std::uint64_t jitter_seed)
    : name_(std::move(name)),
      switches_(switches),
      clock_(clock),
      breaker_(name_, settings.params.breaker_for(name_), clock, registry),
      bulkhead_(name_, settings.params.bulkhead_for(name_), registry),
      budget_(name_, settings.params.retry_budget, clock, registry),
      policy_(settings.params.retry, [this] { return next_unit(); }),
      jitter_(static_cast<std::minstd_rand::result_type>(jitter_seed % 2147483646u + 1)) {}

void DependencyGuard::on_logical_call() {
  if (switches_.enabled(Protection::retry)) budget_.on_call();
}

core::Expected<DependencyCall, Rejection> DependencyGuard::begin_attempt() {
  DependencyCall call;
  if (switches_.enabled(Protection::breaker)) {
    auto permit = breaker_.try_acquire();
    if (!permit) return core::unexpected(permit.error());
    call.breaker_ = &breaker_;
    call.permit_ = *permit;
    call.clock_ = &clock_;
    call.started_ = clock_.now();  // the duration feeds the slow-call rule
  }
  if (switches_.enabled(Protection::bulkhead)) {
    auto slot = bulkhead_.try_acquire();
    if (!slot) return core::unexpected(slot.error());  // `call` tells the breaker: ignored
    call.bulkhead_slot_ = std::move(slot).value();
  }
  return call;
}

std::optional<core::Duration> DependencyGuard::retry_delay(
    int attempts_made, std::optional<core::Duration> retry_after, core::TimePoint deadline) {
  if (!switches_.enabled(Protection::retry)) return std::nullopt;
  std::optional<core::Duration> delay;
  {
    std::lock_guard lock(policy_mutex_);
    delay = policy_.next_delay(attempts_made, retry_after, clock_.now(), deadline);
  }
  if (!delay || !budget_.try_spend()) return std::nullopt;
  return delay;
}

void DependencyGuard::apply(const ProtectionParams& before, const ProtectionParams& after) {
  const auto& breaker = after.breaker_for(name_);
  const auto& bulkhead = after.bulkhead_for(name_);
  if (before.breaker_for(name_) != breaker) breaker_.reconfigure(breaker);
  if (before.bulkhead_for(name_) != bulkhead) bulkhead_.reconfigure(bulkhead);
  if (before.retry_budget != after.retry_budget) budget_.reconfigure(after.retry_budget);
  if (before.retry != after.retry) {
    std::lock_guard lock(policy_mutex_);
    policy_ = RetryPolicy(after.retry, [this] { return next_unit(); });
  }
}

double DependencyGuard::next_unit() {
  // Called from next_delay() with policy_mutex_ held.
  return std::uniform_real_distribution<double>(0.0, 1.0)(jitter_);
}

}  // namespace loadlab::protect
