// The downstream role's fault injection at run time: the admin API (PUT/PATCH/GET/DELETE
// /admin/faults) and the wrapper that applies the current faults to every other route.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "http/message.hpp"
#include "target/faults.hpp"

namespace loadlab::http {
class Router;
}
namespace loadlab::metrics {
class Registry;
class Counter;
}  // namespace loadlab::metrics

namespace loadlab::target {

class AdminGuard;
class RandomSource;

// The marker header asking the session to reset the connection (http/message.hpp). The response
// is still a complete 502 with `Connection: close`, so it is a failure in every server.
using http::abort_connection_header;

// How long a blackholed request is held at most before its connection is dropped.
inline constexpr std::chrono::seconds blackhole_hold{120};

class FaultRoutes {
 public:
  FaultRoutes(FaultSettings& settings, RandomSource& random, const AdminGuard& guard,
              const std::atomic<bool>& stopping, metrics::Registry& registry);
  void register_admin_routes(http::Router& router);
  // The handler with the current faults applied in front of it.
  http::Handler wrap(http::Handler inner);

  boost::asio::awaitable<http::Response> get_faults(http::RequestContext& context);
  boost::asio::awaitable<http::Response> put_faults(http::RequestContext& context);
  boost::asio::awaitable<http::Response> patch_faults(http::RequestContext& context);
  boost::asio::awaitable<http::Response> delete_faults(http::RequestContext& context);
  boost::asio::awaitable<http::Response> serve(const http::Handler* inner,
                                               http::RequestContext& context);

  struct Counts {
    std::uint64_t delayed = 0, errors = 0, blackholed = 0, resets = 0;
  };
  [[nodiscard]] Counts counts() const noexcept;

 private:
  http::Response update(http::RequestContext& context, const Faults& base);

  FaultSettings& settings_;
  RandomSource& random_;
  const AdminGuard& guard_;
  const std::atomic<bool>& stopping_;
  metrics::Counter& delayed_;
  metrics::Counter& errors_;
  metrics::Counter& blackholed_;
  metrics::Counter& resets_;
};

// The response that asks the server to drop the connection (see abort_connection_header).
http::Response abort_connection_response(unsigned version);

}  // namespace loadlab::target
