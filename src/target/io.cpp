// Slow I/O routes.
#include "target/io.hpp"

#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "http/params.hpp"
#include "http/router.hpp"
#include "target/random_source.hpp"
#include "target/sleep.hpp"

namespace loadlab::target {

namespace {

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

http::Response cancelled(unsigned version) {
  return http::error_response(http::Status::service_unavailable, "wait cancelled: shutting down",
                              version);
}

}  // namespace

void IoRoutes::register_routes(http::Router& router) {
  router.get("/api/slow", [this](http::RequestContext& context) { return slow(context); });
  router.get("/api/random-delay",
             [this](http::RequestContext& context) { return random_delay(context); });
  router.get("/api/blocking", [this](http::RequestContext& context) { return blocking(context); });
  router.get("/api/parallel-io",
             [this](http::RequestContext& context) { return parallel_io(context); });
}

boost::asio::awaitable<http::Response> IoRoutes::slow(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto delay = http::parse_double_param(context.query, "delay", 5.0, 0.0, 30.0);
  if (!delay) co_return http::unprocessable(delay.error(), version);
  const auto started = std::chrono::steady_clock::now();
  if (!co_await sleep_for(context.executor, seconds_to_duration(*delay))) {
    co_return cancelled(version);
  }
  co_return http::json_response(
      http::Status::ok, {{"delay", *delay}, {"elapsed_ms", milliseconds_since(started)}}, version);
}

boost::asio::awaitable<http::Response> IoRoutes::random_delay(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const double delay = random_.uniform(0.5, 5.0);
  const auto started = std::chrono::steady_clock::now();
  if (!co_await sleep_for(context.executor, seconds_to_duration(delay))) {
    co_return cancelled(version);
  }
  co_return http::json_response(
      http::Status::ok, {{"delay", delay}, {"elapsed_ms", milliseconds_since(started)}}, version);
}

boost::asio::awaitable<http::Response> IoRoutes::blocking(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto duration = http::parse_double_param(context.query, "duration", 5.0, 0.0, 30.0);
  if (!duration) co_return http::unprocessable(duration.error(), version);
  const auto started = std::chrono::steady_clock::now();
  // The anti-pattern on purpose: this thread (an I/O thread or a worker) serves nothing else.
  std::this_thread::sleep_for(seconds_to_duration(*duration));
  co_return http::json_response(
      http::Status::ok,
      {{"duration", *duration}, {"elapsed_ms", milliseconds_since(started)}, {"blocked", true}},
      version);
}

boost::asio::awaitable<http::Response> IoRoutes::parallel_io(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto count = http::parse_int_param(context.query, "count", 5, 1, 20);
  if (!count) co_return http::unprocessable(count.error(), version);
  std::vector<std::unique_ptr<boost::asio::steady_timer>> timers;
  std::vector<double> waits;
  using WaitOp = decltype(timers.front()->async_wait(boost::asio::deferred));
  std::vector<WaitOp> operations;
  for (long long i = 0; i < *count; ++i) {
    const double wait = random_.uniform(0.5, 2.0);
    waits.push_back(wait);
    timers.push_back(
        std::make_unique<boost::asio::steady_timer>(context.executor, seconds_to_duration(wait)));
    operations.push_back(timers.back()->async_wait(boost::asio::deferred));
  }
  const auto started = std::chrono::steady_clock::now();
  auto [order, errors] =
      co_await boost::asio::experimental::make_parallel_group(std::move(operations))
          .async_wait(boost::asio::experimental::wait_for_all(), boost::asio::use_awaitable);
  for (const auto& error : errors) {
    if (error) co_return cancelled(version);
  }
  co_return http::json_response(
      http::Status::ok,
      {{"count", *count}, {"waits_seconds", waits}, {"elapsed_ms", milliseconds_since(started)}},
      version);
}

}  // namespace loadlab::target
