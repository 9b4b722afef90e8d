// HdrHistogram layout: bucket i covers [2^(i+m) .. 2^(i+m+1)) with sub_bucket_half_count linear
// sub-buckets, so every value is kept within 10^-digits relative error.
#include "core/hdr_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace loadlab::core {
namespace {

int floor_log2(std::int64_t value) {
  return 63 - std::countl_zero(static_cast<std::uint64_t>(value));
}

}  // namespace

HdrHistogram::HdrHistogram()
    : HdrHistogram(kDefaultLowest, kDefaultHighest, kDefaultSignificantDigits) {}

HdrHistogram::HdrHistogram(std::int64_t lowest, std::int64_t highest, int significant_digits)
    : lowest_(lowest), highest_(highest), digits_(significant_digits) {
  if (lowest < 1) throw std::invalid_argument("histogram: lowest trackable value must be >= 1");
  if (highest < 2 * lowest) {
    throw std::invalid_argument("histogram: highest trackable value must be >= 2 * lowest");
  }
  if (significant_digits < 1 || significant_digits > 5) {
    throw std::invalid_argument("histogram: significant digits must be between 1 and 5");
  }
  const std::int64_t largest_single_unit = 2 * static_cast<std::int64_t>(std::pow(10, digits_));
  const int sub_bucket_count_magnitude =
      static_cast<int>(std::ceil(std::log2(static_cast<double>(largest_single_unit))));
  sub_bucket_half_count_magnitude_ = std::max(sub_bucket_count_magnitude, 1) - 1;
  unit_magnitude_ = floor_log2(lowest);
  sub_bucket_count_ = std::int64_t{1} << (sub_bucket_half_count_magnitude_ + 1);
  sub_bucket_half_count_ = sub_bucket_count_ / 2;
  sub_bucket_mask_ = (sub_bucket_count_ - 1) << unit_magnitude_;

  std::int64_t smallest_untrackable = sub_bucket_count_ << unit_magnitude_;
  int buckets = 1;
  while (smallest_untrackable <= highest) {
    if (smallest_untrackable > std::numeric_limits<std::int64_t>::max() / 2) {
      ++buckets;
      break;
    }
    smallest_untrackable <<= 1;
    ++buckets;
  }
  bucket_count_ = buckets;
  counts_length_ = static_cast<std::size_t>((bucket_count_ + 1) * sub_bucket_half_count_);
}

void HdrHistogram::allocate_counts() {
  if (counts_.empty()) counts_.assign(counts_length_, 0);
}

int HdrHistogram::bucket_index(std::int64_t value) const noexcept {
  const int pow2_ceiling =
      64 - std::countl_zero(static_cast<std::uint64_t>(value | sub_bucket_mask_));
  return pow2_ceiling - unit_magnitude_ - (sub_bucket_half_count_magnitude_ + 1);
}

std::size_t HdrHistogram::counts_index(std::int64_t value) const noexcept {
  const int bucket = bucket_index(value);
  const std::int64_t sub_bucket = value >> (bucket + unit_magnitude_);
  const std::int64_t bucket_base = static_cast<std::int64_t>(bucket + 1)
                                   << sub_bucket_half_count_magnitude_;
  return static_cast<std::size_t>(bucket_base + (sub_bucket - sub_bucket_half_count_));
}

std::int64_t HdrHistogram::value_from_index(std::size_t index) const noexcept {
  int bucket = static_cast<int>(index >> sub_bucket_half_count_magnitude_) - 1;
  std::int64_t sub_bucket =
      static_cast<std::int64_t>(index & static_cast<std::size_t>(sub_bucket_half_count_ - 1)) +
      sub_bucket_half_count_;
  if (bucket < 0) {
    sub_bucket -= sub_bucket_half_count_;
    bucket = 0;
  }
  return sub_bucket << (bucket + unit_magnitude_);
}

std::int64_t HdrHistogram::lowest_equivalent(std::int64_t value) const noexcept {
  const int bucket = bucket_index(value);
  const std::int64_t sub_bucket = value >> (bucket + unit_magnitude_);
  return sub_bucket << (bucket + unit_magnitude_);
}

std::int64_t HdrHistogram::size_of_equivalent_range(std::int64_t value) const noexcept {
  const int bucket = bucket_index(value);
  const std::int64_t sub_bucket = value >> (bucket + unit_magnitude_);
  const int adjusted = sub_bucket >= sub_bucket_count_ ? bucket + 1 : bucket;
  return std::int64_t{1} << (unit_magnitude_ + adjusted);
}

std::int64_t HdrHistogram::highest_equivalent(std::int64_t value) const noexcept {
  return lowest_equivalent(value) + size_of_equivalent_range(value) - 1;
}

std::int64_t HdrHistogram::median_equivalent(std::int64_t value) const noexcept {
  return lowest_equivalent(value) + (size_of_equivalent_range(value) >> 1);
}

void HdrHistogram::record(std::int64_t value, std::int64_t count) noexcept {
  if (count <= 0) return;
  if (value < 0) value = 0;
  if (value > highest_) {
    value = highest_;
    clamped_ += count;
  }
  allocate_counts();
  counts_[counts_index(value)] += count;
  total_count_ += count;
  if (value != 0 && value < min_nonzero_) min_nonzero_ = value;
  if (value > max_) max_ = value;
}

void HdrHistogram::record_corrected(std::int64_t value, std::int64_t expected_interval) noexcept {
  record(value);
  if (expected_interval <= 0 || value <= expected_interval) return;
  for (std::int64_t missing = value - expected_interval; missing >= expected_interval;
       missing -= expected_interval) {
    record(missing);
  }
}

void HdrHistogram::merge(const HdrHistogram& other) {
  if (other.lowest_ != lowest_ || other.highest_ != highest_ || other.digits_ != digits_) {
    throw std::invalid_argument("histogram: cannot merge histograms with different layouts");
  }
  if (!other.counts_.empty()) {
    allocate_counts();
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  }
  total_count_ += other.total_count_;
  clamped_ += other.clamped_;
  min_nonzero_ = std::min(min_nonzero_, other.min_nonzero_);
  max_ = std::max(max_, other.max_);
}

void HdrHistogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_count_ = 0;
  clamped_ = 0;
  min_nonzero_ = INT64_MAX;
  max_ = 0;
}

std::int64_t HdrHistogram::min() const noexcept {
  if (total_count_ == 0) return 0;
  if (counts_[0] > 0) return 0;
  return lowest_equivalent(min_nonzero_);
}

std::int64_t HdrHistogram::max() const noexcept {
  if (total_count_ == 0) return 0;
  return highest_equivalent(max_);
}

double HdrHistogram::mean() const noexcept {
  if (total_count_ == 0) return 0.0;
  double sum = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) {
      sum += static_cast<double>(median_equivalent(value_from_index(i))) *
             static_cast<double>(counts_[i]);
    }
  }
  return sum / static_cast<double>(total_count_);
}

double HdrHistogram::stddev() const noexcept {
  if (total_count_ == 0) return 0.0;
  const double m = mean();
  double geometric_dev_total = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) {
      const double dev = static_cast<double>(median_equivalent(value_from_index(i))) - m;
      geometric_dev_total += dev * dev * static_cast<double>(counts_[i]);
    }
  }
  return std::sqrt(geometric_dev_total / static_cast<double>(total_count_));
}

std::int64_t HdrHistogram::value_at_percentile(double percentile) const noexcept {
  if (total_count_ == 0) return 0;
  const double requested = std::clamp(percentile, 0.0, 100.0);
  auto count_at_percentile = std::llround((requested / 100.0) * static_cast<double>(total_count_));
  count_at_percentile = std::max<std::int64_t>(count_at_percentile, 1);
  std::int64_t running = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    running += counts_[i];
    if (running >= count_at_percentile) {
      const std::int64_t value = value_from_index(i);
      return requested == 0.0 ? lowest_equivalent(value) : highest_equivalent(value);
    }
  }
  return 0;
}

std::int64_t HdrHistogram::count_at_value(std::int64_t value) const noexcept {
  if (counts_.empty()) return 0;
  value = std::clamp<std::int64_t>(value, 0, highest_);
  return counts_[counts_index(value)];
}

std::size_t HdrHistogram::memory_bytes() const noexcept {
  return sizeof(*this) + counts_.capacity() * sizeof(std::int64_t);
}

nlohmann::json HdrHistogram::to_json() const {
  nlohmann::json counts = nlohmann::json::array();
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) counts.push_back({i, counts_[i]});
  }
  return {{"lowest", lowest_},     {"highest", highest_},        {"digits", digits_},
          {"total", total_count_}, {"clamped", clamped_},        {"min", min()},
          {"max", max()},          {"counts", std::move(counts)}};
}

HdrHistogram HdrHistogram::from_json(const nlohmann::json& json) {
  auto integer_field = [&](const char* name) -> std::int64_t {
    if (!json.is_object() || !json.contains(name) || !json.at(name).is_number_integer()) {
      throw std::invalid_argument(std::string("histogram: field '") + name +
                                  "' must be an integer");
    }
    return json.at(name).get<std::int64_t>();
  };
  HdrHistogram h(integer_field("lowest"), integer_field("highest"),
                 static_cast<int>(integer_field("digits")));
  const auto& counts = json.contains("counts") ? json.at("counts") : nlohmann::json();
  if (!counts.is_array()) throw std::invalid_argument("histogram: 'counts' must be an array");
  for (const auto& pair : counts) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_unsigned() ||
        !pair[1].is_number_integer() || pair[1].get<std::int64_t>() < 0) {
      throw std::invalid_argument("histogram: each count must be [index, non-negative count]");
    }
    const auto index = pair[0].get<std::size_t>();
    if (index >= h.counts_length_) {
      throw std::invalid_argument("histogram: count index " + std::to_string(index) +
                                  " out of range");
    }
    const std::int64_t count = pair[1].get<std::int64_t>();
    if (count == 0) continue;
    h.allocate_counts();
    h.counts_[index] += count;
    h.total_count_ += count;
    const std::int64_t value = h.value_from_index(index);
    if (value != 0) h.min_nonzero_ = std::min(h.min_nonzero_, value);
    h.max_ = std::max(h.max_, value);
  }
  if (json.contains("clamped") && json.at("clamped").is_number_integer()) {
    h.clamped_ = json.at("clamped").get<std::int64_t>();
  }
  if (json.contains("total") && json.at("total").is_number_integer() &&
      json.at("total").get<std::int64_t>() != h.total_count_) {
    throw std::invalid_argument("histogram: 'total' does not match the sum of counts");
  }
  return h;
}

bool operator==(const HdrHistogram& a, const HdrHistogram& b) noexcept {
  if (a.lowest_ != b.lowest_ || a.highest_ != b.highest_ || a.digits_ != b.digits_ ||
      a.total_count_ != b.total_count_) {
    return false;
  }
  // Counts are never negative, so a histogram without counts equals one whose total is 0.
  if (a.counts_.empty() || b.counts_.empty()) return a.total_count_ == 0;
  return a.counts_ == b.counts_;
}

}  // namespace loadlab::core
