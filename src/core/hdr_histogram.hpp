// HDR-style latency histogram: constant memory, bounded relative error, exact merge. The counts
// are allocated by the first value recorded (or merged in): a run keeps dozens of histograms,
// many of which never see a value (TLS handshakes on plain http, phases of failed requests), and
// zeroing ~190 KiB for each was most of the generator's start-up CPU time.
// Layout and percentile definition follow HdrHistogram (Gil Tene): values are integers in the
// caller's unit (loadlab records microseconds), sub-buckets of 2^k values per power of two.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <vector>

namespace loadlab::core {

class HdrHistogram {
 public:
  // Defaults: 1 µs .. 1 hour at 3 significant digits (~190 KiB of counts).
  static constexpr std::int64_t kDefaultLowest = 1;
  static constexpr std::int64_t kDefaultHighest = 3'600'000'000;
  static constexpr int kDefaultSignificantDigits = 3;

  HdrHistogram();
  // Throws std::invalid_argument on lowest < 1, highest < 2*lowest, digits outside 1..5.
  HdrHistogram(std::int64_t lowest, std::int64_t highest, int significant_digits);

  // Values above highest are clamped to highest (and counted in clamped()); below 0 to 0. The
  // first value allocates the counts; failing to is out of memory, which ends the process.
  void record(std::int64_t value, std::int64_t count = 1) noexcept;
  // wrk2/HdrHistogram's recordCorrectedValue: also records the values a stalled closed-loop
  // client would have seen, expected_interval apart (0 disables the correction).
  void record_corrected(std::int64_t value, std::int64_t expected_interval) noexcept;

  // Exact: every count of other is added; throws std::invalid_argument when layouts differ.
  void merge(const HdrHistogram& other);
  void reset() noexcept;

  [[nodiscard]] std::int64_t total_count() const noexcept { return total_count_; }
  [[nodiscard]] std::int64_t clamped() const noexcept { return clamped_; }
  [[nodiscard]] std::int64_t min() const noexcept;  // 0 when empty
  [[nodiscard]] std::int64_t max() const noexcept;  // 0 when empty; its bucket's top
  // The largest value recorded or merged in, exact (max() is its bucket's highest equivalent
  // value); after from_json it is the top of the highest bucket. 0 when empty.
  [[nodiscard]] std::int64_t max_recorded() const noexcept { return total_count_ == 0 ? 0 : max_; }
  [[nodiscard]] double mean() const noexcept;
  [[nodiscard]] double stddev() const noexcept;
  // HdrHistogram's getValueAtPercentile: the highest value equivalent to the value at the
  // smallest recorded position whose cumulative count reaches ceil(percentile/100 * total).
  [[nodiscard]] std::int64_t value_at_percentile(double percentile) const noexcept;
  [[nodiscard]] std::int64_t count_at_value(std::int64_t value) const noexcept;

  // Bucket geometry (public for tests and for exact serialisation).
  [[nodiscard]] std::int64_t lowest_equivalent(std::int64_t value) const noexcept;
  [[nodiscard]] std::int64_t highest_equivalent(std::int64_t value) const noexcept;
  [[nodiscard]] std::int64_t size_of_equivalent_range(std::int64_t value) const noexcept;
  [[nodiscard]] std::int64_t median_equivalent(std::int64_t value) const noexcept;

  [[nodiscard]] std::int64_t lowest_trackable() const noexcept { return lowest_; }
  [[nodiscard]] std::int64_t highest_trackable() const noexcept { return highest_; }
  [[nodiscard]] int significant_digits() const noexcept { return digits_; }
  // What the histogram holds now: its counts once a value came (constant from then on).
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  // Sparse, exact JSON form: {"lowest":1,"highest":..,"digits":3,"counts":[[index,count],...]}
  // plus total/min/max so a reader need not re-derive them. from_json validates everything and
  // throws std::invalid_argument with a message on malformed input.
  [[nodiscard]] nlohmann::json to_json() const;
  static HdrHistogram from_json(const nlohmann::json& json);

  // Visits non-empty buckets in value order: (highest equivalent value of bucket, count).
  template <class Visitor>
  void for_each_bucket(Visitor&& visit) const {
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i] != 0) visit(highest_equivalent(value_from_index(i)), counts_[i]);
    }
  }

  friend bool operator==(const HdrHistogram& a, const HdrHistogram& b) noexcept;

 private:
  [[nodiscard]] std::size_t counts_index(std::int64_t value) const noexcept;
  [[nodiscard]] std::int64_t value_from_index(std::size_t index) const noexcept;
  [[nodiscard]] int bucket_index(std::int64_t value) const noexcept;
  void allocate_counts();

  std::int64_t lowest_;
  std::int64_t highest_;
  int digits_;
  int unit_magnitude_ = 0;
  int sub_bucket_half_count_magnitude_ = 0;
  std::int64_t sub_bucket_count_ = 0;
  std::int64_t sub_bucket_half_count_ = 0;
  std::int64_t sub_bucket_mask_ = 0;
  int bucket_count_ = 0;
  std::size_t counts_length_ = 0;
  std::vector<std::int64_t> counts_;  // empty until the first value (counts_length_ after)
  std::int64_t total_count_ = 0;
  std::int64_t clamped_ = 0;
  std::int64_t min_nonzero_ = INT64_MAX;
  std::int64_t max_ = 0;
};

}  // namespace loadlab::core
