// Seed 004's simulated dependency routes, served by both roles: GET /upstream (waits ms, then
// 503 with probability fail_rate) and POST /work (spins the CPU for ms, then fails likewise).
#pragma once

#include <boost/asio/awaitable.hpp>

#include "http/message.hpp"

namespace loadlab::http {
class Router;
}

namespace loadlab::target {

class GuardedComputePool;
class RandomSource;

class SimulatedDependencyRoutes {
 public:
  SimulatedDependencyRoutes(RandomSource& random, GuardedComputePool* compute)
      : random_(random), compute_(compute) {}
  void register_upstream(http::Router& router);
  void register_work(http::Router& router);

  boost::asio::awaitable<http::Response> upstream(http::RequestContext& context);
  boost::asio::awaitable<http::Response> work(http::RequestContext& context);

 private:
  RandomSource& random_;
  // null: /work spins on the handler's own thread; else on the pool, behind the CPU queue
  // protection like the CPU routes (503 queue_full / queue_timeout, 504 past the deadline).
  GuardedComputePool* compute_;
};

// The priorities /client and /work accept (seed 004).
bool is_known_priority(std::string_view priority) noexcept;

}  // namespace loadlab::target
