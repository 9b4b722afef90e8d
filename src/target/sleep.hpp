// Waiting without holding a thread: a timer on the handler's executor; errors are values.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>

namespace loadlab::target {

// False when the wait was cancelled (shutdown or the server gave up on the request).
boost::asio::awaitable<bool> sleep_for(boost::asio::any_io_executor executor,
                                       std::chrono::nanoseconds duration);

// Like sleep_for, in slices of at most `slice`, ending early (false) once `stopping` is set:
// for the long waits (timeout trap, blackhole) that shutdown must not wait out.
boost::asio::awaitable<bool> sleep_unless_stopped(
    boost::asio::any_io_executor executor, std::chrono::nanoseconds duration,
    const std::atomic<bool>& stopping,
    std::chrono::nanoseconds slice = std::chrono::milliseconds(250));

// Seconds (fractional) as a timer duration.
constexpr std::chrono::nanoseconds seconds_to_duration(double seconds) noexcept {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(seconds * 1e9));
}

}  // namespace loadlab::target
