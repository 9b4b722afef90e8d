// Injectable monotonic time: protections, schedules and samplers take a Clock& so tests never
// sleep.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace loadlab::core {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual TimePoint now() const noexcept = 0;
};

// The real monotonic clock.
class SteadyClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const noexcept override {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
  }
  // One shared instance is fine: it has no state.
  static SteadyClock& instance() noexcept {
    static SteadyClock clock;
    return clock;
  }
};

// A clock that moves only when told to; safe to read from several threads.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{std::chrono::seconds{1'000'000}}) noexcept
      : ticks_(start.time_since_epoch().count()) {}

  [[nodiscard]] TimePoint now() const noexcept override {
    return TimePoint{Duration{ticks_.load(std::memory_order_acquire)}};
  }
  void advance(Duration by) noexcept { ticks_.fetch_add(by.count(), std::memory_order_acq_rel); }
  void set(TimePoint to) noexcept {
    ticks_.store(to.time_since_epoch().count(), std::memory_order_release);
  }

 private:
  std::atomic<std::int64_t> ticks_;
};

}  // namespace loadlab::core
