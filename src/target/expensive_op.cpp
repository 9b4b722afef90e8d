// Seed 002's routes: the async adapter around WorkQueue.
#include "target/expensive_op.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "http/router.hpp"
#include "http/server_state.hpp"
#include "metrics/registry.hpp"
#include "protect/rejection.hpp"
#include "target/sleep.hpp"

namespace loadlab::target {

// A queued request waiting for a worker; woken through the (thread-safe) channel.
struct ExpensiveOpRoutes::Waiter {
  explicit Waiter(const boost::asio::any_io_executor& executor) : wake(executor, 1) {}
  boost::asio::experimental::concurrent_channel<void(boost::system::error_code)> wake;
  bool started = false;  // under the routes' mutex
};

ExpensiveOpRoutes::ExpensiveOpRoutes(QueueRule rule, std::chrono::milliseconds task_duration,
                                     core::Clock& clock, metrics::Registry& registry,
                                     http::ServerState& server_state)
    : task_duration_(task_duration),
      server_state_(server_state),
      ratio_gauge_(registry
                       .gauge("queue_ratio",
                              "Tasks waiting for an /expensive-op worker divided by CONCURRENCY")
                       .with({})),
      running_gauge_(
          registry.gauge("expensive_op_running", "Tasks an /expensive-op worker is running")
              .with({})),
      waiting_gauge_(
          registry.gauge("expensive_op_waiting", "Tasks waiting for an /expensive-op worker")
              .with({})),
      queue_(rule, clock) {}

ExpensiveOpRoutes::~ExpensiveOpRoutes() {
  stop();
}

void ExpensiveOpRoutes::register_routes(http::Router& router) {
  router.get("/expensive-op",
             [this](http::RequestContext& context) { return expensive_op(context); });
  router.get("/readiness", [this](http::RequestContext& context) { return readiness(context); });
}

void ExpensiveOpRoutes::publish_locked() {
  ratio_gauge_.set(queue_.ratio());
  running_gauge_.set(queue_.running());
  waiting_gauge_.set(static_cast<double>(queue_.waiting()));
}

void ExpensiveOpRoutes::stop() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  for (auto& [id, waiter] : waiters_) waiter->wake.try_send(boost::system::error_code{});
}

boost::asio::awaitable<http::Response> ExpensiveOpRoutes::expensive_op(
    http::RequestContext& context) {
  const unsigned version = context.request.version();
  std::shared_ptr<Waiter> waiter;
  QueueTicket ticket;
  {
    std::lock_guard lock(mutex_);
    ticket = stopping_ ? QueueTicket{} : queue_.arrive();
    if (ticket.admission == Admission::queued) {
      waiter = std::make_shared<Waiter>(context.executor);
      waiters_.emplace(ticket.id, waiter);
    }
    publish_locked();
  }
  if (ticket.admission == Admission::rejected) {
    http::Response refused =
        http::error_response(http::Status::service_unavailable,
                             {{"error", "queue full: expensive operation rejected"},
                              {"queue_ratio", ratio_gauge_.value()}},
                             version);
    // An overload refusal: a worker frees up within one task, so a retry then may be admitted.
    refused.set("Retry-After", std::to_string(protect::retry_after_for(task_duration_).count()));
    co_return refused;
  }
  if (waiter) {
    co_await waiter->wake.async_receive(boost::asio::as_tuple(boost::asio::use_awaitable));
    std::lock_guard lock(mutex_);
    waiters_.erase(ticket.id);
    if (!waiter->started) {
      queue_.abandon(ticket.id);
      publish_locked();
      co_return http::error_response(http::Status::service_unavailable,
                                     "shutting down: expensive operation not started", version);
    }
  }

  co_await sleep_for(context.executor, task_duration_);

  core::Duration in_system{};
  {
    std::lock_guard lock(mutex_);
    in_system = queue_.age(ticket.id).value_or(core::Duration::zero());
    if (const auto next = queue_.finish(ticket.id)) {
      const auto found = waiters_.find(*next);
      if (found != waiters_.end()) {
        found->second->started = true;
        found->second->wake.try_send(boost::system::error_code{});
      }
    }
    publish_locked();
  }
  co_return http::json_response(
      http::Status::ok,
      {{"durationMs", std::chrono::duration_cast<std::chrono::milliseconds>(in_system).count()}},
      version);
}

boost::asio::awaitable<http::Response> ExpensiveOpRoutes::readiness(http::RequestContext& context) {
  const unsigned version = context.request.version();
  if (server_state_.draining()) {
    co_return http::error_response(http::Status::service_unavailable,
                                   {{"status", "draining"}, {"error", "server is draining"}},
                                   version);
  }
  double ratio = 0;
  bool ready = false;
  {
    std::lock_guard lock(mutex_);
    ratio = queue_.ratio();
    ready = queue_.ready();
  }
  if (!ready) {
    co_return http::error_response(
        http::Status::too_many_requests,
        {{"status", "overloaded"}, {"error", "queue too deep"}, {"queue_ratio", ratio}}, version);
  }
  co_return http::json_response(http::Status::ok, {{"status", "ready"}, {"queue_ratio", ratio}},
                                version);
}

}  // namespace loadlab::target
