// `--shard i/n` parsing and exact splits.
#include "load/shard.hpp"

#include <gtest/gtest.h>

namespace loadlab::load {
namespace {

TEST(Shard, ParsesOneBasedIndexOverCount) {
  auto shard = parse_shard("2/4");
  ASSERT_TRUE(shard.has_value());
  EXPECT_EQ(shard->index, 2);
  EXPECT_EQ(shard->count, 4);
  EXPECT_EQ(shard->to_string(), "2/4");
  EXPECT_TRUE(parse_shard("1/1")->whole());
}

TEST(Shard, RejectsBadInputWithAReason) {
  EXPECT_NE(parse_shard("3").error().find("expected i/n"), std::string::npos);
  EXPECT_NE(parse_shard("a/2").error().find("two integers"), std::string::npos);
  EXPECT_NE(parse_shard("0/2").error().find("numbered from 1"), std::string::npos);
  EXPECT_NE(parse_shard("3/2").error().find("between 1 and n"), std::string::npos);
  EXPECT_NE(parse_shard("1/0").error().find("n must be"), std::string::npos);
  EXPECT_FALSE(parse_shard("1/2x").has_value());
}

TEST(Shard, SplitCountsAddUpExactly) {
  for (std::int64_t total : {0, 1, 2, 7, 100, 999, 1'000'003}) {
    for (std::int64_t n : {1, 2, 3, 7, 16}) {
      std::int64_t sum = 0, low = INT64_MAX, high = 0;
      for (std::int64_t i = 1; i <= n; ++i) {
        const auto part = split_count(total, Shard{i, n});
        sum += part;
        low = std::min(low, part);
        high = std::max(high, part);
      }
      EXPECT_EQ(sum, total) << total << "/" << n;
      EXPECT_LE(high - low, 1);
    }
  }
}

TEST(Shard, InterleavedIndicesPartitionTheIterations) {
  for (std::int64_t count : {0, 1, 5, 10, 11, 1001}) {
    std::int64_t sum = 0;
    for (std::int64_t i = 1; i <= 3; ++i) sum += interleaved_count(count, Shard{i, 3});
    EXPECT_EQ(sum, count);
  }
  EXPECT_EQ(global_index(0, Shard{2, 3}), 1);
  EXPECT_EQ(global_index(4, Shard{3, 3}), 14);
}

}  // namespace
}  // namespace loadlab::load
