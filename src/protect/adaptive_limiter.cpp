// Latency-gradient concurrency limiter; see adaptive_limiter.hpp for the control law.
#include "protect/adaptive_limiter.hpp"

#include <algorithm>
#include <cmath>

#include "metrics/registry.hpp"
#include "protect/slot_permit.hpp"

namespace loadlab::protect {

std::string validate(const AdaptiveLimiterConfig& config) {
  if (config.min_limit < 1) return "min_limit must be >= 1";
  if (config.max_limit < config.min_limit || config.max_limit > 1'000'000) {
    return "max_limit must be min_limit..1000000";
  }
  if (config.initial_limit < config.min_limit || config.initial_limit > config.max_limit) {
    return "initial_limit must be within [min_limit, max_limit]";
  }
  if (config.update_interval < std::chrono::milliseconds{1}) return "window_ms must be >= 1";
  if (!(config.sample_percentile > 0 && config.sample_percentile <= 100)) {
    return "sample_percentile must be in (0, 100]";
  }
  if (!(config.buffer_percent >= 0 && config.buffer_percent <= 100)) {
    return "buffer_percent must be 0..100";
  }
  if (!(config.smoothing > 0 && config.smoothing <= 1)) return "smoothing must be in (0, 1]";
  if (config.min_rtt_interval < config.update_interval) {
    return "min_rtt_interval_ms must be >= window_ms";
  }
  if (config.min_rtt_samples < 1 || config.min_rtt_samples > static_cast<int>(512)) {
    return "min_rtt_samples must be 1..512";
  }
  if (config.min_rtt_max_wait < std::chrono::milliseconds{1}) {
    return "min_rtt_max_wait_ms must be >= 1";
  }
  if (config.retry_after.count() < 1) return "retry_after_s must be >= 1";
  return {};
}

AdaptivePermit& AdaptivePermit::operator=(AdaptivePermit&& other) noexcept {
  if (this != &other) {
    complete(CallOutcome::ignored);
    owner_ = std::exchange(other.owner_, nullptr);
    started_ = other.started_;
    epoch_ = other.epoch_;
  }
  return *this;
}

void AdaptivePermit::complete(CallOutcome outcome) noexcept {
  if (owner_ != nullptr) std::exchange(owner_, nullptr)->finish(started_, epoch_, outcome);
}

AdaptiveLimiter::AdaptiveLimiter(const AdaptiveLimiterConfig& config, core::Clock& clock,
                                 metrics::Registry& registry)
    : clock_(clock),
      rejected_(
          registry
              .counter("load_shed_total", "Requests refused before any work, by reason", {"reason"})
              .with({reason_name(RejectReason::adaptive_limit)})),
      limit_gauge_(registry
                       .gauge("adaptive_concurrency_limit",
                              "Concurrency limit estimated by the gradient controller")
                       .with({})),
      min_rtt_gauge_(registry
                         .gauge("adaptive_concurrency_min_rtt_seconds",
                                "Latency measured at minimal concurrency")
                         .with({})),
      sample_rtt_gauge_(registry
                            .gauge("adaptive_concurrency_sample_rtt_seconds",
                                   "Latency percentile of the last window")
                            .with({})),
      measuring_gauge_(registry
                           .gauge("adaptive_concurrency_measuring_min_rtt",
                                  "1 while the limit is pinned to measure min RTT")
                           .with({})) {
  reconfigure(config);
}

void AdaptiveLimiter::reconfigure(const AdaptiveLimiterConfig& config) {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  config_ = config;
  estimated_limit_.store(config.initial_limit, std::memory_order_relaxed);
  retry_after_seconds_.store(config.retry_after.count(), std::memory_order_relaxed);
  start_measurement_locked(now);
}

core::Expected<AdaptivePermit, Rejection> AdaptiveLimiter::try_acquire() {
  // Epoch before the slot: a permit taken as a measurement starts must not count as measured.
  const auto epoch = epoch_.load(std::memory_order_acquire);
  if (try_take_slot(inflight_, admission_limit_.load(std::memory_order_acquire))) {
    return AdaptivePermit{*this, clock_.now(), epoch};
  }
  rejected_.inc();
  rejections_.fetch_add(1, std::memory_order_relaxed);
  return core::unexpected(
      Rejection{RejectReason::adaptive_limit,
                std::chrono::seconds{retry_after_seconds_.load(std::memory_order_relaxed)}});
}

void AdaptiveLimiter::finish(core::TimePoint started, std::uint64_t epoch,
                             CallOutcome outcome) noexcept {
  inflight_.fetch_sub(1, std::memory_order_acq_rel);
  if (outcome == CallOutcome::ignored) return;
  const auto now = clock_.now();
  const auto rtt = std::max(core::Duration::zero(), now - started);
  std::lock_guard lock(mutex_);
  if (measuring_.load(std::memory_order_relaxed)) {
    if (epoch != epoch_.load(std::memory_order_relaxed)) return;  // queued before measuring
    samples_[sample_count_++ % kMaxSamples] = rtt;
    const bool enough_samples = sample_count_ >= static_cast<std::size_t>(config_.min_rtt_samples);
    const bool waited_long_enough = now - measurement_started_ >= config_.min_rtt_max_wait &&
                                    sample_count_ >= static_cast<std::size_t>(config_.min_limit);
    if (!enough_samples && !waited_long_enough) return;
    rejected_at_measurement_ = rejections_.load(std::memory_order_relaxed);
    min_rtt_ns_.store(percentile_locked().count(), std::memory_order_relaxed);
    measuring_.store(false, std::memory_order_relaxed);
    admission_limit_.store(static_cast<int>(estimated_limit_.load(std::memory_order_relaxed)),
                           std::memory_order_release);
    next_measurement_ = now + config_.min_rtt_interval;
    window_end_ = now + config_.update_interval;
    sample_count_ = 0;
    publish_locked();
    return;
  }
  samples_[sample_count_++ % kMaxSamples] = rtt;
  if (now >= window_end_) end_window_locked(now);
}

void AdaptiveLimiter::end_window_locked(core::TimePoint now) {
  const double sample_rtt = static_cast<double>(percentile_locked().count());
  sample_count_ = 0;
  window_end_ = now + config_.update_interval;
  sample_rtt_gauge_.set(sample_rtt / 1e9);

  const double min_rtt = static_cast<double>(min_rtt_ns_.load(std::memory_order_relaxed));
  double limit = estimated_limit_.load(std::memory_order_relaxed);
  if (sample_rtt > 0 && min_rtt > 0) {
    const double gradient =
        std::clamp(min_rtt * (1.0 + config_.buffer_percent / 100.0) / sample_rtt, 0.5, 2.0);
    const double target = limit * gradient + std::sqrt(limit);
    limit =
        std::clamp(limit + config_.smoothing * (target - limit),
                   static_cast<double>(config_.min_limit), static_cast<double>(config_.max_limit));
    estimated_limit_.store(limit, std::memory_order_relaxed);
  }
  if (now >= next_measurement_) {
    if (rejections_.load(std::memory_order_relaxed) != rejected_at_measurement_) {
      start_measurement_locked(now);
      return;
    }
    next_measurement_ = now + config_.min_rtt_interval;  // never bound: keep the min RTT
  }
  admission_limit_.store(static_cast<int>(limit), std::memory_order_release);
  publish_locked();
}

void AdaptiveLimiter::start_measurement_locked(core::TimePoint now) {
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  measuring_.store(true, std::memory_order_relaxed);
  measurement_started_ = now;
  admission_limit_.store(config_.min_limit, std::memory_order_release);
  sample_count_ = 0;
  window_end_ = now + config_.update_interval;
  publish_locked();
}

core::Duration AdaptiveLimiter::percentile_locked() {
  const std::size_t count = std::min(sample_count_, kMaxSamples);
  if (count == 0) return core::Duration::zero();
  auto rank = static_cast<std::size_t>(
      std::ceil(config_.sample_percentile / 100.0 * static_cast<double>(count)));
  rank = std::clamp<std::size_t>(rank, 1, count) - 1;
  std::nth_element(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(rank),
                   samples_.begin() + static_cast<std::ptrdiff_t>(count));
  return samples_[rank];
}

void AdaptiveLimiter::publish_locked() {
  limit_gauge_.set(estimated_limit_.load(std::memory_order_relaxed));
  min_rtt_gauge_.set(static_cast<double>(min_rtt_ns_.load(std::memory_order_relaxed)) / 1e9);
  measuring_gauge_.set(measuring_.load(std::memory_order_relaxed) ? 1 : 0);
}

}  // namespace loadlab::protect
