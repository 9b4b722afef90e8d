// Adaptive concurrency limiter: the control law exactly, then a closed-loop simulation against a
// service with a hidden capacity (fake clock, discrete events, no threads).
#include "protect/adaptive_limiter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <queue>
#include <vector>

#include "metrics/registry.hpp"

namespace loadlab::protect {
namespace {

using namespace std::chrono_literals;

class AdaptiveLimiterTest : public ::testing::Test {
 protected:
  core::ManualClock clock;
  metrics::Registry registry;

  // Runs `count` requests of `rtt` each, `count` at a time.
  static void run_batch(AdaptiveLimiter& limiter, core::ManualClock& clock, int count,
                        core::Duration rtt) {
    std::vector<AdaptivePermit> permits;
    for (int i = 0; i < count; ++i) {
      auto permit = limiter.try_acquire();
      ASSERT_TRUE(permit) << "request " << i;
      permits.push_back(std::move(permit).value());
    }
    clock.advance(rtt);
    for (auto& permit : permits) permit.complete(CallOutcome::success);
  }
};

TEST_F(AdaptiveLimiterTest, StartsPinnedToTheMinimumWhileMeasuringMinRtt) {
  AdaptiveLimiter limiter(AdaptiveLimiterConfig{}, clock, registry);
  EXPECT_TRUE(limiter.measuring_min_rtt());
  EXPECT_EQ(limiter.admission_limit(), 3);
  std::vector<AdaptivePermit> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::move(limiter.try_acquire()).value());
  auto rejected = limiter.try_acquire();
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().reason, RejectReason::adaptive_limit);
  EXPECT_EQ(rejected.error().status(), 503);
  EXPECT_EQ(registry.counter("load_shed_total", "", {"reason"}).with({"adaptive_limit"}).value(),
            1);
}

TEST_F(AdaptiveLimiterTest, MinRttComesFromRequestsStartedDuringTheMeasurement) {
  AdaptiveLimiterConfig config;
  config.min_rtt_samples = 3;
  config.min_rtt_interval = 100ms;  // re-measure after every window
  AdaptiveLimiter limiter(config, clock, registry);
  run_batch(limiter, clock, 3, 10ms);
  EXPECT_FALSE(limiter.measuring_min_rtt());
  EXPECT_EQ(limiter.min_rtt(), 10ms);
  EXPECT_EQ(limiter.admission_limit(), 20);

  std::vector<AdaptivePermit> old;  // started before the next measurement
  for (int i = 0; i < 5; ++i) old.push_back(std::move(limiter.try_acquire()).value());
  {  // the limit binds once, so the next interval's end re-measures
    std::vector<AdaptivePermit> rest;
    while (auto permit = limiter.try_acquire()) rest.push_back(std::move(permit).value());
    for (auto& permit : rest) permit.complete(CallOutcome::ignored);
  }
  clock.advance(100ms);
  run_batch(limiter, clock, 1, 10ms);  // ends the window: a new measurement starts
  EXPECT_TRUE(limiter.measuring_min_rtt());
  EXPECT_EQ(limiter.admission_limit(), 3);
  clock.advance(500ms);
  for (auto& permit : old) permit.complete(CallOutcome::success);  // 610 ms, not measured
  EXPECT_TRUE(limiter.measuring_min_rtt());
  run_batch(limiter, clock, 3, 20ms);
  EXPECT_FALSE(limiter.measuring_min_rtt());
  EXPECT_EQ(limiter.min_rtt(), 20ms);
  EXPECT_DOUBLE_EQ(registry.gauge("adaptive_concurrency_min_rtt_seconds", "").with({}).value(),
                   0.020);
}

TEST_F(AdaptiveLimiterTest, ASlowRouteEndsTheMeasurementAfterTheMaxWait) {
  AdaptiveLimiterConfig config;  // 25 samples wanted, at most 1 s of waiting
  AdaptiveLimiter limiter(config, clock, registry);
  run_batch(limiter, clock, 2, 2s);  // fewer than min_limit completed: still measuring
  EXPECT_TRUE(limiter.measuring_min_rtt());
  run_batch(limiter, clock, 3, 2s);  // 5 samples, 4 s in: min_limit reached past the max wait
  EXPECT_FALSE(limiter.measuring_min_rtt());
  EXPECT_EQ(limiter.min_rtt(), 2s);
  EXPECT_EQ(limiter.admission_limit(), 20);
}

TEST_F(AdaptiveLimiterTest, AFastRouteStillCollectsAllItsSamples) {
  AdaptiveLimiterConfig config;
  AdaptiveLimiter limiter(config, clock, registry);
  for (int batch = 0; batch < 8; ++batch) run_batch(limiter, clock, 3, 10ms);  // 24 in 80 ms
  EXPECT_TRUE(limiter.measuring_min_rtt());
  run_batch(limiter, clock, 1, 10ms);
  EXPECT_FALSE(limiter.measuring_min_rtt());
}

TEST_F(AdaptiveLimiterTest, ReMeasuresOnlyWhenTheLimitHasBound) {
  AdaptiveLimiterConfig config;
  config.min_rtt_samples = 3;
  config.min_rtt_interval = 1s;
  AdaptiveLimiter limiter(config, clock, registry);
  run_batch(limiter, clock, 3, 10ms);
  ASSERT_FALSE(limiter.measuring_min_rtt());
  // 2 s of healthy traffic below the limit: the interval passes without a rejection.
  for (int window = 0; window < 20; ++window) {
    clock.advance(100ms);
    run_batch(limiter, clock, 5, 10ms);
  }
  EXPECT_FALSE(limiter.measuring_min_rtt());
  EXPECT_GE(limiter.admission_limit(), 20);
  // Now the limit binds once; the next interval's end starts a pinned measurement.
  std::vector<AdaptivePermit> held;
  while (auto permit = limiter.try_acquire()) held.push_back(std::move(permit).value());
  for (auto& permit : held) permit.complete(CallOutcome::ignored);
  for (int window = 0; window < 12 && !limiter.measuring_min_rtt(); ++window) {
    clock.advance(100ms);
    run_batch(limiter, clock, 1, 10ms);
  }
  EXPECT_TRUE(limiter.measuring_min_rtt());
  EXPECT_EQ(limiter.admission_limit(), 3);
}

TEST_F(AdaptiveLimiterTest, OneWindowFollowsTheGradientLawExactly) {
  AdaptiveLimiterConfig config;
  config.min_rtt_samples = 1;
  AdaptiveLimiter limiter(config, clock, registry);
  run_batch(limiter, clock, 1, 10ms);  // min RTT 10 ms; the window starts now
  ASSERT_EQ(limiter.min_rtt(), 10ms);
  clock.advance(80ms);
  run_batch(limiter, clock, 20, 20ms);  // completes at 100 ms: the window ends, p50 = 20 ms
  // gradient = 10 * 1.1 / 20 = 0.55; new = 20 * 0.55 + sqrt(20); limit = 20 + 0.5 * (new - 20)
  const double expected = 20 + 0.5 * (20 * 0.55 + std::sqrt(20.0) - 20);
  EXPECT_NEAR(limiter.limit(), expected, 1e-9);
  EXPECT_EQ(limiter.admission_limit(), static_cast<int>(expected));
  EXPECT_NEAR(registry.gauge("adaptive_concurrency_limit", "").with({}).value(), expected, 1e-9);
}

TEST_F(AdaptiveLimiterTest, TheLimitStaysWithinItsBounds) {
  AdaptiveLimiterConfig config;
  config.min_rtt_samples = 1;
  config.max_limit = 25;
  config.min_limit = 10;  // at gradient 0.5 the law alone would settle near 4 (0.5 L = sqrt L)
  config.min_rtt_interval = 1h;  // keep the first min RTT throughout
  AdaptiveLimiter limiter(config, clock, registry);
  run_batch(limiter, clock, 1, 10ms);
  for (int window = 0; window < 20; ++window) {
    clock.advance(100ms);
    run_batch(limiter, clock, 1, 1ms);  // faster than min RTT: gradient 2
  }
  EXPECT_EQ(limiter.limit(), 25);
  for (int window = 0; window < 20; ++window) {
    clock.advance(100ms);
    run_batch(limiter, clock, 1, 10s);  // far slower: gradient 0.5
  }
  EXPECT_EQ(limiter.limit(), 10);
}

// Closed-loop clients against a service with a hidden capacity: up to `capacity` requests in
// flight see the base latency; above it, queueing stretches latency to base * inflight / capacity
// (so throughput never exceeds capacity / base). Each client sends its next request as soon as the
// previous one completes, or 5 ms after a rejection; there are 3x more clients than capacity.
class HiddenCapacitySimulation {
 public:
  HiddenCapacitySimulation(AdaptiveLimiter& limiter, core::ManualClock& clock, int capacity,
                           int clients)
      : limiter_(limiter), clock_(clock), capacity_(capacity), permits_(clients) {
    for (int client = 0; client < clients; ++client) schedule(clock_.now(), client, false);
  }

  void set_capacity(int capacity) { capacity_ = capacity; }
  [[nodiscard]] std::uint64_t completions() const noexcept { return completions_; }

  void run_until(core::TimePoint end) {
    while (!events_.empty() && events_.top().at <= end) {
      const auto event = events_.top();
      events_.pop();
      clock_.set(event.at);
      if (event.completion) {
        --inflight_;
        ++completions_;
        permits_[event.client].complete(CallOutcome::success);
        schedule(event.at, event.client, false);
        continue;
      }
      auto permit = limiter_.try_acquire();
      if (!permit) {
        schedule(event.at + kRetryAfterRejection, event.client, false);
        continue;
      }
      ++inflight_;
      permits_[event.client] = std::move(permit).value();
      const double stretch = std::max(1.0, static_cast<double>(inflight_) / capacity_);
      const auto latency = core::Duration{
          static_cast<core::Duration::rep>(static_cast<double>(kBaseLatency.count()) * stretch)};
      schedule(event.at + latency, event.client, true);
    }
    clock_.set(end);
  }

  static constexpr core::Duration kBaseLatency = 10ms;
  static constexpr core::Duration kRetryAfterRejection = 5ms;

 private:
  struct Event {
    core::TimePoint at;
    std::uint64_t sequence;
    int client;
    bool completion;
    bool operator>(const Event& other) const {
      return at != other.at ? at > other.at : sequence > other.sequence;
    }
  };
  void schedule(core::TimePoint at, int client, bool completion) {
    events_.push(Event{at, next_sequence_++, client, completion});
  }

  AdaptiveLimiter& limiter_;
  core::ManualClock& clock_;
  int capacity_;
  int inflight_ = 0;
  std::uint64_t completions_ = 0;
  std::vector<AdaptivePermit> permits_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::uint64_t next_sequence_ = 0;
};

class AdaptiveLimiterSimulation : public ::testing::TestWithParam<int> {};

TEST_P(AdaptiveLimiterSimulation, FindsTheHiddenCapacityAndFollowsItsDrop) {
  const int capacity = GetParam();
  core::ManualClock clock;
  metrics::Registry registry;
  AdaptiveLimiterConfig config;  // library defaults: 100 ms windows, ...
  config.min_rtt_interval = 2s;  // ... but re-measure min RTT a few times here
  AdaptiveLimiter limiter(config, clock, registry);
  HiddenCapacitySimulation simulation(limiter, clock, capacity, 3 * capacity);

  const auto start = clock.now();
  const auto window = config.update_interval;
  std::vector<double> limits;  // the estimate at the end of each window
  std::uint64_t completed_at_30 = 0;
  std::uint64_t completed_at_60 = 0;
  for (int w = 1; w <= 90; ++w) {
    if (w == 61) simulation.set_capacity(capacity / 2);
    simulation.run_until(start + w * window);
    limits.push_back(limiter.limit());
    if (w == 30) completed_at_30 = simulation.completions();
    if (w == 60) completed_at_60 = simulation.completions();
  }

  std::string trace;
  for (double limit : limits) trace += std::to_string(static_cast<int>(limit)) + " ";
  RecordProperty("limits", trace);
  // Settled within 30 windows and stays there.
  for (int w = 30; w < 60; ++w) {
    EXPECT_GE(limits[w], 0.8 * capacity) << "window " << w + 1 << ": " << trace;
    EXPECT_LE(limits[w], 1.5 * capacity) << "window " << w + 1 << ": " << trace;
  }
  // Follows the drop to capacity / 2 within 10 windows.
  const double half = capacity / 2.0;
  for (int w = 70; w < 90; ++w) {
    EXPECT_GE(limits[w], 0.8 * half) << "window " << w + 1 << ": " << trace;
    EXPECT_LE(limits[w], 1.5 * half) << "window " << w + 1 << ": " << trace;
  }
  EXPECT_EQ(limiter.min_rtt(), HiddenCapacitySimulation::kBaseLatency);
  // Not by throttling the service: goodput over windows 31..60 stays near its capacity
  // (capacity / base latency per second), min RTT re-measurements included.
  const double seconds = 30 * std::chrono::duration<double>(window).count();
  const double goodput = static_cast<double>(completed_at_60 - completed_at_30) / seconds;
  const double capacity_per_second =
      capacity / std::chrono::duration<double>(HiddenCapacitySimulation::kBaseLatency).count();
  EXPECT_GE(goodput, 0.9 * capacity_per_second);
  RecordProperty("goodput_fraction", std::to_string(goodput / capacity_per_second));
}

INSTANTIATE_TEST_SUITE_P(HiddenCapacity, AdaptiveLimiterSimulation,
                         ::testing::Values(40, 100, 200));

}  // namespace
}  // namespace loadlab::protect
