// The downstream role's own routes.
#include "target/downstream_routes.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "http/params.hpp"
#include "target/fault_routes.hpp"
#include "target/random_source.hpp"
#include "target/sleep.hpp"

namespace loadlab::target {

namespace {

constexpr std::chrono::seconds timeout_trap_wait{60};

http::Response cancelled(unsigned version) {
  return http::error_response(http::Status::service_unavailable, "wait cancelled: shutting down",
                              version);
}

}  // namespace

DownstreamRoutes::DownstreamRoutes(RandomSource& random, const std::atomic<bool>& stopping,
                                   const FaultRoutes* faults)
    : random_(random),
      stopping_(stopping),
      faults_(faults),
      started_(std::chrono::steady_clock::now()) {}

void DownstreamRoutes::register_routes(
    const std::function<void(std::string_view, http::Handler)>& add) {
  add("/slow", [this](http::RequestContext& context) { return slow(context); });
  add("/random", [this](http::RequestContext& context) { return random(context); });
  add("/sometimes-fail", [this](http::RequestContext& context) { return sometimes_fail(context); });
  add("/timeout-trap", [this](http::RequestContext& context) { return timeout_trap(context); });
  add("/burst-error", [this](http::RequestContext& context) { return burst_error(context); });
  add("/cascade", [this](http::RequestContext& context) { return cascade(context); });
  add("/stats", [this](http::RequestContext& context) { return stats(context); });
}

void DownstreamRoutes::count(std::string_view route) noexcept {
  for (std::size_t i = 0; i < counted_routes.size(); ++i) {
    if (counted_routes[i] == route) {
      counts_[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
}

boost::asio::awaitable<http::Response> DownstreamRoutes::slow(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto delay = http::parse_double_param(context.query, "delay", 3.0, 0.0, 60.0);
  if (!delay) co_return http::unprocessable(delay.error(), version);
  if (!co_await sleep_unless_stopped(context.executor, seconds_to_duration(*delay), stopping_)) {
    co_return cancelled(version);
  }
  co_return http::json_response(
      http::Status::ok,
      {{"message", fmt::format("slow response after {}s", *delay)}, {"delay", *delay}}, version);
}

boost::asio::awaitable<http::Response> DownstreamRoutes::random(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto min_delay = http::parse_double_param(context.query, "min_delay", 1.0, 0.0, 60.0);
  if (!min_delay) co_return http::unprocessable(min_delay.error(), version);
  const auto max_delay = http::parse_double_param(context.query, "max_delay", 10.0, 0.0, 60.0);
  if (!max_delay) co_return http::unprocessable(max_delay.error(), version);
  if (*max_delay < *min_delay) {
    co_return http::unprocessable(
        http::ParamError{"max_delay", fmt::format("must be at least min_delay ({})", *min_delay)},
        version);
  }
  const double delay = random_.uniform(*min_delay, *max_delay);
  if (!co_await sleep_unless_stopped(context.executor, seconds_to_duration(delay), stopping_)) {
    co_return cancelled(version);
  }
  co_return http::json_response(http::Status::ok, {{"delay", delay}}, version);
}

boost::asio::awaitable<http::Response> DownstreamRoutes::sometimes_fail(
    http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto failure_rate = http::parse_double_param(context.query, "failure_rate", 0.5, 0.0, 1.0);
  if (!failure_rate) co_return http::unprocessable(failure_rate.error(), version);
  const auto delay = http::parse_double_param(context.query, "delay", 2.0, 0.0, 60.0);
  if (!delay) co_return http::unprocessable(delay.error(), version);
  if (!co_await sleep_unless_stopped(context.executor, seconds_to_duration(*delay), stopping_)) {
    co_return cancelled(version);
  }
  if (random_.chance(*failure_rate)) {
    co_return http::error_response(
        http::Status::internal_server_error,
        {{"error", "random failure (simulated)"}, {"failure_rate", *failure_rate}}, version);
  }
  co_return http::json_response(http::Status::ok, {{"message", "success"}, {"delay", *delay}},
                                version);
}

boost::asio::awaitable<http::Response> DownstreamRoutes::timeout_trap(
    http::RequestContext& context) {
  const unsigned version = context.request.version();
  if (!co_await sleep_unless_stopped(context.executor, timeout_trap_wait, stopping_)) {
    co_return cancelled(version);
  }
  co_return http::json_response(
      http::Status::ok, {{"message", "finally answered after 60s"}, {"delay", 60}}, version);
}

boost::asio::awaitable<http::Response> DownstreamRoutes::burst_error(
    http::RequestContext& context) {
  co_return http::error_response(http::Status::service_unavailable,
                                 "service unavailable (burst error)", context.request.version());
}

boost::asio::awaitable<http::Response> DownstreamRoutes::cascade(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto levels = http::parse_int_param(context.query, "levels", 3, 1, 5);
  if (!levels) co_return http::unprocessable(levels.error(), version);
  const auto delay = http::parse_double_param(context.query, "delay", 0.5, 0.0, 10.0);
  if (!delay) co_return http::unprocessable(delay.error(), version);
  // Each level stands for one more hop of a call chain: it waits, then hands on.
  nlohmann::json path = nlohmann::json::array();
  for (long long level = 1; level <= *levels; ++level) {
    if (!co_await sleep_unless_stopped(context.executor, seconds_to_duration(*delay), stopping_)) {
      co_return cancelled(version);
    }
    path.push_back({{"level", level}, {"delay", *delay}});
  }
  co_return http::json_response(
      http::Status::ok,
      {{"levels", *levels}, {"total_delay", *delay * static_cast<double>(*levels)}, {"path", path}},
      version);
}

boost::asio::awaitable<http::Response> DownstreamRoutes::stats(http::RequestContext& context) {
  nlohmann::json requests = nlohmann::json::object();
  for (std::size_t i = 0; i < counted_routes.size(); ++i) {
    requests[std::string(counted_routes[i])] = counts_[i].load(std::memory_order_relaxed);
  }
  nlohmann::json body{
      {"uptime_seconds",
       std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()},
      {"requests", requests}};
  if (faults_ != nullptr) {
    const auto counts = faults_->counts();
    body["faults_injected"] = {{"latency", counts.delayed},
                               {"error", counts.errors},
                               {"blackhole", counts.blackholed},
                               {"reset", counts.resets}};
  }
  co_return http::json_response(http::Status::ok, body, context.request.version());
}

}  // namespace loadlab::target
