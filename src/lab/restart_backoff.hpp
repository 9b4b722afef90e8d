// Kubernetes-style CrashLoopBackOff: each quick death doubles the wait before the next start
// (0.5 s, 1 s, 2 s, ... up to a cap); a child that stayed up long enough starts afresh.
#pragma once

#include "core/clock.hpp"

namespace loadlab::lab {

struct BackoffSettings {
  core::Duration initial = std::chrono::milliseconds(500);
  core::Duration cap = std::chrono::seconds(8);
  // Uptime after which the next death counts as the first one again (Kubernetes: 10 minutes).
  core::Duration reset_after = std::chrono::seconds(20);
};

class RestartBackoff {
 public:
  explicit RestartBackoff(BackoffSettings settings = {}) : settings_(settings) {}

  // Called when a child that started at `started` died at `died`; returns when to start it again.
  core::TimePoint schedule_restart(core::TimePoint started, core::TimePoint died);
  [[nodiscard]] core::Duration current_delay() const noexcept { return delay_; }

 private:
  BackoffSettings settings_;
  core::Duration delay_{0};
};

}  // namespace loadlab::lab
