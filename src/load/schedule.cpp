// Arrival times of the open-model executors, VU targets of the closed ones, iteration budgets.
#include "load/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace loadlab::load {

namespace {
// 128-bit intermediates keep VU and nanosecond products exact (GCC/Clang extension).
__extension__ using Wide = __int128;
}  // namespace

namespace {

long double seconds_of(core::Duration d) {
  return static_cast<long double>(d.count()) / 1e9L;
}

core::Duration from_seconds(long double s) {
  return core::Duration{static_cast<std::int64_t>(std::llround(s * 1e9L))};
}

// Global iteration numbers are tiny compared with long double's 64-bit mantissa, so the
// inversion below is exact to well under a nanosecond for any realistic run.

}  // namespace

// ---------------------------------------------------------------- ArrivalSchedule

ArrivalSchedule::ArrivalSchedule(const Scenario& scenario, Shard shard) : shard_(shard) {
  if (!is_arrival_rate(scenario.executor)) {
    throw std::invalid_argument("ArrivalSchedule needs an arrival-rate executor, got " +
                                std::string(to_string(scenario.executor)));
  }
  const long double unit = seconds_of(scenario.time_unit);
  if (unit <= 0) throw std::invalid_argument("timeUnit must be positive");
  long double start = 0;
  long double before = 0;
  auto add = [&](core::Duration length, double from_rate, double to_rate) {
    const long double len = seconds_of(length);
    if (len <= 0) return;
    Segment segment{start, len, from_rate / unit, to_rate / unit, before};
    before += (segment.rate0 + segment.rate1) / 2 * len;
    start += len;
    segments_.push_back(segment);
  };
  if (scenario.executor == Executor::constant_arrival_rate) {
    add(scenario.duration, scenario.rate, scenario.rate);
    duration_ = scenario.duration;
  } else {
    double previous = scenario.start_rate;
    for (const auto& stage : scenario.stages) {
      add(stage.duration, previous, stage.target);
      previous = stage.target;
      duration_ += stage.duration;
    }
  }
}

long double ArrivalSchedule::cumulative(long double t_s) const noexcept {
  long double total = 0;
  for (const auto& s : segments_) {
    if (t_s <= s.start_s) break;
    const long double x = std::min(t_s - s.start_s, s.length_s);
    total = s.before + s.rate0 * x + (s.rate1 - s.rate0) * x * x / (2 * s.length_s);
  }
  return total;
}

// When global iteration g is due, without the end-of-scenario cut (nullopt past the last one).
std::optional<core::Duration> ArrivalSchedule::global_due(std::int64_t g) const {
  if (g < 0) return std::nullopt;
  const auto target = static_cast<long double>(g);
  for (const auto& s : segments_) {
    const long double after = s.before + (s.rate0 + s.rate1) / 2 * s.length_s;
    if (after <= s.before || target >= after) continue;
    const long double x = target - s.before;  // iterations into this segment, >= 0
    if (x <= 0) return from_seconds(s.start_s);
    const long double slope2 = 2 * (s.rate1 - s.rate0) / s.length_s;
    const long double disc = std::max<long double>(0, s.rate0 * s.rate0 + slope2 * x);
    const long double root = std::sqrt(disc);
    // Stable form of the quadratic's positive root (also right for a constant rate).
    const long double t = (s.rate0 + root) > 0 ? 2 * x / (s.rate0 + root) : s.length_s;
    return from_seconds(s.start_s + std::min(t, s.length_s));
  }
  return std::nullopt;
}

std::int64_t ArrivalSchedule::global_count_before(core::Duration t) const {
  if (t.count() <= 0) return 0;
  t = std::min(t, duration_);
  auto before_t = [&](std::int64_t g) {
    const auto due = global_due(g);
    return due && *due < t;
  };
  // ceil(N(t)) is right up to rounding; settle the boundary with the exact due times.
  auto estimate = static_cast<std::int64_t>(std::ceil(cumulative(seconds_of(t))));
  while (estimate > 0 && !before_t(estimate - 1)) --estimate;
  while (before_t(estimate)) ++estimate;
  return estimate;
}

std::optional<core::Duration> ArrivalSchedule::due(std::int64_t k) const {
  if (k < 0) return std::nullopt;
  const auto due_time = global_due(global_index(k, shard_));
  if (!due_time || *due_time >= duration_) return std::nullopt;
  return due_time;
}

std::int64_t ArrivalSchedule::count_before(core::Duration t) const {
  return interleaved_count(global_count_before(t), shard_);
}

double ArrivalSchedule::rate_per_second(core::Duration t) const noexcept {
  const long double t_s = seconds_of(t);
  for (const auto& s : segments_) {
    if (t_s >= s.start_s && t_s < s.start_s + s.length_s) {
      return static_cast<double>(s.rate0 + (s.rate1 - s.rate0) * (t_s - s.start_s) / s.length_s);
    }
  }
  return 0;
}

core::Duration ArrivalSchedule::interval_at(core::Duration t) const noexcept {
  const double rate = rate_per_second(t);
  if (rate <= 0) return core::Duration{0};
  return from_seconds(static_cast<long double>(shard_.count) / rate);
}

// ---------------------------------------------------------------- VuSchedule

VuSchedule::VuSchedule(const Scenario& scenario, Shard shard)
    : graceful_ramp_down_(scenario.graceful_ramp_down), shard_(shard) {
  auto add = [&](core::Duration length, std::int64_t from, std::int64_t to) {
    if (length.count() <= 0) return;
    segments_.push_back(Segment{duration_, length, from, to});
    duration_ += length;
  };
  switch (scenario.executor) {
    case Executor::constant_vus:
      add(scenario.duration, scenario.vus, scenario.vus);
      graceful_ramp_down_ = core::Duration{0};
      break;
    case Executor::ramping_vus: {
      std::int64_t previous = scenario.start_vus;
      for (const auto& stage : scenario.stages) {
        const auto target = static_cast<std::int64_t>(stage.target);
        add(stage.duration, previous, target);
        previous = target;
      }
      break;
    }
    case Executor::per_vu_iterations:
    case Executor::shared_iterations:
      add(scenario.max_duration, scenario.vus, scenario.vus);
      graceful_ramp_down_ = core::Duration{0};
      break;
    default:
      throw std::invalid_argument("VuSchedule needs a VU executor, got " +
                                  std::string(to_string(scenario.executor)));
  }
}

std::int64_t VuSchedule::whole_target(core::Duration t) const noexcept {
  if (t.count() < 0 || t >= duration_) return 0;
  for (const auto& s : segments_) {
    if (t >= s.start + s.length) continue;
    const auto elapsed = static_cast<Wide>((t - s.start).count());
    const auto step = static_cast<Wide>(s.to - s.from) * elapsed / s.length.count();
    return s.from + static_cast<std::int64_t>(step);  // Wide division truncates toward 0
  }
  return 0;
}

std::int64_t VuSchedule::target(core::Duration t) const noexcept {
  return vu_share(whole_target(t), shard_);
}

std::int64_t VuSchedule::hard_limit(core::Duration t) const noexcept {
  if (t.count() < 0 || t >= duration_) return 0;
  const core::Duration window_start = std::max(core::Duration{0}, t - graceful_ramp_down_);
  std::int64_t peak = std::max(whole_target(window_start), whole_target(t));
  // The target is monotone inside a segment, so its maximum over the window is at the window
  // ends or at a segment end inside it (where it reaches that segment's `to`).
  for (const auto& s : segments_) {
    const core::Duration end = s.start + s.length;
    if (end > window_start && end <= t) peak = std::max(peak, s.to);
  }
  return vu_share(peak, shard_);
}

std::optional<core::Duration> VuSchedule::next_change(core::Duration t) const noexcept {
  if (t >= duration_) return std::nullopt;
  if (t.count() < 0) return core::Duration{0};
  const std::int64_t now = target(t);
  core::Duration probe = t;
  // Walk the instants where the whole target changes until this shard's slice does too.
  for (int guard = 0; guard < 1'000'000; ++guard) {
    core::Duration next = duration_;
    for (const auto& s : segments_) {
      const core::Duration end = s.start + s.length;
      if (probe >= end) continue;
      next = end;
      const std::int64_t span = s.to > s.from ? s.to - s.from : s.from - s.to;
      if (span > 0) {
        const auto elapsed = static_cast<Wide>((probe - s.start).count());
        const auto length = static_cast<Wide>(s.length.count());
        const Wide moved = static_cast<Wide>(span) * elapsed / length;
        const Wide at = ((moved + 1) * length + span - 1) / span;  // ceil
        if (at < length) next = s.start + core::Duration{static_cast<std::int64_t>(at)};
      }
      break;
    }
    if (next >= duration_) return duration_;  // drops to 0 at the end
    if (target(next) != now) return next;
    probe = next;
  }
  return std::nullopt;
}

std::int64_t VuSchedule::peak() const noexcept {
  std::int64_t peak = 0;
  for (const auto& s : segments_) peak = std::max({peak, s.from, s.to});
  return vu_share(peak, shard_);
}

// ---------------------------------------------------------------- budgets

IterationBudget iteration_budget(const Scenario& scenario, Shard shard) {
  IterationBudget budget;
  budget.max_duration = scenario.max_duration;
  budget.vus = vu_share(scenario.vus, shard);
  if (scenario.executor == Executor::per_vu_iterations) {
    budget.iterations_per_vu = scenario.iterations;
  } else if (scenario.executor == Executor::shared_iterations) {
    budget.shared_total = split_count(scenario.iterations, shard);
    // A shard with iterations but no VU of its own still needs one to run them.
    if (budget.shared_total > 0 && budget.vus == 0) budget.vus = 1;
  } else {
    throw std::invalid_argument("iteration_budget needs an iterations executor, got " +
                                std::string(to_string(scenario.executor)));
  }
  return budget;
}

VuPool arrival_vu_pool(const Scenario& scenario, Shard shard) {
  VuPool pool;
  const std::int64_t max = std::max(scenario.max_vus, scenario.pre_allocated_vus);
  pool.pre_allocated = std::max<std::int64_t>(1, vu_share(scenario.pre_allocated_vus, shard));
  pool.max = std::max(pool.pre_allocated, vu_share(max, shard));
  return pool;
}

}  // namespace loadlab::load
