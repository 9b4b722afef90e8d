// Prometheus histogram: per-bucket atomic counts, cumulated only when scraped.
#include <algorithm>
#include <array>

#include "metrics/registry.hpp"

namespace loadlab::metrics {

namespace {
// 1 ms .. 30 s: fine enough at the fast end for /api/fast, long enough for the seeds' 30 s waits.
constexpr std::array<double, 16> kDurationBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0, 15.0, 30.0};
}  // namespace

std::span<const double> default_duration_buckets() noexcept {
  return kDurationBuckets;
}

Histogram::Histogram(std::span<const double> upper_bounds)
    : bounds_(upper_bounds.begin(), upper_bounds.end()),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
}

void Histogram::observe(double value) noexcept {
  // "le" is inclusive: the first bound >= value.
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.upper_bounds = bounds_;
  s.cumulative.resize(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  // The +Inf bucket and _count must agree on a scrape even while observe() runs concurrently.
  s.count = running;
  return s;
}

}  // namespace loadlab::metrics
