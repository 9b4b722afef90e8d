// Resource limits for lab children like a Kubernetes pod's (0.5 CPU, 512 MiB): cgroup v2, cgroup
// v1, or a fallback (CPU affinity + duty-cycle throttle + RSS watchdog) where neither is writable.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace loadlab::lab {

enum class LimitMechanism { cgroup_v2, cgroup_v1, fallback, none };
std::string_view to_string(LimitMechanism mechanism) noexcept;

struct ResourceLimits {
  double cpus = 0.5;                          // like `resources.limits.cpu: 500m`
  std::uint64_t memory_bytes = 512ull << 20;  // like `resources.limits.memory: 512Mi`
};

// One child's confinement; it outlives restarts of the child (like a pod's cgroup).
class Confinement {
 public:
  virtual ~Confinement() = default;
  // Runs in the child between fork and exec, so only async-signal-safe calls (open/write/syscalls).
  virtual void enter_from_child() const noexcept = 0;
  // Called by the parent once the child runs and once it has been reaped.
  virtual void child_started(pid_t pid) = 0;
  virtual void child_stopped() = 0;
  // Kills attributed to the memory limit so far (kernel OOM kills, or the watchdog's kills).
  [[nodiscard]] virtual std::uint64_t memory_kills() const = 0;
};

class ResourceLimiter {
 public:
  virtual ~ResourceLimiter() = default;
  [[nodiscard]] virtual LimitMechanism mechanism() const noexcept = 0;
  // One line for the report, e.g. "cgroup v1 (memory: /sys/fs/cgroup/memory/..., cpu: ...)".
  [[nodiscard]] virtual std::string describe() const = 0;
  // Throws std::runtime_error when the group cannot be created (a start-up error).
  virtual std::unique_ptr<Confinement> confine(const std::string& child_name,
                                               const ResourceLimits& limits) = 0;
};

enum class LimiterChoice { automatic, cgroup_v2, cgroup_v1, fallback, none };

// Picks the first mechanism that works on this machine (v2, then v1, then the fallback) unless
// told which one; `notes` collects why the better mechanisms were not used.
std::unique_ptr<ResourceLimiter> make_resource_limiter(LimiterChoice choice,
                                                       std::vector<std::string>& notes);

// Building blocks exposed for tests.
std::unique_ptr<ResourceLimiter> make_cgroup_limiter(LimitMechanism version, std::string& why_not);
std::unique_ptr<ResourceLimiter> make_fallback_limiter();
std::unique_ptr<ResourceLimiter> make_unlimited_limiter();

}  // namespace loadlab::lab
