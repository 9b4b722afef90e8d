// Pure schedules of the executors: when each arrival-rate iteration is due, how many VUs a
// VU executor should run at a time t, and the iteration budgets. Times are offsets from the
// scenario's own start (its startTime excluded); all of it is deterministic and clock-free.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/clock.hpp"
#include "load/scenario.hpp"
#include "load/shard.hpp"

namespace loadlab::load {

// Open model (constant-arrival-rate, ramping-arrival-rate). The rate r(t) is piecewise linear
// (constant: `rate`; ramping: from startRate through the stages) in iterations per timeUnit;
// N(t) is its integral, the number of iterations the whole run should have started by t.
// Global iteration g (0-based) is due at the instant N starts to exceed g (inf{t : N(t) > g});
// iteration 0 is due when the rate first becomes positive. So exactly ceil(N(t)) iterations are
// due in [0, t), and a trailing zero-rate stage adds none: at
// 2.5/s the seconds get 3, 2, 3, 2, ... and ten seconds exactly 25. With a shard, this
// schedule yields only the shard's iterations (global g = local*n + i - 1), so n shard
// schedules together are exactly the whole one.
class ArrivalSchedule {
 public:
  // Throws std::invalid_argument when the scenario is not an arrival-rate one.
  explicit ArrivalSchedule(const Scenario& scenario, Shard shard = {});

  // When this shard's local iteration k (0-based) is due; nullopt at or after the end.
  [[nodiscard]] std::optional<core::Duration> due(std::int64_t k) const;
  // This shard's iterations due in [0, t).
  [[nodiscard]] std::int64_t count_before(core::Duration t) const;
  // This shard's iterations in the whole scenario (count_before(duration())).
  [[nodiscard]] std::int64_t total() const { return count_before(duration_); }
  // The whole run's rate at t, in iterations per second.
  [[nodiscard]] double rate_per_second(core::Duration t) const noexcept;
  [[nodiscard]] core::Duration duration() const noexcept { return duration_; }
  // The scheduled interval at t for one shard, for latency correction: n / rate (0 if rate 0).
  [[nodiscard]] core::Duration interval_at(core::Duration t) const noexcept;

 private:
  struct Segment {
    long double start_s;  // offset of the segment start, seconds
    long double length_s;
    long double rate0;   // iterations per second at the start
    long double rate1;   // at the end
    long double before;  // N at the segment start
  };
  [[nodiscard]] long double cumulative(long double t_s) const noexcept;  // N(t)
  [[nodiscard]] std::optional<core::Duration> global_due(std::int64_t g) const;
  [[nodiscard]] std::int64_t global_count_before(core::Duration t) const;

  std::vector<Segment> segments_;
  core::Duration duration_{0};
  Shard shard_;
};

// Closed model (constant-vus, ramping-vus, and the VU pools of the iteration executors).
// ramping-vus: VUs move linearly from startVUs through the stages; within a stage the count is
// start + trunc((target - start) * elapsed / length), k6's integer interpolation, and it equals
// the stage target at the stage's end. With a shard the slice is split_count(whole target), so
// the shards' VUs add up to the whole at every instant.
class VuSchedule {
 public:
  // Throws std::invalid_argument for arrival-rate scenarios (their VUs follow demand).
  explicit VuSchedule(const Scenario& scenario, Shard shard = {});

  // VUs that should be running iterations at offset t (0 at and after duration()).
  [[nodiscard]] std::int64_t target(core::Duration t) const noexcept;
  // VUs allowed to exist at t: VUs above target() may finish their current iteration while
  // within gracefulRampDown of the moment the target fell below them; VUs above hard_limit()
  // must be interrupted now. Equals max of target over [t - gracefulRampDown, t]; 0 at and after
  // duration(), where the scenario's gracefulStop governs instead.
  [[nodiscard]] std::int64_t hard_limit(core::Duration t) const noexcept;
  // The earliest offset after t at which target() changes; nullopt when it never does again.
  [[nodiscard]] std::optional<core::Duration> next_change(core::Duration t) const noexcept;
  // The most VUs this shard ever runs.
  [[nodiscard]] std::int64_t peak() const noexcept;
  [[nodiscard]] core::Duration duration() const noexcept { return duration_; }

 private:
  struct Segment {
    core::Duration start{0};
    core::Duration length{0};
    std::int64_t from = 0;
    std::int64_t to = 0;
  };
  [[nodiscard]] std::int64_t whole_target(core::Duration t) const noexcept;

  std::vector<Segment> segments_;
  core::Duration duration_{0};
  core::Duration graceful_ramp_down_{0};
  Shard shard_;
};

// Iteration budgets of per-vu-iterations and shared-iterations for one shard.
struct IterationBudget {
  std::int64_t vus = 0;                // VUs of this shard
  std::int64_t iterations_per_vu = 0;  // per-vu-iterations: each VU runs this many
  std::int64_t shared_total = 0;       // shared-iterations: this shard's VUs share this many
  core::Duration max_duration{0};
};
// Throws std::invalid_argument for other executors.
[[nodiscard]] IterationBudget iteration_budget(const Scenario& scenario, Shard shard = {});

// VU pool of an arrival-rate scenario for one shard: split preAllocatedVUs and maxVUs, each at
// least 1 when the shard has iterations to run.
struct VuPool {
  std::int64_t pre_allocated = 0;
  std::int64_t max = 0;
};
[[nodiscard]] VuPool arrival_vu_pool(const Scenario& scenario, Shard shard = {});

}  // namespace loadlab::load
