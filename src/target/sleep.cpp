// Timer waits for the routes.
#include "target/sleep.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace loadlab::target {

boost::asio::awaitable<bool> sleep_for(boost::asio::any_io_executor executor,
                                       std::chrono::nanoseconds duration) {
  if (duration <= std::chrono::nanoseconds::zero()) co_return true;
  boost::asio::steady_timer timer(executor, duration);
  auto [error] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  co_return !error;
}

boost::asio::awaitable<bool> sleep_unless_stopped(boost::asio::any_io_executor executor,
                                                  std::chrono::nanoseconds duration,
                                                  const std::atomic<bool>& stopping,
                                                  std::chrono::nanoseconds slice) {
  auto remaining = duration;
  while (remaining > std::chrono::nanoseconds::zero()) {
    if (stopping.load(std::memory_order_acquire)) co_return false;
    const auto step = std::min(remaining, slice);
    if (!co_await sleep_for(executor, step)) co_return false;
    remaining -= step;
  }
  co_return !stopping.load(std::memory_order_acquire);
}

}  // namespace loadlab::target
