// Sliding-window retry budget.
#include "protect/retry_budget.hpp"

#include <cmath>

#include "metrics/registry.hpp"

namespace loadlab::protect {

std::string validate(const RetryBudgetConfig& config) {
  if (!(config.percent >= 0 && config.percent <= 100)) return "budget_percent must be 0..100";
  if (config.min_retries < 0) return "min_retries must be >= 0";
  if (config.window < std::chrono::milliseconds{10}) {
    return "budget_window_ms must be >= 10";
  }
  return {};
}

RetryBudget::RetryBudget(std::string dependency, const RetryBudgetConfig& config,
                         core::Clock& clock, metrics::Registry& registry)
    : dependency_(std::move(dependency)),
      clock_(clock),
      retries_total_(
          registry.counter("retry_attempts_total", "Retries sent, by dependency", {"dependency"})
              .with({dependency_})),
      exhausted_total_(registry
                           .counter("retry_budget_exhausted_total",
                                    "Retries not sent because the budget was spent", {"dependency"})
                           .with({dependency_})),
      config_(config) {}

std::int64_t RetryBudget::epoch_of(core::TimePoint now) const {
  const auto width = config_.window.count() / kBuckets;
  return now.time_since_epoch().count() / width;
}

RetryBudget::Bucket& RetryBudget::current_locked(core::TimePoint now) {
  const auto epoch = epoch_of(now);
  auto& bucket = buckets_[static_cast<std::size_t>(epoch % kBuckets)];
  if (bucket.epoch != epoch) bucket = Bucket{epoch, 0, 0};
  return bucket;
}

RetryBudget::Snapshot RetryBudget::totals_locked(core::TimePoint now) const {
  const auto epoch = epoch_of(now);
  Snapshot totals;
  for (const auto& bucket : buckets_) {
    if (bucket.epoch > epoch - kBuckets && bucket.epoch <= epoch) {
      totals.calls += bucket.calls;
      totals.retries += bucket.retries;
    }
  }
  totals.allowed = static_cast<std::int64_t>(
                       std::floor(static_cast<double>(totals.calls) * config_.percent / 100.0)) +
                   config_.min_retries;
  return totals;
}

void RetryBudget::on_call() {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  ++current_locked(now).calls;
}

bool RetryBudget::try_spend() {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  auto& bucket = current_locked(now);
  const auto totals = totals_locked(now);
  if (totals.retries >= totals.allowed) {
    exhausted_total_.inc();
    return false;
  }
  ++bucket.retries;
  retries_total_.inc();
  return true;
}

RetryBudget::Snapshot RetryBudget::snapshot() {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  return totals_locked(now);
}

void RetryBudget::reconfigure(const RetryBudgetConfig& config) {
  std::lock_guard lock(mutex_);
  config_ = config;
  buckets_.fill(Bucket{});  // bucket widths change with the window
}

}  // namespace loadlab::protect
