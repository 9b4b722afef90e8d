// Memory admission against retained memory, in-flight reservations and the observed RSS.
#include "protect/memory_admission.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "metrics/registry.hpp"

namespace loadlab::protect {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;

MemoryAdmissionConfig hundred_mib() {
  MemoryAdmissionConfig config;
  config.limit_bytes = 100 * kMiB;  // budget 80 MiB
  return config;
}

TEST(MemoryAdmission, BudgetIsEightyPercentOfTheLimit) {
  metrics::Registry registry;
  MemoryAdmission admission(hundred_mib(), registry);
  EXPECT_EQ(admission.budget_bytes(), 80 * kMiB);
}

TEST(MemoryAdmission, ReservationsUpToExactlyTheBudgetPass) {
  metrics::Registry registry;
  MemoryAdmission admission(hundred_mib(), registry);
  auto first = admission.try_reserve(50 * kMiB);
  ASSERT_TRUE(first);
  auto too_much = admission.try_reserve(30 * kMiB + 1);
  ASSERT_FALSE(too_much);
  EXPECT_EQ(too_much.error().reason, RejectReason::memory_budget);
  EXPECT_EQ(too_much.error().status(), 503);
  auto exact = admission.try_reserve(30 * kMiB);
  ASSERT_TRUE(exact);
  EXPECT_EQ(admission.reserved_bytes(), 80 * kMiB);
  EXPECT_FALSE(admission.try_reserve(1));
  first->release();
  EXPECT_TRUE(admission.try_reserve(50 * kMiB));
  EXPECT_EQ(registry.counter("load_shed_total", "", {"reason"}).with({"memory_budget"}).value(), 2);
}

TEST(MemoryAdmission, RetainedMemoryStaysCountedUntilReleased) {
  metrics::Registry registry;
  MemoryAdmission admission(hundred_mib(), registry);
  {
    auto leak = admission.try_reserve(60 * kMiB);
    ASSERT_TRUE(leak);
    leak->retain();
  }
  EXPECT_EQ(admission.retained_bytes(), 60 * kMiB);
  EXPECT_EQ(admission.reserved_bytes(), 0u);
  EXPECT_FALSE(admission.try_reserve(21 * kMiB));
  EXPECT_TRUE(admission.try_reserve(20 * kMiB));
  admission.release_retained(60 * kMiB);
  EXPECT_TRUE(admission.try_reserve(80 * kMiB));
  admission.release_retained(kMiB);  // never below zero
  EXPECT_EQ(admission.retained_bytes(), 0u);
}

TEST(MemoryAdmission, ObservedRssRaisesTheBaseline) {
  metrics::Registry registry;
  MemoryAdmission admission(hundred_mib(), registry);
  admission.set_retained(10 * kMiB);
  admission.set_observed_rss(70 * kMiB);
  EXPECT_FALSE(admission.try_reserve(11 * kMiB));
  EXPECT_TRUE(admission.try_reserve(10 * kMiB));
  admission.set_observed_rss(0);
  EXPECT_TRUE(admission.try_reserve(60 * kMiB));
}

TEST(MemoryAdmission, HugeRequestsDoNotOverflow) {
  metrics::Registry registry;
  MemoryAdmission admission(hundred_mib(), registry);
  auto small = admission.try_reserve(kMiB);
  ASSERT_TRUE(small);
  EXPECT_FALSE(admission.try_reserve(std::numeric_limits<std::uint64_t>::max()));
  admission.set_observed_rss(std::numeric_limits<std::uint64_t>::max());
  EXPECT_FALSE(admission.try_reserve(1));
}

}  // namespace
}  // namespace loadlab::protect
