// Parsing and printing of human durations as k6 and wrk write them: "30s", "1m30s", "500ms", "2h".
#pragma once

#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/expected.hpp"

namespace loadlab::core {

// Accepts a sequence of <number><unit> with units us|µs|ms|s|m|h (numbers may be fractional);
// a bare number is seconds. Negative, empty or unknown-unit input is an error with a message.
Expected<Duration, std::string> parse_duration(std::string_view text);

// Shortest exact form: 1500ms -> "1.5s", 90s -> "1m30s", 250us -> "250us".
std::string format_duration(Duration duration);

}  // namespace loadlab::core
