// The downstream role's own routes (SPEC §2.3): the seed's slow dependency (/slow, /random,
// /sometimes-fail, /timeout-trap, /burst-error, /cascade) and /stats counting them.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

#include "http/message.hpp"

namespace loadlab::http {
class Router;
}

namespace loadlab::target {

class RandomSource;
class FaultRoutes;

class DownstreamRoutes {
 public:
  DownstreamRoutes(RandomSource& random, const std::atomic<bool>& stopping,
                   const FaultRoutes* faults);
  // `add` registers one GET route (the service wraps it with fault injection and counting).
  void register_routes(const std::function<void(std::string_view, http::Handler)>& add);

  boost::asio::awaitable<http::Response> slow(http::RequestContext& context);
  boost::asio::awaitable<http::Response> random(http::RequestContext& context);
  boost::asio::awaitable<http::Response> sometimes_fail(http::RequestContext& context);
  boost::asio::awaitable<http::Response> timeout_trap(http::RequestContext& context);
  boost::asio::awaitable<http::Response> burst_error(http::RequestContext& context);
  boost::asio::awaitable<http::Response> cascade(http::RequestContext& context);
  boost::asio::awaitable<http::Response> stats(http::RequestContext& context);

  // Counts one request of `route` (one of counted_routes, else ignored).
  void count(std::string_view route) noexcept;

  static constexpr std::array<std::string_view, 8> counted_routes{
      "/slow",        "/random",  "/sometimes-fail", "/timeout-trap",
      "/burst-error", "/cascade", "/upstream",       "/stats"};

 private:
  RandomSource& random_;
  const std::atomic<bool>& stopping_;
  const FaultRoutes* faults_;
  std::chrono::steady_clock::time_point started_;
  std::array<std::atomic<std::uint64_t>, counted_routes.size()> counts_{};
};

}  // namespace loadlab::target
