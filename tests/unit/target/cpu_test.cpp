// The pure CPU computations: Fibonacci values, the SHA-256 chain, the JSON round trip.
#include "target/cpu.hpp"

#include <gtest/gtest.h>

namespace loadlab::target {
namespace {

TEST(NaiveFibonacci, KnownValues) {
  EXPECT_EQ(naive_fibonacci(0), 0u);
  EXPECT_EQ(naive_fibonacci(1), 1u);
  EXPECT_EQ(naive_fibonacci(2), 1u);
  EXPECT_EQ(naive_fibonacci(10), 55u);
  EXPECT_EQ(naive_fibonacci(25), 75025u);
}

TEST(Sha256Chain, OneRoundIsPlainSha256) {
  EXPECT_EQ(sha256_chain("abc", 1),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Chain, LaterRoundsHashTheRawDigest) {
  // Reference values from Python's hashlib (digest of the previous digest's bytes).
  EXPECT_EQ(sha256_chain("loadlab", 2),
            "bb926e4d095980c2df02251bf86f7086f73b2630b6e74fa0b8b3e99ceeaca7cb");
  EXPECT_EQ(sha256_chain("loadlab", 3),
            "6ca18cc9e57f85e48cbb128f27f1a3dae51f6e4507ae4b8449f3920f41f4c6da");
  EXPECT_EQ(sha256_chain("loadlab", 1000),
            "b3f8fc0841e04465b0442071e73e4b5ee316bddfdb1ce7303731b2f946ff6aa7");
}

TEST(ProcessJson, RoundTripAggregates) {
  const JsonWorkSummary summary = process_json(10);
  EXPECT_EQ(summary.records, 10);
  EXPECT_EQ(summary.active_count, 5);  // even ids
  EXPECT_DOUBLE_EQ(summary.value_sum, 1.5 * 45);
  EXPECT_GT(summary.serialized_bytes, 10u * 40u);
}

TEST(ProcessJson, SingleRecord) {
  const JsonWorkSummary summary = process_json(1);
  EXPECT_EQ(summary.records, 1);
  EXPECT_EQ(summary.active_count, 1);
  EXPECT_DOUBLE_EQ(summary.value_sum, 0.0);
}

}  // namespace
}  // namespace loadlab::target
