// Retry decisions for outbound calls: how long to wait before the next attempt, or not to retry.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace loadlab::protect {

struct RetryConfig {
  int max_attempts = 3;  // first attempt included
  core::Duration base_delay = std::chrono::milliseconds{100};
  core::Duration max_delay = std::chrono::seconds{2};
  double multiplier = 2.0;
  // Longest Retry-After the policy will honour; a longer one means "do not retry".
  core::Duration max_retry_after = std::chrono::seconds{30};
  bool operator==(const RetryConfig&) const = default;
};
std::string validate(const RetryConfig& config);

// The wait a server asked for before a retry: Retry-After in delta-seconds on a 429 or 503 answer
// (RFC 9110 §10.2.3). Nothing for any other status, an HTTP-date or a malformed value (the policy
// then uses its own backoff). Absurdly large values saturate at 10^9 s, still "too long".
std::optional<core::Duration> server_retry_after(unsigned status, std::string_view header_value);

// Uniform in [0, 1). Injected so tests and simulations are deterministic.
using UniformRandom = std::function<double()>;

// Pure and immutable after construction, so it may be shared by threads as long as the random
// source is (give each thread its own, or one guarded by the caller).
class RetryPolicy {
 public:
  RetryPolicy(const RetryConfig& config, UniformRandom random);

  // `attempts_made` attempts have failed (1 after the first). Returns the wait before the next
  // attempt, or nothing when it must not be retried: attempts exhausted, Retry-After beyond
  // max_retry_after, or the attempt would start at or after the deadline.
  // Wait = "equal jitter" of the capped exponential: d = min(max, base * multiplier^(n-1)),
  // wait uniform in [d/2, d); a Retry-After from the server raises the wait to at least that.
  // The caller must also spend from its RetryBudget before retrying.
  [[nodiscard]] std::optional<core::Duration> next_delay(int attempts_made,
                                                         std::optional<core::Duration> retry_after,
                                                         core::TimePoint now,
                                                         core::TimePoint deadline) const;

  [[nodiscard]] const RetryConfig& config() const noexcept { return config_; }

 private:
  RetryConfig config_;
  UniformRandom random_;
};

}  // namespace loadlab::protect
