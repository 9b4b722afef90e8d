// Sparse storage of per-interval distributions.
#include "load/sparse_histogram.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace loadlab::load {

core::HdrHistogram SparseHistogram::make_dense() {
  return core::HdrHistogram(core::HdrHistogram::kDefaultLowest, core::HdrHistogram::kDefaultHighest,
                            2);
}

namespace {
// The series layout's geometry (no counts are ever recorded in it).
const core::HdrHistogram& series_layout() {
  static const core::HdrHistogram layout = SparseHistogram::make_dense();
  return layout;
}
}  // namespace

SparseHistogram SparseHistogram::from(const core::HdrHistogram& dense) {
  SparseHistogram sparse;
  if (dense.total_count() == 0) return sparse;
  if (dense.significant_digits() == 2 &&
      dense.lowest_trackable() == core::HdrHistogram::kDefaultLowest &&
      dense.highest_trackable() == core::HdrHistogram::kDefaultHighest) {
    dense.for_each_bucket([&](std::int64_t value, std::int64_t count) {
      sparse.buckets_.emplace_back(value, count);
    });
  } else {
    core::HdrHistogram series = make_dense();
    dense.for_each_bucket(
        [&](std::int64_t value, std::int64_t count) { series.record(value, count); });
    sparse = from(series);
  }
  sparse.max_ = dense.max_recorded();
  return sparse;
}

void SparseHistogram::merge(const SparseHistogram& other) {
  if (other.buckets_.empty()) return;
  std::vector<std::pair<std::int64_t, std::int64_t>> merged;
  merged.reserve(buckets_.size() + other.buckets_.size());
  auto a = buckets_.begin();
  auto b = other.buckets_.begin();
  while (a != buckets_.end() || b != other.buckets_.end()) {
    if (b == other.buckets_.end() || (a != buckets_.end() && a->first < b->first)) {
      merged.push_back(*a++);
    } else if (a == buckets_.end() || b->first < a->first) {
      merged.push_back(*b++);
    } else {
      merged.emplace_back(a->first, a->second + b->second);
      ++a;
      ++b;
    }
  }
  buckets_ = std::move(merged);
  max_ = std::max(max_, other.max_);
}

core::HdrHistogram SparseHistogram::to_dense() const {
  core::HdrHistogram dense = make_dense();
  for (const auto& [value, count] : buckets_) dense.record(value, count);
  return dense;
}

std::int64_t SparseHistogram::total_count() const noexcept {
  std::int64_t total = 0;
  for (const auto& bucket : buckets_) total += bucket.second;
  return total;
}

nlohmann::json SparseHistogram::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [value, count] : buckets_) out.push_back({value, count});
  if (!out.empty()) out.back()[0] = max_;
  return out;
}

SparseHistogram SparseHistogram::from_json(const nlohmann::json& json) {
  if (!json.is_array()) throw std::invalid_argument("expected an array of [value, count]");
  SparseHistogram sparse;
  std::int64_t previous = -1;
  for (const auto& pair : json) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_integer() ||
        !pair[1].is_number_integer()) {
      throw std::invalid_argument("expected [value, count] pairs of integers");
    }
    const auto value = pair[0].get<std::int64_t>();
    const auto count = pair[1].get<std::int64_t>();
    if (value <= previous || count <= 0 || value > core::HdrHistogram::kDefaultHighest) {
      throw std::invalid_argument("values must increase and counts be positive");
    }
    previous = value;
    sparse.buckets_.emplace_back(series_layout().highest_equivalent(value), count);
  }
  if (!sparse.buckets_.empty()) {
    sparse.max_ = previous;  // the last value is the exact max
    for (std::size_t i = 1; i < sparse.buckets_.size(); ++i) {
      if (sparse.buckets_[i].first == sparse.buckets_[i - 1].first)
        throw std::invalid_argument("two values in one bucket");
    }
  }
  return sparse;
}

}  // namespace loadlab::load
