// Running totals a worker publishes for the live progress line: written by the worker thread
// only (relaxed load+store, no read-modify-write, no lock), read once a second by the
// controller. The latency distribution is coarse (about 9 % wide buckets): it is for display;
// the results use the recorder's exact HDR histograms.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>

namespace loadlab::load::engine {

class LiveStats {
 public:
  static constexpr int kSubBuckets = 8;  // per power of two
  static constexpr int kBuckets = 40 * kSubBuckets;

  // Single writer: the owning worker thread.
  void record(std::int64_t latency_us, bool failed) noexcept {
    bump(requests_);
    if (failed) bump(failed_);
    bump(buckets_[static_cast<std::size_t>(bucket_of(latency_us))]);
  }
  void set_vus(std::int64_t active, std::int64_t allocated) noexcept {
    active_vus_.store(active, std::memory_order_relaxed);
    allocated_vus_.store(allocated, std::memory_order_relaxed);
  }

  struct Snapshot {
    std::int64_t requests = 0;
    std::int64_t failed = 0;
    std::int64_t active_vus = 0;
    std::int64_t allocated_vus = 0;
    std::array<std::int64_t, kBuckets> buckets{};

    // Adds another worker's snapshot.
    void add(const Snapshot& other) noexcept;
    // The distribution of the samples between `earlier` and this snapshot: p-th percentile
    // in microseconds (upper bucket bound), 0 when there were none.
    [[nodiscard]] std::int64_t percentile_since(const Snapshot& earlier, double p) const noexcept;
  };
  [[nodiscard]] Snapshot snapshot() const noexcept;

  static int bucket_of(std::int64_t us) noexcept {
    if (us < kSubBuckets) return us < 0 ? 0 : static_cast<int>(us);
    const int power = 63 - std::countl_zero(static_cast<std::uint64_t>(us));  // >= 3
    const int sub = static_cast<int>((us >> (power - 3)) & (kSubBuckets - 1));
    const int bucket = (power - 2) * kSubBuckets + sub;
    return bucket < kBuckets ? bucket : kBuckets - 1;
  }
  // The largest value of a bucket.
  static std::int64_t bucket_upper(int bucket) noexcept {
    if (bucket < kSubBuckets) return bucket;
    const int power = bucket / kSubBuckets + 2;
    const std::int64_t sub = bucket % kSubBuckets;
    return ((kSubBuckets + sub + 1) << (power - 3)) - 1;
  }

 private:
  static void bump(std::atomic<std::int64_t>& counter) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  alignas(64) std::atomic<std::int64_t> requests_{0};
  std::atomic<std::int64_t> failed_{0};
  std::atomic<std::int64_t> active_vus_{0};
  std::atomic<std::int64_t> allocated_vus_{0};
  std::array<std::atomic<std::int64_t>, kBuckets> buckets_{};
};

inline LiveStats::Snapshot LiveStats::snapshot() const noexcept {
  Snapshot out;
  out.requests = requests_.load(std::memory_order_relaxed);
  out.failed = failed_.load(std::memory_order_relaxed);
  out.active_vus = active_vus_.load(std::memory_order_relaxed);
  out.allocated_vus = allocated_vus_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    out.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
  }
  return out;
}

inline void LiveStats::Snapshot::add(const Snapshot& other) noexcept {
  requests += other.requests;
  failed += other.failed;
  active_vus += other.active_vus;
  allocated_vus += other.allocated_vus;
  for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += other.buckets[i];
}

inline std::int64_t LiveStats::Snapshot::percentile_since(const Snapshot& earlier,
                                                          double p) const noexcept {
  std::int64_t total = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) total += buckets[i] - earlier.buckets[i];
  if (total <= 0) return 0;
  const auto rank = static_cast<std::int64_t>(p / 100.0 * static_cast<double>(total) + 0.999999);
  std::int64_t seen = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    seen += buckets[i] - earlier.buckets[i];
    if (seen >= rank) return bucket_upper(static_cast<int>(i));
  }
  return bucket_upper(kBuckets - 1);
}

}  // namespace loadlab::load::engine
