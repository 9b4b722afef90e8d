// The fallback where no cgroup is writable: CPU affinity (set by the child before exec), a
// duty-cycle throttle (SIGSTOP/SIGCONT, like CFS quota periods) and an RSS watchdog that kills
// with SIGKILL at the memory limit, as the kernel's OOM killer would.
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include "lab/resource_limits.hpp"

namespace loadlab::lab {
namespace {

constexpr auto kPeriod = std::chrono::milliseconds(100);
constexpr auto kWatchStep = std::chrono::milliseconds(10);

std::uint64_t resident_bytes(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  std::uint64_t size_pages = 0;
  std::uint64_t resident_pages = 0;
  statm >> size_pages >> resident_pages;
  return resident_pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

class FallbackConfinement final : public Confinement {
 public:
  explicit FallbackConfinement(const ResourceLimits& limits) : limits_(limits) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    CPU_ZERO(&cpus_);
    ::sched_getaffinity(0, sizeof(allowed), &allowed);
    const int wanted = std::max(1, static_cast<int>(std::ceil(limits.cpus)));
    for (int cpu = 0; cpu < CPU_SETSIZE && assigned_ < wanted; ++cpu) {
      if (CPU_ISSET(cpu, &allowed)) {
        CPU_SET(cpu, &cpus_);
        ++assigned_;
      }
    }
    running_fraction_ = std::min(1.0, limits.cpus / std::max(1, assigned_));
  }
  ~FallbackConfinement() override { child_stopped(); }

  void enter_from_child() const noexcept override { ::sched_setaffinity(0, sizeof(cpus_), &cpus_); }

  void child_started(pid_t pid) override {
    child_stopped();
    std::lock_guard lock(mutex_);
    stop_ = false;
    watcher_ = std::thread([this, pid] { watch(pid); });
  }

  void child_stopped() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (watcher_.joinable()) watcher_.join();
  }

  [[nodiscard]] std::uint64_t memory_kills() const override { return kills_.load(); }

 private:
  // Sleeps up to `length`, checking RSS every few ms; false once stopped or the child was killed.
  bool run_phase(pid_t pid, std::chrono::nanoseconds length) {
    const auto until = std::chrono::steady_clock::now() + length;
    std::unique_lock lock(mutex_);
    while (!stop_) {
      if (resident_bytes(pid) > limits_.memory_bytes) {
        ::kill(pid, SIGKILL);
        kills_.fetch_add(1);
        return false;
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= until) return true;
      wake_.wait_for(lock, std::min<std::chrono::nanoseconds>(kWatchStep, until - now));
    }
    return false;
  }

  void watch(pid_t pid) {
    const auto running =
        std::chrono::duration_cast<std::chrono::nanoseconds>(kPeriod * running_fraction_);
    const bool throttle = running_fraction_ < 0.999;
    while (true) {
      if (!run_phase(pid, throttle ? running : kPeriod)) break;
      if (!throttle) continue;
      ::kill(pid, SIGSTOP);
      const bool go_on = run_phase(pid, kPeriod - running);
      ::kill(pid, SIGCONT);
      if (!go_on) break;
    }
    ::kill(pid, SIGCONT);  // never leave a child stopped: SIGTERM must reach it
  }

  ResourceLimits limits_;
  cpu_set_t cpus_{};
  int assigned_ = 0;
  double running_fraction_ = 1.0;
  std::atomic<std::uint64_t> kills_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread watcher_;
};

class FallbackLimiter final : public ResourceLimiter {
 public:
  [[nodiscard]] LimitMechanism mechanism() const noexcept override {
    return LimitMechanism::fallback;
  }
  [[nodiscard]] std::string describe() const override {
    return "fallback (CPU affinity + SIGSTOP/SIGCONT duty cycle per 100 ms + RSS watchdog "
           "killing with SIGKILL at the limit)";
  }
  std::unique_ptr<Confinement> confine(const std::string&, const ResourceLimits& limits) override {
    return std::make_unique<FallbackConfinement>(limits);
  }
};

class NoConfinement final : public Confinement {
 public:
  void enter_from_child() const noexcept override {}
  void child_started(pid_t) override {}
  void child_stopped() override {}
  [[nodiscard]] std::uint64_t memory_kills() const override { return 0; }
};

class UnlimitedLimiter final : public ResourceLimiter {
 public:
  [[nodiscard]] LimitMechanism mechanism() const noexcept override { return LimitMechanism::none; }
  [[nodiscard]] std::string describe() const override { return "none (children run unlimited)"; }
  std::unique_ptr<Confinement> confine(const std::string&, const ResourceLimits&) override {
    return std::make_unique<NoConfinement>();
  }
};

}  // namespace

std::unique_ptr<ResourceLimiter> make_fallback_limiter() {
  return std::make_unique<FallbackLimiter>();
}
std::unique_ptr<ResourceLimiter> make_unlimited_limiter() {
  return std::make_unique<UnlimitedLimiter>();
}

std::string_view to_string(LimitMechanism mechanism) noexcept {
  switch (mechanism) {
    case LimitMechanism::cgroup_v2:
      return "cgroup-v2";
    case LimitMechanism::cgroup_v1:
      return "cgroup-v1";
    case LimitMechanism::fallback:
      return "fallback";
    case LimitMechanism::none:
      return "none";
  }
  return "none";
}

std::unique_ptr<ResourceLimiter> make_resource_limiter(LimiterChoice choice,
                                                       std::vector<std::string>& notes) {
  std::string why_not;
  switch (choice) {
    case LimiterChoice::none:
      return make_unlimited_limiter();
    case LimiterChoice::fallback:
      return make_fallback_limiter();
    case LimiterChoice::cgroup_v1:
    case LimiterChoice::cgroup_v2: {
      const auto version = choice == LimiterChoice::cgroup_v1 ? LimitMechanism::cgroup_v1
                                                              : LimitMechanism::cgroup_v2;
      auto limiter = make_cgroup_limiter(version, why_not);
      if (!limiter) notes.push_back(why_not);
      return limiter;
    }
    case LimiterChoice::automatic:
      break;
  }
  for (const auto version : {LimitMechanism::cgroup_v2, LimitMechanism::cgroup_v1}) {
    if (auto limiter = make_cgroup_limiter(version, why_not)) return limiter;
    notes.push_back(why_not);
  }
  return make_fallback_limiter();
}

}  // namespace loadlab::lab
