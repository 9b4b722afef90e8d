// Arrival times and VU targets of the executors, with exact counts.
#include "load/schedule.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace loadlab::load {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Scenario constant_rate(double rate, core::Duration duration, core::Duration unit = seconds{1}) {
  Scenario s;
  s.executor = Executor::constant_arrival_rate;
  s.rate = rate;
  s.duration = duration;
  s.time_unit = unit;
  s.pre_allocated_vus = 10;
  s.max_vus = 20;
  return s;
}

Scenario ramping_rate(double start, std::vector<Stage> stages) {
  Scenario s;
  s.executor = Executor::ramping_arrival_rate;
  s.start_rate = start;
  s.stages = std::move(stages);
  s.pre_allocated_vus = 5;
  return s;
}

std::vector<std::int64_t> per_second(const ArrivalSchedule& schedule, int seconds_count) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(seconds_count), 0);
  for (std::int64_t k = 0;; ++k) {
    auto due = schedule.due(k);
    if (!due) break;
    const auto second = std::chrono::duration_cast<seconds>(*due).count();
    if (second < seconds_count) ++counts[static_cast<std::size_t>(second)];
  }
  return counts;
}

TEST(ArrivalSchedule, FractionalConstantRateGivesExactCountsPerSecond) {
  ArrivalSchedule schedule(constant_rate(2.5, seconds{10}));
  EXPECT_EQ(per_second(schedule, 10), (std::vector<std::int64_t>{3, 2, 3, 2, 3, 2, 3, 2, 3, 2}));
  EXPECT_EQ(schedule.total(), 25);
  EXPECT_EQ(*schedule.due(0), core::Duration{0});
  EXPECT_EQ(*schedule.due(1), milliseconds{400});
  EXPECT_FALSE(schedule.due(25).has_value());
}

TEST(ArrivalSchedule, IntegralRateEndsExactlyAtTheDuration) {
  ArrivalSchedule schedule(constant_rate(2000, seconds{10}));
  EXPECT_EQ(schedule.total(), 20000);
  EXPECT_EQ(*schedule.due(19999), core::Duration{9'999'500'000});
  EXPECT_FALSE(schedule.due(20000).has_value());
  EXPECT_EQ(schedule.count_before(seconds{1}), 2000);
  EXPECT_EQ(schedule.count_before(seconds{1} + core::Duration{1}), 2001);
}

TEST(ArrivalSchedule, TimeUnitScalesTheRate) {
  // 30 per minute = one every two seconds.
  ArrivalSchedule schedule(constant_rate(30, seconds{10}, seconds{60}));
  EXPECT_EQ(schedule.total(), 5);
  EXPECT_EQ(*schedule.due(1), seconds{2});
  EXPECT_DOUBLE_EQ(schedule.rate_per_second(seconds{3}), 0.5);
}

TEST(ArrivalSchedule, OddFractionalRateKeepsTheTotalOverLongRuns) {
  ArrivalSchedule schedule(constant_rate(0.7, seconds{1000}));
  EXPECT_EQ(schedule.total(), 700);
  const auto counts = per_second(schedule, 1000);
  std::int64_t sum = 0;
  for (std::size_t s = 0; s < counts.size(); ++s) {
    sum += counts[s];
    // ceil(0.7 * (s+1)) iterations are due before the end of second s.
    EXPECT_EQ(sum, static_cast<std::int64_t>(std::ceil(0.7 * static_cast<double>(s + 1) - 1e-9)))
        << s;
  }
}

TEST(ArrivalSchedule, RampingRateFollowsTheIntegralOfTheRamp) {
  // 0 -> 10/s over 10 s: N(t) = t^2 / 2, so 50 iterations, ceil(N) due before each second.
  ArrivalSchedule schedule(ramping_rate(0, {{seconds{10}, 10}}));
  EXPECT_EQ(schedule.total(), 50);
  for (int s = 1; s <= 10; ++s) {
    EXPECT_EQ(schedule.count_before(seconds{s}),
              static_cast<std::int64_t>(std::ceil(s * s / 2.0 - 1e-9)))
        << s;
  }
  // Iteration 8 is due when t^2/2 = 8, at exactly 4 s.
  EXPECT_EQ(*schedule.due(8), seconds{4});
}

TEST(ArrivalSchedule, RampingThroughSeveralStagesAndDown) {
  // 10/s for 5 s (50), then 10 -> 0 over 10 s (50), then 0 for 5 s (0).
  ArrivalSchedule schedule(ramping_rate(10, {{seconds{5}, 10}, {seconds{10}, 0}, {seconds{5}, 0}}));
  EXPECT_EQ(schedule.duration(), seconds{20});
  EXPECT_EQ(schedule.total(), 100);
  EXPECT_EQ(schedule.count_before(seconds{5}), 50);
  std::optional<core::Duration> previous;
  for (std::int64_t k = 0; k < 100; ++k) {
    auto due = schedule.due(k);
    ASSERT_TRUE(due.has_value()) << k;
    if (previous) {
      EXPECT_GE(*due, *previous);
    }
    EXPECT_LT(*due, seconds{15});
    previous = due;
  }
  EXPECT_DOUBLE_EQ(schedule.rate_per_second(seconds{10}), 5);
}

TEST(ArrivalSchedule, ShardsTogetherAreTheWholeSchedule) {
  const Scenario scenario = ramping_rate(3, {{seconds{7}, 13.3}, {seconds{3}, 1}});
  ArrivalSchedule whole(scenario);
  std::vector<core::Duration> all;
  std::int64_t total = 0;
  for (std::int64_t i = 1; i <= 3; ++i) {
    ArrivalSchedule part(scenario, Shard{i, 3});
    total += part.total();
    for (std::int64_t k = 0; auto due = part.due(k); ++k) all.push_back(*due);
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(static_cast<std::int64_t>(all.size()), whole.total());
  EXPECT_EQ(total, whole.total());
  for (std::size_t k = 0; k < all.size(); ++k)
    EXPECT_EQ(all[k], *whole.due(static_cast<std::int64_t>(k)));
}

TEST(ArrivalSchedule, RejectsVuExecutors) {
  Scenario s;
  s.executor = Executor::constant_vus;
  EXPECT_THROW(ArrivalSchedule{s}, std::invalid_argument);
}

Scenario ramping_vus(std::int64_t start, std::vector<Stage> stages,
                     core::Duration ramp_down = seconds{30}) {
  Scenario s;
  s.executor = Executor::ramping_vus;
  s.start_vus = start;
  s.stages = std::move(stages);
  s.graceful_ramp_down = ramp_down;
  return s;
}

TEST(VuSchedule, InterpolatesStagesLinearlyLikeK6) {
  VuSchedule schedule(ramping_vus(0, {{seconds{10}, 10}, {seconds{5}, 10}, {seconds{10}, 0}}));
  EXPECT_EQ(schedule.target(core::Duration{0}), 0);
  EXPECT_EQ(schedule.target(milliseconds{999}), 0);
  EXPECT_EQ(schedule.target(seconds{1}), 1);
  EXPECT_EQ(schedule.target(milliseconds{5500}), 5);
  EXPECT_EQ(schedule.target(milliseconds{9999}), 9);
  EXPECT_EQ(schedule.target(seconds{10}), 10);
  EXPECT_EQ(schedule.target(seconds{14}), 10);
  // Ramp down truncates toward the stage's start value: 10 - trunc(2.5) = 8.
  EXPECT_EQ(schedule.target(milliseconds{17500}), 8);
  EXPECT_EQ(schedule.target(seconds{25}), 0);
  EXPECT_EQ(schedule.duration(), seconds{25});
  EXPECT_EQ(schedule.peak(), 10);
}

TEST(VuSchedule, HardLimitKeepsRampedDownVusForTheGracePeriod) {
  VuSchedule schedule(ramping_vus(10, {{seconds{10}, 0}, {seconds{20}, 0}}, seconds{3}));
  // At 5 s the target is 5, but VUs that were above it within the last 3 s may finish.
  EXPECT_EQ(schedule.target(seconds{5}), 5);
  EXPECT_EQ(schedule.hard_limit(seconds{5}), 8);
  EXPECT_EQ(schedule.hard_limit(seconds{2}), 10);
  EXPECT_EQ(schedule.hard_limit(seconds{15}), 0);
}

TEST(VuSchedule, NextChangeIsTheExactInstantOfTheNextStep) {
  VuSchedule schedule(ramping_vus(0, {{seconds{10}, 4}, {seconds{10}, 4}}));
  EXPECT_EQ(*schedule.next_change(core::Duration{0}), milliseconds{2500});
  EXPECT_EQ(*schedule.next_change(milliseconds{2500}), seconds{5});
  EXPECT_EQ(*schedule.next_change(seconds{9}), seconds{10});
  EXPECT_EQ(*schedule.next_change(seconds{10}), seconds{20});
  EXPECT_FALSE(schedule.next_change(seconds{20}).has_value());
}

TEST(VuSchedule, ShardedTargetsAddUpAtEveryInstant) {
  const Scenario scenario = ramping_vus(3, {{seconds{10}, 17}, {seconds{10}, 2}});
  VuSchedule whole(scenario);
  for (int ms = 0; ms < 20000; ms += 123) {
    std::int64_t sum = 0;
    for (std::int64_t i = 1; i <= 4; ++i)
      sum += VuSchedule(scenario, Shard{i, 4}).target(milliseconds{ms});
    EXPECT_EQ(sum, whole.target(milliseconds{ms})) << ms;
  }
}

TEST(VuSchedule, ConstantVusRunForTheDuration) {
  Scenario s;
  s.executor = Executor::constant_vus;
  s.vus = 50;
  s.duration = seconds{30};
  VuSchedule schedule(s);
  EXPECT_EQ(schedule.target(seconds{0}), 50);
  EXPECT_EQ(schedule.target(seconds{29}), 50);
  EXPECT_EQ(schedule.target(seconds{30}), 0);
  EXPECT_EQ(*schedule.next_change(seconds{1}), seconds{30});
}

TEST(IterationBudget, PerVuAndSharedIterationsSplitExactly) {
  Scenario s;
  s.executor = Executor::shared_iterations;
  s.vus = 5;
  s.iterations = 101;
  std::int64_t vus = 0, iterations = 0;
  for (std::int64_t i = 1; i <= 3; ++i) {
    const auto budget = iteration_budget(s, Shard{i, 3});
    vus += budget.vus;
    iterations += budget.shared_total;
  }
  EXPECT_EQ(vus, 5);
  EXPECT_EQ(iterations, 101);

  s.executor = Executor::per_vu_iterations;
  const auto budget = iteration_budget(s);
  EXPECT_EQ(budget.vus, 5);
  EXPECT_EQ(budget.iterations_per_vu, 101);
}

TEST(VuPool, ArrivalPoolsSplitAndKeepOneVu) {
  const Scenario s = constant_rate(10, seconds{1});
  const auto whole = arrival_vu_pool(s);
  EXPECT_EQ(whole.pre_allocated, 10);
  EXPECT_EQ(whole.max, 20);
  std::int64_t pre = 0, max = 0;
  for (std::int64_t i = 1; i <= 4; ++i) {
    pre += arrival_vu_pool(s, Shard{i, 4}).pre_allocated;
    max += arrival_vu_pool(s, Shard{i, 4}).max;
  }
  EXPECT_EQ(pre, 10);
  EXPECT_EQ(max, 20);
  EXPECT_EQ(arrival_vu_pool(s, Shard{1, 20}).pre_allocated, 1);
}

}  // namespace
}  // namespace loadlab::load
