// The live line's coarse latency buckets and its formatting.
#include "load/engine/live_stats.hpp"

#include <gtest/gtest.h>

#include "load/engine/engine.hpp"

namespace loadlab::load::engine {
namespace {

TEST(LiveStats, BucketsBoundTheirValues) {
  for (std::int64_t us : {0, 1, 7, 8, 15, 16, 17, 100, 999, 1000, 123456, 10'000'000}) {
    const int bucket = LiveStats::bucket_of(us);
    EXPECT_GE(LiveStats::bucket_upper(bucket), us) << us;
    if (bucket > 0) {
      EXPECT_LT(LiveStats::bucket_upper(bucket - 1), us) << us;
    }
    // Buckets are at most 1/8 of their value wide.
    EXPECT_LE(LiveStats::bucket_upper(bucket) - us, us / 8 + 1) << us;
  }
}

TEST(LiveStats, PercentileOfTheLastInterval) {
  LiveStats stats;
  for (int i = 0; i < 100; ++i) stats.record(1000, false);
  const auto before = stats.snapshot();
  for (int i = 0; i < 98; ++i) stats.record(100, false);
  stats.record(50'000, true);
  stats.record(50'000, true);
  const auto after = stats.snapshot();
  EXPECT_EQ(after.requests - before.requests, 100);
  EXPECT_EQ(after.failed, 2);
  EXPECT_LE(after.percentile_since(before, 50), 103);
  EXPECT_GE(after.percentile_since(before, 99), 50'000);
  EXPECT_EQ(before.percentile_since(before, 99), 0);
}

TEST(LiveStats, ProgressLine) {
  Progress progress;
  progress.elapsed = std::chrono::seconds{12};
  progress.planned = std::chrono::seconds{30};
  progress.vus = 50;
  progress.vus_max = 50;
  progress.requests_per_second = 4210.4;
  progress.p99_latency_us = 12'300;
  progress.requests = 50'000;
  progress.failed = 3;
  const auto line = format_progress(progress);
  EXPECT_NE(line.find("12s/30s"), std::string::npos) << line;
  EXPECT_NE(line.find("vus 50/50"), std::string::npos) << line;
  EXPECT_NE(line.find("4210 req/s"), std::string::npos) << line;
  EXPECT_NE(line.find("errors 3"), std::string::npos) << line;
}

}  // namespace
}  // namespace loadlab::load::engine
