// Retry budget: retries to a dependency stay a small share of its calls, so retries cannot storm.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>

#include "core/clock.hpp"

namespace loadlab::metrics {
class Registry;
class Counter;
}  // namespace loadlab::metrics

namespace loadlab::protect {

struct RetryBudgetConfig {
  double percent = 10;  // retries allowed per 100 original calls in the window
  int min_retries = 3;  // allowed in any window, so a quiet service may still retry
  core::Duration window = std::chrono::seconds{10};
  bool operator==(const RetryBudgetConfig&) const = default;
};
std::string validate(const RetryBudgetConfig& config);

// Over a sliding window of kBuckets time buckets: a retry is allowed while
//   retries_in_window < floor(calls_in_window * percent / 100) + min_retries.
// With percent 10 and min 3: after 100 calls, 13 retries are allowed, the 14th is refused.
// Calls are first attempts only (on_call), retries are counted when allowed (try_spend).
//
// Thread-safe: a small mutex around the bucket ring.
class RetryBudget {
 public:
  static constexpr int kBuckets = 10;

  RetryBudget(std::string dependency, const RetryBudgetConfig& config, core::Clock& clock,
              metrics::Registry& registry);

  void on_call();
  // True: the retry may be sent and is counted. False: budget exhausted, do not retry.
  bool try_spend();

  struct Snapshot {
    std::int64_t calls = 0;
    std::int64_t retries = 0;
    std::int64_t allowed = 0;
  };
  [[nodiscard]] Snapshot snapshot();
  void reconfigure(const RetryBudgetConfig& config);

 private:
  struct Bucket {
    std::int64_t epoch = -1;  // which bucket-width slice of time it holds
    std::int64_t calls = 0;
    std::int64_t retries = 0;
  };
  Bucket& current_locked(core::TimePoint now);
  [[nodiscard]] Snapshot totals_locked(core::TimePoint now) const;
  [[nodiscard]] std::int64_t epoch_of(core::TimePoint now) const;

  const std::string dependency_;
  core::Clock& clock_;
  metrics::Counter& retries_total_;
  metrics::Counter& exhausted_total_;
  std::mutex mutex_;
  RetryBudgetConfig config_;
  std::array<Bucket, kBuckets> buckets_{};
};

}  // namespace loadlab::protect
