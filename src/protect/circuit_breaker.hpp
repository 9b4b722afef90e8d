// Circuit breaker for one dependency: closed, open, half-open, driven by results the caller
// reports.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "protect/call_outcome.hpp"
#include "protect/rejection.hpp"

namespace loadlab::metrics {
class Registry;
class Gauge;
class Counter;
}  // namespace loadlab::metrics

namespace loadlab::protect {

enum class BreakerState : std::uint8_t { closed = 0, open = 1, half_open = 2 };
std::string_view state_name(BreakerState state) noexcept;

// failure_rate: Resilience4j-style count-based window; consecutive_failures: seed 004's rule.
enum class TripRule : std::uint8_t { failure_rate, consecutive_failures };

struct CircuitBreakerConfig {
  TripRule rule = TripRule::failure_rate;
  int window_size = 20;                           // last N calls
  int minimum_calls = 10;                         // no verdict on fewer calls than this
  double failure_rate_threshold_percent = 50;     // open when failures/calls >= this
  double slow_call_rate_threshold_percent = 100;  // open when slow/calls >= this; > 100 disables
  core::Duration slow_call_duration = std::chrono::seconds{2};
  int consecutive_failures = 5;  // TripRule::consecutive_failures only
  core::Duration open_duration = std::chrono::seconds{10};
  int half_open_probes = 1;  // all of them must succeed to close; any failure reopens
  bool operator==(const CircuitBreakerConfig&) const = default;
};

// Returns an error message naming the first invalid field, or an empty string.
std::string validate(const CircuitBreakerConfig& config);

// Thread-safe: one small mutex guards the state and the window (a few ns uncontended). Opening
// to half-open happens lazily on the first try_acquire()/state() at or after the wait ends, so
// the breaker needs no timer. Results of calls admitted in an earlier state (a "generation") are
// ignored: a slow call started before the breaker opened must not count as a half-open probe.
class CircuitBreaker {
 public:
  struct Permit {
    std::uint64_t generation = 0;
    bool probe = false;
  };

  CircuitBreaker(std::string dependency, const CircuitBreakerConfig& config, core::Clock& clock,
                 metrics::Registry& registry);

  // Admitted: call the dependency and report with on_result(). Rejected: breaker_open with the
  // time left until the next probe (at least 1 s).
  core::Expected<Permit, Rejection> try_acquire();
  void on_result(const Permit& permit, CallOutcome outcome, core::Duration duration);

  [[nodiscard]] BreakerState state();
  [[nodiscard]] const std::string& dependency() const noexcept { return dependency_; }

  struct Snapshot {
    BreakerState state = BreakerState::closed;
    int calls = 0;  // in the window
    int failures = 0;
    int slow_calls = 0;
    int consecutive_failures = 0;
    int probes_in_flight = 0;
  };
  [[nodiscard]] Snapshot snapshot();

  // New thresholds apply from the next call on; the state stays (an open breaker stays open,
  // its wait now open_duration from when it opened) and so do the recorded outcomes, of which a
  // smaller window keeps the most recent.
  void reconfigure(const CircuitBreakerConfig& config);

 private:
  void advance_locked(core::TimePoint now);
  void transition_locked(BreakerState to, core::TimePoint now);
  void record_locked(bool failure, bool slow);
  void resize_window_locked();
  [[nodiscard]] bool should_trip_locked() const;
  [[nodiscard]] bool is_slow(core::Duration duration) const noexcept;

  const std::string dependency_;
  core::Clock& clock_;
  metrics::Gauge& state_gauge_;
  metrics::Counter& to_closed_;
  metrics::Counter& to_open_;
  metrics::Counter& to_half_open_;
  metrics::Counter& rejected_;

  std::mutex mutex_;
  CircuitBreakerConfig config_;
  BreakerState state_ = BreakerState::closed;
  std::uint64_t generation_ = 0;
  core::TimePoint opened_at_{};
  // Ring of the last window_size outcomes: bit 0 failure, bit 1 slow.
  std::vector<std::uint8_t> window_;
  std::size_t next_slot_ = 0;
  int calls_ = 0;
  int failures_ = 0;
  int slow_calls_ = 0;
  int consecutive_failures_ = 0;
  int probes_issued_ = 0;
  int probes_succeeded_ = 0;
};

}  // namespace loadlab::protect
