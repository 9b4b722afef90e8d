// The end-of-test summary printed on the terminal, in k6's layout: thresholds marked ✓/✗, then
// every metric with its dotted name column (trends: avg min med max p(90) p(95) p(99) in ms).
#pragma once

#include <string>

#include "load/result.hpp"

namespace loadlab::load {

struct SummaryStyle {
  bool color = false;  // ANSI green/red marks (only on a terminal)
};

[[nodiscard]] std::string summary_text(const RunResult& result, SummaryStyle style = {});

// "1.23ms", "456µs", "2.5s", "1m3s": k6's duration formatting of a value in milliseconds.
[[nodiscard]] std::string format_ms(double milliseconds);

}  // namespace loadlab::load
