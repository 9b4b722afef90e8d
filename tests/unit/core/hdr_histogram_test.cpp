// HdrHistogram layout, percentiles and merge, checked against HdrHistogram's published facts.
#include "core/hdr_histogram.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace loadlab::core {
namespace {

TEST(HdrHistogram, EquivalentRangeMatchesHdrHistogramLayoutAt3Digits) {
  const HdrHistogram h(1, 3'600'000'000, 3);
  // Published fact: with 3 significant digits, 1,000,000 shares its bucket with 999,936..1,000,447.
  EXPECT_EQ(h.lowest_equivalent(1'000'000), 999'936);
  EXPECT_EQ(h.highest_equivalent(1'000'000), 1'000'447);
  EXPECT_EQ(h.size_of_equivalent_range(1'000'000), 512);
  EXPECT_EQ(h.lowest_equivalent(999'936), 999'936);
  EXPECT_EQ(h.lowest_equivalent(999'935), 999'424);
  EXPECT_EQ(h.lowest_equivalent(1'000'448), 1'000'448);
  // Below 2048 every integer is its own bucket.
  EXPECT_EQ(h.size_of_equivalent_range(2047), 1);
  EXPECT_EQ(h.size_of_equivalent_range(2048), 2);
  EXPECT_EQ(h.highest_equivalent(10'007), 10'007);  // 10007 in [8192,16384): range 8
  EXPECT_EQ(h.lowest_equivalent(10'007), 10'000);
}

TEST(HdrHistogram, RelativeErrorBoundedAcrossRange) {
  const HdrHistogram h;
  for (std::int64_t v = 1; v <= 3'600'000'000; v = v * 3 + 7) {
    // Values sharing a bucket differ by at most range - 1: that is the recording error.
    const double spread = static_cast<double>(h.size_of_equivalent_range(v) - 1);
    EXPECT_LE(spread / static_cast<double>(v), 1e-3) << v;
    EXPECT_LE(h.lowest_equivalent(v), v);
    EXPECT_GE(h.highest_equivalent(v), v);
  }
}

TEST(HdrHistogram, PercentilesFollowHdrDefinition) {
  HdrHistogram h(1, 3'600'000'000, 3);
  for (int i = 1; i <= 10'000; ++i) h.record(i);
  EXPECT_EQ(h.total_count(), 10'000);
  EXPECT_EQ(h.value_at_percentile(50), 5'003);  // 5000 is in [4096,8192), range 4: 5000..5003
  EXPECT_EQ(h.value_at_percentile(99), 9'903);
  EXPECT_EQ(h.value_at_percentile(100), 10'007);
  EXPECT_EQ(h.value_at_percentile(0), 1);
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.max(), 10'007);
  EXPECT_NEAR(h.mean(), 5000.5, 5000.5 * 1e-3);
}

TEST(HdrHistogram, ClassicCoordinatedOmissionExample) {
  // HdrHistogram's README example: 10,000 values of 1 ms then one 100 s stall.
  HdrHistogram raw(1, 3'600'000'000, 3);
  HdrHistogram corrected(1, 3'600'000'000, 3);
  for (int i = 0; i < 10'000; ++i) {
    raw.record(1'000);
    corrected.record_corrected(1'000, 10'000);
  }
  raw.record(100'000'000);
  corrected.record_corrected(100'000'000, 10'000);
  EXPECT_EQ(raw.total_count(), 10'001);
  EXPECT_EQ(corrected.total_count(), 20'000);
  EXPECT_EQ(raw.value_at_percentile(99), 1'000);
  EXPECT_GT(corrected.value_at_percentile(99), 90'000'000);
  EXPECT_NEAR(static_cast<double>(corrected.value_at_percentile(75)), 50'000'000.0, 50'000.0);
}

TEST(HdrHistogram, MergeEqualsOneHistogramOfAllValues) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(8.0, 2.0);
  HdrHistogram all;
  HdrHistogram a;
  HdrHistogram b;
  for (int i = 0; i < 50'000; ++i) {
    const auto v = static_cast<std::int64_t>(dist(rng));
    all.record(v);
    (i % 3 == 0 ? a : b).record(v);
  }
  a.merge(b);
  EXPECT_EQ(a, all);
  for (double p : {50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(a.value_at_percentile(p), all.value_at_percentile(p)) << p;
  }
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
}

TEST(HdrHistogram, MergeRejectsDifferentLayouts) {
  HdrHistogram a(1, 1'000'000, 3);
  const HdrHistogram b(1, 1'000'000, 2);
  EXPECT_THROW(a.merge(b), std::invalid_argument);
}

TEST(HdrHistogram, ClampsAboveHighestAndCountsIt) {
  HdrHistogram h(1, 1'000'000, 3);
  h.record(5'000'000);
  EXPECT_EQ(h.total_count(), 1);
  EXPECT_EQ(h.clamped(), 1);
  EXPECT_EQ(h.lowest_equivalent(h.max()), h.lowest_equivalent(1'000'000));
}

TEST(HdrHistogram, JsonRoundTripIsExact) {
  HdrHistogram h;
  for (int i = 0; i < 1000; ++i) h.record(i * i + 3, 1 + i % 4);
  const HdrHistogram back = HdrHistogram::from_json(h.to_json());
  EXPECT_EQ(back, h);
  EXPECT_EQ(back.value_at_percentile(99.9), h.value_at_percentile(99.9));
  EXPECT_EQ(back.min(), h.min());
  EXPECT_EQ(back.max(), h.max());
}

TEST(HdrHistogram, FromJsonRejectsMalformedInput) {
  EXPECT_THROW(HdrHistogram::from_json(nlohmann::json::parse(R"({"lowest":1})")),
               std::invalid_argument);
  EXPECT_THROW(HdrHistogram::from_json(nlohmann::json::parse(
                   R"({"lowest":1,"highest":1000,"digits":3,"counts":[[999999,1]]})")),
               std::invalid_argument);
  EXPECT_THROW(HdrHistogram::from_json(nlohmann::json::parse(
                   R"({"lowest":1,"highest":1000,"digits":3,"counts":[[1,-1]]})")),
               std::invalid_argument);
  EXPECT_THROW(HdrHistogram::from_json(nlohmann::json::parse(
                   R"({"lowest":1,"highest":1000,"digits":3,"total":5,"counts":[[1,1]]})")),
               std::invalid_argument);
  EXPECT_THROW(HdrHistogram(0, 100, 3), std::invalid_argument);
  EXPECT_THROW(HdrHistogram(1, 100, 6), std::invalid_argument);
}

TEST(HdrHistogram, MemoryIsConstantAndBounded) {
  HdrHistogram h;
  h.record(1);
  const auto before = h.memory_bytes();
  for (int i = 0; i < 100'000; ++i) h.record(i * 17);
  EXPECT_EQ(h.memory_bytes(), before);
  EXPECT_LT(before, 256u * 1024u);
}

TEST(HdrHistogram, CountsAreAllocatedByTheFirstValueOnly) {
  HdrHistogram empty;
  EXPECT_LT(empty.memory_bytes(), 1024u);
  EXPECT_EQ(empty.count_at_value(5), 0);
  EXPECT_TRUE(empty.to_json().at("counts").empty());

  // Merging nothing into nothing allocates nothing; a value merged in does.
  HdrHistogram target;
  target.merge(empty);
  EXPECT_LT(target.memory_bytes(), 1024u);
  HdrHistogram one;
  one.record(700);
  target.merge(one);
  EXPECT_GT(target.memory_bytes(), 64u * 1024u);
  EXPECT_EQ(target.count_at_value(700), 1);
  EXPECT_EQ(target, one);

  // An allocated histogram emptied again equals one that never held a value, both ways.
  one.reset();
  EXPECT_EQ(one, empty);
  EXPECT_EQ(empty, one);
  EXPECT_NE(target, empty);
  EXPECT_EQ(HdrHistogram::from_json(empty.to_json()), empty);
  EXPECT_EQ(HdrHistogram::from_json(target.to_json()), target);
  // The index bound holds before any allocation.
  auto json = empty.to_json();
  json["counts"] = nlohmann::json::array({nlohmann::json::array({1'000'000, 1})});
  json["total"] = 1;
  EXPECT_THROW(HdrHistogram::from_json(json), std::invalid_argument);
}

TEST(HdrHistogram, EmptyHistogramReportsZeros) {
  const HdrHistogram h;
  EXPECT_EQ(h.total_count(), 0);
  EXPECT_EQ(h.value_at_percentile(99), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0.0);
}

}  // namespace
}  // namespace loadlab::core
