// CrashLoopBackOff arithmetic (pure; tested with ManualClock time points).
#include "lab/restart_backoff.hpp"

#include <algorithm>

namespace loadlab::lab {

core::TimePoint RestartBackoff::schedule_restart(core::TimePoint started, core::TimePoint died) {
  if (delay_.count() == 0 || died - started >= settings_.reset_after) {
    delay_ = settings_.initial;
  } else {
    delay_ = std::min(delay_ * 2, settings_.cap);
  }
  return died + delay_;
}

}  // namespace loadlab::lab
