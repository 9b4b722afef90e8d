// Fault settings: JSON parsing and validation (PUT replaces, PATCH merges) and the per-request
// decision with a seeded random source.
#include "target/faults.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "target/random_source.hpp"

namespace loadlab::target {
namespace {

TEST(ParseFaults, EveryFieldOptional) {
  auto parsed = parse_faults("{}", Faults{});
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, Faults{});
}

TEST(ParseFaults, ReadsAllFields) {
  auto parsed = parse_faults(
      R"({"latency_ms":3000,"jitter_ms":10,"error_rate":0.5,"blackhole":true,"reset_rate":0.25})",
      Faults{});
  ASSERT_TRUE(parsed);
  EXPECT_DOUBLE_EQ(parsed->latency_ms, 3000);
  EXPECT_DOUBLE_EQ(parsed->jitter_ms, 10);
  EXPECT_DOUBLE_EQ(parsed->error_rate, 0.5);
  EXPECT_TRUE(parsed->blackhole);
  EXPECT_DOUBLE_EQ(parsed->reset_rate, 0.25);
}

TEST(ParseFaults, MissingFieldsComeFromTheBase) {
  Faults base;
  base.latency_ms = 100;
  base.error_rate = 0.1;
  auto parsed = parse_faults(R"({"error_rate":0.9})", base);
  ASSERT_TRUE(parsed);
  EXPECT_DOUBLE_EQ(parsed->latency_ms, 100);
  EXPECT_DOUBLE_EQ(parsed->error_rate, 0.9);
}

TEST(ParseFaults, RejectsWrongTypes) {
  for (const char* body : {R"({"latency_ms":"3000"})", R"({"blackhole":1})",
                           R"({"error_rate":null})", R"({"reset_rate":[0.1]})"}) {
    auto parsed = parse_faults(body, Faults{});
    ASSERT_FALSE(parsed) << body;
    EXPECT_FALSE(parsed.error().field.empty()) << body;
    EXPECT_FALSE(parsed.error().malformed) << body;
  }
}

TEST(ParseFaults, RejectsOutOfRangeNamingTheField) {
  auto rate = parse_faults(R"({"error_rate":1.5})", Faults{});
  ASSERT_FALSE(rate);
  EXPECT_EQ(rate.error().field, "error_rate");
  auto latency = parse_faults(R"({"latency_ms":-1})", Faults{});
  ASSERT_FALSE(latency);
  EXPECT_EQ(latency.error().field, "latency_ms");
  auto huge = parse_faults(R"({"jitter_ms":1e9})", Faults{});
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().field, "jitter_ms");
}

TEST(ParseFaults, RejectsUnknownFields) {
  auto parsed = parse_faults(R"({"latency":100})", Faults{});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().field, "latency");
}

TEST(ParseFaults, MalformedOrNonObjectBodies) {
  auto garbage = parse_faults("{not json", Faults{});
  ASSERT_FALSE(garbage);
  EXPECT_TRUE(garbage.error().malformed);
  auto array = parse_faults("[1,2]", Faults{});
  ASSERT_FALSE(array);
  EXPECT_FALSE(array.error().malformed);
  EXPECT_FALSE(parse_faults("", Faults{}));
}

TEST(FaultsJson, RoundTrips) {
  Faults faults;
  faults.latency_ms = 20;
  faults.blackhole = true;
  auto again = parse_faults(to_json(faults).dump(), Faults{});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, faults);
  EXPECT_TRUE(validate(faults));
  faults.error_rate = 2;
  EXPECT_FALSE(validate(faults));
}

TEST(DecideFaults, NoFaultsPassWithoutDelay) {
  RandomSource random(1);
  const auto decision = decide_faults(Faults{}, random);
  EXPECT_EQ(decision.action, FaultAction::pass);
  EXPECT_EQ(decision.delay.count(), 0);
}

TEST(DecideFaults, CertainOutcomes) {
  RandomSource random(7);
  Faults reset;
  reset.reset_rate = 1;
  reset.blackhole = true;
  EXPECT_EQ(decide_faults(reset, random).action, FaultAction::reset);  // reset wins
  Faults hole;
  hole.blackhole = true;
  EXPECT_EQ(decide_faults(hole, random).action, FaultAction::blackhole);
  Faults error;
  error.error_rate = 1;
  error.latency_ms = 250;
  const auto decision = decide_faults(error, random);
  EXPECT_EQ(decision.action, FaultAction::error);
  EXPECT_EQ(decision.delay, std::chrono::milliseconds(250));
}

TEST(DecideFaults, JitterStaysWithinBoundsAndNeverNegative) {
  RandomSource random(42);
  Faults faults;
  faults.latency_ms = 100;
  faults.jitter_ms = 150;
  bool saw_zero = false;
  bool saw_above_latency = false;
  for (int i = 0; i < 2000; ++i) {
    const auto delay = decide_faults(faults, random).delay;
    EXPECT_GE(delay.count(), 0);
    EXPECT_LE(delay, std::chrono::milliseconds(250));
    if (delay.count() == 0) saw_zero = true;
    if (delay > std::chrono::milliseconds(100)) saw_above_latency = true;
  }
  EXPECT_TRUE(saw_zero);
  EXPECT_TRUE(saw_above_latency);
}

TEST(DecideFaults, ErrorRateIsApproximatelyHonoured) {
  RandomSource random(3);
  Faults faults;
  faults.error_rate = 0.3;
  int errors = 0;
  for (int i = 0; i < 10'000; ++i) {
    if (decide_faults(faults, random).action == FaultAction::error) ++errors;
  }
  EXPECT_NEAR(errors / 10'000.0, 0.3, 0.03);
}

TEST(RandomSource, SameSeedSameSequenceAndUnitRange) {
  RandomSource a(99);
  RandomSource b(99);
  for (int i = 0; i < 100; ++i) {
    const double value = a.unit();
    EXPECT_EQ(value, b.unit());
    EXPECT_GE(value, 0.0);
    EXPECT_LT(value, 1.0);
  }
  EXPECT_FALSE(a.chance(0.0));
  EXPECT_TRUE(a.chance(1.0));
}

}  // namespace
}  // namespace loadlab::target
