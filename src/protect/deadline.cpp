// Parsing of X-Request-Timeout-Ms and construction of request deadlines.
#include "protect/deadline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace loadlab::protect {

namespace {
std::int64_t to_ms(core::Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}
}  // namespace

std::string validate(const DeadlineConfig& config) {
  if (config.min_timeout <= core::Duration::zero()) return "min_timeout_ms must be > 0";
  if (config.max_timeout < config.min_timeout) return "max_timeout_ms must be >= min_timeout_ms";
  if (config.default_timeout < config.min_timeout || config.default_timeout > config.max_timeout) {
    return "request_timeout_ms must be within [min_timeout_ms, max_timeout_ms]";
  }
  if (config.connect_timeout <= core::Duration::zero()) return "connect_timeout_ms must be > 0";
  if (config.read_timeout <= core::Duration::zero()) return "read_timeout_ms must be > 0";
  if (config.pool_acquire_timeout <= core::Duration::zero()) {
    return "pool_acquire_timeout_ms must be > 0";
  }
  return {};
}

core::Expected<core::Duration, std::string> parse_request_timeout(std::string_view header_value,
                                                                  const DeadlineConfig& config) {
  const auto range_error = [&] {
    return fmt::format("X-Request-Timeout-Ms must be an integer in {}..{}",
                       to_ms(config.min_timeout), to_ms(config.max_timeout));
  };
  while (!header_value.empty() && (header_value.front() == ' ' || header_value.front() == '\t')) {
    header_value.remove_prefix(1);
  }
  while (!header_value.empty() && (header_value.back() == ' ' || header_value.back() == '\t')) {
    header_value.remove_suffix(1);
  }
  if (header_value.empty() || header_value.size() > 12 || header_value.front() == '-' ||
      header_value.front() == '+') {
    return core::unexpected(range_error());
  }
  std::int64_t ms = 0;
  const auto* end = header_value.data() + header_value.size();
  auto [ptr, ec] = std::from_chars(header_value.data(), end, ms);
  if (ec != std::errc{} || ptr != end) return core::unexpected(range_error());
  const core::Duration timeout = std::chrono::milliseconds{ms};
  if (timeout < config.min_timeout || timeout > config.max_timeout) {
    return core::unexpected(range_error());
  }
  return timeout;
}

core::Expected<Deadline, std::string> request_deadline(core::TimePoint received_at,
                                                       std::optional<std::string_view> header,
                                                       const DeadlineConfig& config) {
  if (!header) return Deadline{received_at + config.default_timeout};
  auto timeout = parse_request_timeout(*header, config);
  if (!timeout) return core::unexpected(std::move(timeout).error());
  return Deadline{received_at + *timeout};
}

std::int64_t propagated_timeout_ms(const Deadline& deadline, core::TimePoint now) noexcept {
  return std::max<std::int64_t>(1, to_ms(deadline.remaining(now)));
}

}  // namespace loadlab::protect
