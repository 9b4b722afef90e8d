// What the recorder tests share: a run start and a plan's names with two scenarios.
#pragma once

#include <chrono>
#include <vector>

#include "load/metrics_data.hpp"

namespace loadlab::load::testing {

inline const core::TimePoint kRunStart{std::chrono::seconds{1000}};

// Scenario "cpu" with requests "fib" and "hash"; scenario "io" with request "slow".
inline std::vector<ScenarioNames> two_scenarios() {
  return {{"cpu", {{"fib", "GET"}, {"hash", "GET"}}}, {"io", {{"slow", "GET"}}}};
}

}  // namespace loadlab::load::testing
