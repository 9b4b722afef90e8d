// Capped exponential backoff with equal jitter, Retry-After and the deadline.
#include "protect/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace loadlab::protect {

std::string validate(const RetryConfig& config) {
  if (config.max_attempts < 1 || config.max_attempts > 10) return "max_attempts must be 1..10";
  if (config.base_delay <= core::Duration::zero()) return "base_delay_ms must be > 0";
  if (config.max_delay < config.base_delay) return "max_delay_ms must be >= base_delay_ms";
  if (!(config.multiplier >= 1.0 && config.multiplier <= 10.0)) return "multiplier must be 1..10";
  if (config.max_retry_after < core::Duration::zero()) return "max_retry_after_ms must be >= 0";
  return {};
}

std::optional<core::Duration> server_retry_after(unsigned status, std::string_view header_value) {
  if (status != 429 && status != 503) return std::nullopt;
  while (!header_value.empty() && (header_value.front() == ' ' || header_value.front() == '\t')) {
    header_value.remove_prefix(1);
  }
  while (!header_value.empty() && (header_value.back() == ' ' || header_value.back() == '\t')) {
    header_value.remove_suffix(1);
  }
  if (header_value.empty()) return std::nullopt;
  constexpr std::int64_t kMaxSeconds = 1'000'000'000;
  std::int64_t seconds = 0;
  for (const char c : header_value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = std::min(kMaxSeconds, seconds * 10 + (c - '0'));
  }
  return std::chrono::seconds{seconds};
}

RetryPolicy::RetryPolicy(const RetryConfig& config, UniformRandom random)
    : config_(config), random_(std::move(random)) {}

std::optional<core::Duration> RetryPolicy::next_delay(int attempts_made,
                                                      std::optional<core::Duration> retry_after,
                                                      core::TimePoint now,
                                                      core::TimePoint deadline) const {
  if (attempts_made < 1 || attempts_made >= config_.max_attempts) return std::nullopt;
  if (retry_after && *retry_after > config_.max_retry_after) return std::nullopt;

  const double exponential = static_cast<double>(config_.base_delay.count()) *
                             std::pow(config_.multiplier, attempts_made - 1);
  const double capped = std::min(exponential, static_cast<double>(config_.max_delay.count()));
  const double unit = std::clamp(random_(), 0.0, 1.0);
  auto wait = core::Duration{static_cast<core::Duration::rep>(capped / 2 + unit * capped / 2)};
  if (retry_after && *retry_after > wait) wait = *retry_after;

  if (now + wait >= deadline) return std::nullopt;
  return wait;
}

}  // namespace loadlab::protect
