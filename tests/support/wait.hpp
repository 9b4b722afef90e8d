// Test support: wait for a condition with a deadline instead of sleeping a fixed time.
#pragma once

#include <chrono>
#include <thread>

namespace loadlab::testing {

// Polls `condition` (every `poll`) until it holds (true) or `deadline` passes (false).
template <class Condition>
bool wait_until(Condition&& condition, std::chrono::milliseconds deadline,
                std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace loadlab::testing
