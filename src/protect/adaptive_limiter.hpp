// Adaptive concurrency limit: a latency-gradient controller that finds capacity without a hand-set
// number.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "protect/call_outcome.hpp"
#include "protect/rejection.hpp"

namespace loadlab::metrics {
class Registry;
class Counter;
class Gauge;
}  // namespace loadlab::metrics

namespace loadlab::protect {

struct AdaptiveLimiterConfig {
  int initial_limit = 20;
  int min_limit = 3;  // also the concurrency the limit is pinned to while min RTT is measured
  int max_limit = 1000;
  core::Duration update_interval = std::chrono::milliseconds{100};  // one window
  double sample_percentile = 50;  // of the RTTs completed in a window
  double buffer_percent = 10;     // queueing tolerated above the min RTT before shrinking
  double smoothing = 0.5;         // weight of the new value: limit += smoothing * (new - limit)
  core::Duration min_rtt_interval = std::chrono::seconds{30};  // how often min RTT is re-measured
  int min_rtt_samples = 25;  // requests measured, at min_limit concurrency, per measurement
  // A measurement also ends once this long has passed and min_limit of its requests completed:
  // on a route that takes seconds, 25 samples at concurrency 3 would pin the limit for a minute.
  core::Duration min_rtt_max_wait = std::chrono::seconds{1};
  std::chrono::seconds retry_after{1};
  bool operator==(const AdaptiveLimiterConfig&) const = default;
};
std::string validate(const AdaptiveLimiterConfig& config);

class AdaptiveLimiter;

// Move-only; complete() reports the outcome, destruction without it counts as `ignored`.
class AdaptivePermit {
 public:
  AdaptivePermit() noexcept = default;
  AdaptivePermit(AdaptiveLimiter& owner, core::TimePoint started, std::uint64_t epoch) noexcept
      : owner_(&owner), started_(started), epoch_(epoch) {}
  AdaptivePermit(AdaptivePermit&& other) noexcept
      : owner_(std::exchange(other.owner_, nullptr)),
        started_(other.started_),
        epoch_(other.epoch_) {}
  AdaptivePermit& operator=(AdaptivePermit&& other) noexcept;
  AdaptivePermit(const AdaptivePermit&) = delete;
  AdaptivePermit& operator=(const AdaptivePermit&) = delete;
  ~AdaptivePermit() { complete(CallOutcome::ignored); }

  void complete(CallOutcome outcome) noexcept;
  [[nodiscard]] bool holds() const noexcept { return owner_ != nullptr; }

 private:
  AdaptiveLimiter* owner_ = nullptr;
  core::TimePoint started_{};
  std::uint64_t epoch_ = 0;
};

// In the spirit of Envoy's gradient controller:
//  * min RTT is measured with the concurrency pinned to min_limit until min_rtt_samples requests
//    that STARTED during the measurement have completed; it is their sample_percentile. This
//    happens at start and every min_rtt_interval, because a limiter that only ever runs with a
//    queue never sees the no-queue latency (and would drift upward). A measurement also ends
//    after min_rtt_max_wait once min_limit of its requests have completed. A periodic
//    re-measurement is skipped when nothing was rejected since the last one: the limit never
//    bound, so no queue built up behind it and pinning would only refuse healthy traffic.
//  * every update_interval (a window), sample RTT = sample_percentile of the RTTs completed in it,
//      gradient  = clamp(min_rtt * (1 + buffer) / sample_rtt, 0.5, 2.0)
//      new_limit = limit * gradient + sqrt(limit)          (sqrt: headroom to probe upward)
//      limit     = clamp(limit + smoothing * (new_limit - limit), min_limit, max_limit)
//  At equilibrium limit ~ (1 + buffer) * capacity + sqrt(limit): a small standing queue, by
//  design, so that the limiter can notice when capacity grows.
//
// Thread-safety: try_acquire() is lock-free (atomic limit, compare-exchange on in-flight);
// completions take a small mutex to record the RTT and, once per window, to update the limit.
class AdaptiveLimiter {
 public:
  AdaptiveLimiter(const AdaptiveLimiterConfig& config, core::Clock& clock,
                  metrics::Registry& registry);

  // Rejected: 503 adaptive_limit.
  core::Expected<AdaptivePermit, Rejection> try_acquire();

  // The controller's estimate (kept, not shown as min_limit, during a min RTT measurement).
  [[nodiscard]] double limit() const noexcept {
    return estimated_limit_.load(std::memory_order_relaxed);
  }
  // What admission enforces right now (min_limit during a min RTT measurement).
  [[nodiscard]] int admission_limit() const noexcept {
    return admission_limit_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] int inflight() const noexcept { return inflight_.load(std::memory_order_relaxed); }
  [[nodiscard]] core::Duration min_rtt() const noexcept {
    return core::Duration{min_rtt_ns_.load(std::memory_order_relaxed)};
  }
  [[nodiscard]] bool measuring_min_rtt() const noexcept {
    return measuring_.load(std::memory_order_relaxed);
  }
  void reconfigure(const AdaptiveLimiterConfig& config);  // restarts with a min RTT measurement

 private:
  friend class AdaptivePermit;
  static constexpr std::size_t kMaxSamples = 512;

  void finish(core::TimePoint started, std::uint64_t epoch, CallOutcome outcome) noexcept;
  void start_measurement_locked(core::TimePoint now);
  void end_window_locked(core::TimePoint now);
  [[nodiscard]] core::Duration percentile_locked();
  void publish_locked();

  core::Clock& clock_;
  metrics::Counter& rejected_;
  metrics::Gauge& limit_gauge_;
  metrics::Gauge& min_rtt_gauge_;
  metrics::Gauge& sample_rtt_gauge_;
  metrics::Gauge& measuring_gauge_;

  std::atomic<int> inflight_{0};
  std::atomic<int> admission_limit_{0};
  std::atomic<double> estimated_limit_{0};
  std::atomic<std::int64_t> min_rtt_ns_{0};
  std::atomic<bool> measuring_{false};
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<std::int64_t> retry_after_seconds_{1};

  std::mutex mutex_;
  AdaptiveLimiterConfig config_;
  core::TimePoint window_end_{};
  core::TimePoint next_measurement_{};
  core::TimePoint measurement_started_{};
  std::uint64_t rejected_at_measurement_ = 0;  // rejections counted when the last one ended
  std::atomic<std::uint64_t> rejections_{0};
  std::array<core::Duration, kMaxSamples> samples_{};  // the latest ones of the window
  std::size_t sample_count_ = 0;                       // may exceed kMaxSamples
};

}  // namespace loadlab::protect
