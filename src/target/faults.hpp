// Fault injection for the downstream role, in the spirit of toxiproxy: added latency and jitter,
// an error rate, blackhole (accept, never answer) and connection resets. Pure: parsing,
// validation and the per-request decision; the routes in fault_routes.hpp apply them.
#pragma once

#include <chrono>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace loadlab::target {

class RandomSource;

struct Faults {
  double latency_ms = 0;   // added before every answer
  double jitter_ms = 0;    // latency varies uniformly within +-jitter_ms (never below 0)
  double error_rate = 0;   // probability of a 503 instead of the route's answer
  bool blackhole = false;  // accept requests, never answer
  double reset_rate = 0;   // probability of closing the connection without an answer

  [[nodiscard]] bool any() const noexcept {
    return latency_ms > 0 || jitter_ms > 0 || error_rate > 0 || blackhole || reset_rate > 0;
  }
  friend bool operator==(const Faults&, const Faults&) = default;
};

inline constexpr double max_fault_latency_ms = 300'000;

struct FaultsError {
  std::string field;  // empty when the body as a whole is wrong
  std::string message;
  bool malformed = false;  // not JSON at all (400) rather than invalid values (422)
};

nlohmann::json to_json(const Faults& faults);
// Checks ranges of an already-built Faults (flags use this too).
core::Expected<Faults, FaultsError> validate(const Faults& faults);
// Parses a JSON object whose fields are all optional; a missing field takes its value from
// `base` (PATCH passes the current faults, PUT passes Faults{}). Unknown fields are errors.
core::Expected<Faults, FaultsError> parse_faults(std::string_view json_text, const Faults& base);

enum class FaultAction { pass, error, blackhole, reset };
struct FaultDecision {
  FaultAction action = FaultAction::pass;
  std::chrono::nanoseconds delay{0};  // applied before the route (or the injected error)
};
// One request's fate: reset first, then blackhole, then latency (+-jitter), then error.
FaultDecision decide_faults(const Faults& faults, RandomSource& random);

// The current faults, shared by all I/O threads; copied out per request.
class FaultSettings {
 public:
  explicit FaultSettings(Faults initial = {}) : faults_(initial) {}
  [[nodiscard]] Faults get() const {
    std::lock_guard lock(mutex_);
    return faults_;
  }
  void set(const Faults& faults) {
    std::lock_guard lock(mutex_);
    faults_ = faults;
  }

 private:
  mutable std::mutex mutex_;
  Faults faults_;
};

}  // namespace loadlab::target
