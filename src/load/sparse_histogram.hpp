// A compact, exactly mergeable latency distribution for one interval of the per-second series:
// only the non-empty buckets of a 2-significant-digit HDR layout (1 µs .. 1 h), 16 bytes each,
// and the exact largest value (a 2-digit bucket's top is up to 1 % above what was recorded, and
// a series max above the run's max reads as a measurement error).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <utility>
#include <vector>

#include "core/hdr_histogram.hpp"

namespace loadlab::load {

class SparseHistogram {
 public:
  // The dense layout every series point uses (2 digits: <1 % error, ~26 KiB while dense).
  static core::HdrHistogram make_dense();

  SparseHistogram() = default;
  // Keeps the non-empty buckets of dense, re-bucketed into the series layout (exact: a 3-digit
  // bucket lies inside one 2-digit bucket).
  static SparseHistogram from(const core::HdrHistogram& dense);

  void merge(const SparseHistogram& other);
  // Rebuilds a dense histogram (series layout) for percentiles.
  [[nodiscard]] core::HdrHistogram to_dense() const;
  [[nodiscard]] std::int64_t total_count() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return buckets_.empty(); }
  [[nodiscard]] std::int64_t max() const noexcept { return max_; }  // exact, µs; 0 when empty
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    return buckets_.capacity() * sizeof(buckets_[0]);
  }

  // [[value, count], ...] with value the bucket's highest equivalent value in µs, except the
  // last, whose value is the exact max (inside its bucket, so any reader re-buckets it alike).
  [[nodiscard]] nlohmann::json to_json() const;
  // Throws std::invalid_argument on malformed input.
  static SparseHistogram from_json(const nlohmann::json& json);

  friend bool operator==(const SparseHistogram&, const SparseHistogram&) = default;

 private:
  std::vector<std::pair<std::int64_t, std::int64_t>> buckets_;  // sorted by value
  std::int64_t max_ = 0;
};

}  // namespace loadlab::load
