// Per-request deadlines: the default or X-Request-Timeout-Ms, and what remains of it for each step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/expected.hpp"

namespace loadlab::protect {

struct DeadlineConfig {
  core::Duration default_timeout = std::chrono::seconds{30};
  core::Duration min_timeout = std::chrono::milliseconds{1};
  core::Duration max_timeout = std::chrono::minutes{5};
  core::Duration connect_timeout = std::chrono::seconds{1};       // downstream connect
  core::Duration read_timeout = std::chrono::seconds{10};         // downstream response
  core::Duration pool_acquire_timeout = std::chrono::seconds{1};  // database pool
  bool operator==(const DeadlineConfig&) const = default;
};
std::string validate(const DeadlineConfig& config);

// A point in time after which the request's work is pointless. A value type: copy it freely.
class Deadline {
 public:
  explicit Deadline(core::TimePoint at) noexcept : at_(at) {}
  static Deadline after(const core::Clock& clock, core::Duration timeout) noexcept {
    return Deadline{clock.now() + timeout};
  }

  [[nodiscard]] core::TimePoint at() const noexcept { return at_; }
  // Zero once passed, never negative.
  [[nodiscard]] core::Duration remaining(core::TimePoint now) const noexcept {
    return at_ > now ? at_ - now : core::Duration::zero();
  }
  [[nodiscard]] core::Duration remaining(const core::Clock& clock) const noexcept {
    return remaining(clock.now());
  }
  // True from the deadline itself on: work is started only while !expired().
  [[nodiscard]] bool expired(core::TimePoint now) const noexcept { return now >= at_; }
  [[nodiscard]] bool expired(const core::Clock& clock) const noexcept {
    return expired(clock.now());
  }
  // The timeout for one step: its own limit, cut to what the request has left.
  [[nodiscard]] core::Duration budget_for(core::Duration step_timeout,
                                          core::TimePoint now) const noexcept {
    const auto left = remaining(now);
    return step_timeout < left ? step_timeout : left;
  }

 private:
  core::TimePoint at_;
};

// Parses an X-Request-Timeout-Ms value: decimal digits only, within [min_timeout, max_timeout].
// The error names the header and the range (the caller answers 422 with it).
core::Expected<core::Duration, std::string> parse_request_timeout(std::string_view header_value,
                                                                  const DeadlineConfig& config);

// The request's deadline from its arrival time and the optional header value.
core::Expected<Deadline, std::string> request_deadline(core::TimePoint received_at,
                                                       std::optional<std::string_view> header,
                                                       const DeadlineConfig& config);

// The X-Request-Timeout-Ms an outbound call sent at `now` carries: what remains of the deadline
// in whole milliseconds, rounded down (the callee must not count on more than the caller has),
// but at least 1, the smallest value the header accepts.
std::int64_t propagated_timeout_ms(const Deadline& deadline, core::TimePoint now) noexcept;

}  // namespace loadlab::protect
