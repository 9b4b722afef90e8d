// How a protected call ended, as reported back to the breaker and the adaptive limiter.
#pragma once

#include <cstdint>

namespace loadlab::protect {

// `ignored` ends a call without a verdict (the caller gave up for its own reasons, e.g. its
// deadline had passed before the call started): nothing is recorded, reserved slots return.
enum class CallOutcome : std::uint8_t { success, failure, ignored };

}  // namespace loadlab::protect
