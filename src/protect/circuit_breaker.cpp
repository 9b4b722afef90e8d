// Circuit breaker state machine; see circuit_breaker.hpp for the rules.
#include "protect/circuit_breaker.hpp"

#include <algorithm>

#include "metrics/registry.hpp"

namespace loadlab::protect {

namespace {
constexpr std::uint8_t kFailureBit = 1;
constexpr std::uint8_t kSlowBit = 2;

metrics::Counter& transition_counter(metrics::Registry& registry, const std::string& dependency,
                                     std::string_view to) {
  return registry
      .counter("circuit_breaker_transitions_total",
               "Circuit breaker state changes, by dependency and new state", {"dependency", "to"})
      .with({dependency, to});
}
}  // namespace

std::string_view state_name(BreakerState state) noexcept {
  switch (state) {
    case BreakerState::closed:
      return "closed";
    case BreakerState::open:
      return "open";
    case BreakerState::half_open:
      return "half_open";
  }
  return "unknown";
}

std::string validate(const CircuitBreakerConfig& config) {
  if (config.window_size < 1 || config.window_size > 10'000) return "window_size must be 1..10000";
  if (config.minimum_calls < 1 || config.minimum_calls > config.window_size) {
    return "minimum_calls must be 1..window_size";
  }
  if (!(config.failure_rate_threshold_percent > 0 &&
        config.failure_rate_threshold_percent <= 100)) {
    return "failure_rate_threshold_percent must be in (0, 100]";
  }
  if (!(config.slow_call_rate_threshold_percent > 0)) {
    return "slow_call_rate_threshold_percent must be > 0 (above 100 disables it)";
  }
  if (config.slow_call_duration <= core::Duration::zero()) return "slow_call_ms must be > 0";
  if (config.consecutive_failures < 1) return "consecutive_failures must be >= 1";
  if (config.open_duration <= core::Duration::zero()) return "open_ms must be > 0";
  if (config.half_open_probes < 1 || config.half_open_probes > 1000) {
    return "half_open_probes must be 1..1000";
  }
  return {};
}

CircuitBreaker::CircuitBreaker(std::string dependency, const CircuitBreakerConfig& config,
                               core::Clock& clock, metrics::Registry& registry)
    : dependency_(std::move(dependency)),
      clock_(clock),
      state_gauge_(registry
                       .gauge("circuit_breaker_state",
                              "Circuit breaker state: 0 closed, 1 open, 2 half-open",
                              {"dependency"})
                       .with({dependency_})),
      to_closed_(transition_counter(registry, dependency_, "closed")),
      to_open_(transition_counter(registry, dependency_, "open")),
      to_half_open_(transition_counter(registry, dependency_, "half_open")),
      rejected_(registry
                    .counter("circuit_breaker_rejected_total",
                             "Calls refused because the circuit was open", {"dependency"})
                    .with({dependency_})),
      config_(config),
      window_(static_cast<std::size_t>(config.window_size), 0) {
  state_gauge_.set(0);
}

core::Expected<CircuitBreaker::Permit, Rejection> CircuitBreaker::try_acquire() {
  std::lock_guard lock(mutex_);
  if (state_ == BreakerState::closed) return Permit{generation_, false};  // no clock read needed
  const auto now = clock_.now();
  advance_locked(now);
  switch (state_) {
    case BreakerState::closed:
      return Permit{generation_, false};
    case BreakerState::half_open:
      if (probes_issued_ < config_.half_open_probes) {
        ++probes_issued_;
        return Permit{generation_, true};
      }
      rejected_.inc();
      return core::unexpected(Rejection{RejectReason::breaker_open, std::chrono::seconds{1}});
    case BreakerState::open:
      break;
  }
  rejected_.inc();
  return core::unexpected(Rejection{RejectReason::breaker_open,
                                    retry_after_for(opened_at_ + config_.open_duration - now)});
}

void CircuitBreaker::on_result(const Permit& permit, CallOutcome outcome, core::Duration duration) {
  std::lock_guard lock(mutex_);
  // The clock is read only on a transition: the common closed-state result needs no time.
  if (permit.generation != generation_) return;  // admitted before the last state change
  const bool failure = outcome == CallOutcome::failure;
  const bool slow = outcome == CallOutcome::success && is_slow(duration);
  if (state_ == BreakerState::half_open) {
    if (!permit.probe) return;
    if (outcome == CallOutcome::ignored) {
      --probes_issued_;
      return;
    }
    if (failure || slow) {
      transition_locked(BreakerState::open, clock_.now());
    } else if (++probes_succeeded_ >= config_.half_open_probes) {
      transition_locked(BreakerState::closed, clock_.now());
    }
    return;
  }
  if (state_ != BreakerState::closed || outcome == CallOutcome::ignored) return;
  record_locked(failure, slow);
  if (should_trip_locked()) transition_locked(BreakerState::open, clock_.now());
}

BreakerState CircuitBreaker::state() {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  advance_locked(now);
  return state_;
}

CircuitBreaker::Snapshot CircuitBreaker::snapshot() {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  advance_locked(now);
  return Snapshot{state_,
                  calls_,
                  failures_,
                  slow_calls_,
                  consecutive_failures_,
                  probes_issued_ - probes_succeeded_};
}

void CircuitBreaker::reconfigure(const CircuitBreakerConfig& config) {
  std::lock_guard lock(mutex_);
  // The state, its generation and opened_at_ stay: an operator tuning a threshold must not let
  // traffic through to a dependency the breaker is protecting. An open breaker's wait is
  // measured with the new open_duration from when it opened (advance_locked reads config_).
  config_ = config;
  if (window_.size() != static_cast<std::size_t>(config.window_size)) resize_window_locked();
}

void CircuitBreaker::resize_window_locked() {
  // Keeps the most recent outcomes that fit in the new window, oldest first.
  const auto new_size = static_cast<std::size_t>(config_.window_size);
  const std::size_t kept = std::min(static_cast<std::size_t>(calls_), new_size);
  std::vector<std::uint8_t> resized(new_size, 0);
  const std::size_t old_size = window_.size();
  const std::size_t first_kept = (next_slot_ + old_size - kept) % old_size;
  failures_ = slow_calls_ = 0;
  for (std::size_t i = 0; i < kept; ++i) {
    const auto slot = window_[(first_kept + i) % old_size];
    resized[i] = slot;
    failures_ += (slot & kFailureBit) ? 1 : 0;
    slow_calls_ += (slot & kSlowBit) ? 1 : 0;
  }
  window_ = std::move(resized);
  calls_ = static_cast<int>(kept);
  next_slot_ = kept % new_size;
}

void CircuitBreaker::advance_locked(core::TimePoint now) {
  if (state_ == BreakerState::open && now >= opened_at_ + config_.open_duration) {
    transition_locked(BreakerState::half_open, now);
  }
}

void CircuitBreaker::transition_locked(BreakerState to, core::TimePoint now) {
  const bool changed = to != state_;
  state_ = to;
  ++generation_;
  probes_issued_ = 0;
  probes_succeeded_ = 0;
  if (to == BreakerState::open) opened_at_ = now;
  if (to == BreakerState::closed) {
    std::fill(window_.begin(), window_.end(), 0);
    next_slot_ = 0;
    calls_ = failures_ = slow_calls_ = consecutive_failures_ = 0;
  }
  if (!changed) return;
  state_gauge_.set(static_cast<double>(static_cast<int>(to)));
  switch (to) {
    case BreakerState::closed:
      to_closed_.inc();
      break;
    case BreakerState::open:
      to_open_.inc();
      break;
    case BreakerState::half_open:
      to_half_open_.inc();
      break;
  }
}

void CircuitBreaker::record_locked(bool failure, bool slow) {
  consecutive_failures_ = failure ? consecutive_failures_ + 1 : 0;
  auto& slot = window_[next_slot_];
  if (calls_ == config_.window_size) {  // the oldest call leaves the window
    failures_ -= (slot & kFailureBit) ? 1 : 0;
    slow_calls_ -= (slot & kSlowBit) ? 1 : 0;
  } else {
    ++calls_;
  }
  slot = static_cast<std::uint8_t>((failure ? kFailureBit : 0) | (slow ? kSlowBit : 0));
  failures_ += failure ? 1 : 0;
  slow_calls_ += slow ? 1 : 0;
  next_slot_ = (next_slot_ + 1) % window_.size();
}

bool CircuitBreaker::should_trip_locked() const {
  if (config_.rule == TripRule::consecutive_failures) {
    return consecutive_failures_ >= config_.consecutive_failures;
  }
  if (calls_ < config_.minimum_calls) return false;
  // Integer-valued doubles compare exactly: 5 failures of 10 at 50 % trips, 4 does not.
  const double calls = calls_;
  return failures_ * 100.0 >= config_.failure_rate_threshold_percent * calls ||
         slow_calls_ * 100.0 >= config_.slow_call_rate_threshold_percent * calls;
}

bool CircuitBreaker::is_slow(core::Duration duration) const noexcept {
  return config_.rule == TripRule::failure_rate &&
         config_.slow_call_rate_threshold_percent <= 100 && duration >= config_.slow_call_duration;
}

}  // namespace loadlab::protect
