// Seed 002's routes over the work queue: /expensive-op (runs, waits or is shed with 503) and
// /readiness (429 while the queue is too deep, 503 while the server drains).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "http/message.hpp"
#include "target/queue.hpp"

namespace loadlab::http {
class Router;
class ServerState;
}  // namespace loadlab::http
namespace loadlab::metrics {
class Registry;
class Gauge;
}  // namespace loadlab::metrics

namespace loadlab::target {

class ExpensiveOpRoutes {
 public:
  ExpensiveOpRoutes(QueueRule rule, std::chrono::milliseconds task_duration, core::Clock& clock,
                    metrics::Registry& registry, http::ServerState& server_state);
  ~ExpensiveOpRoutes();
  void register_routes(http::Router& router);
  // Wakes every waiting task (they answer 503); new arrivals are refused.
  void stop();

  boost::asio::awaitable<http::Response> expensive_op(http::RequestContext& context);
  boost::asio::awaitable<http::Response> readiness(http::RequestContext& context);

 private:
  struct Waiter;
  void publish_locked();

  std::chrono::milliseconds task_duration_;
  http::ServerState& server_state_;
  metrics::Gauge& ratio_gauge_;
  metrics::Gauge& running_gauge_;
  metrics::Gauge& waiting_gauge_;
  std::mutex mutex_;
  WorkQueue queue_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Waiter>> waiters_;
  bool stopping_ = false;
};

}  // namespace loadlab::target
