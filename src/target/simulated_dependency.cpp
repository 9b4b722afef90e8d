// Seed 004's simulated dependency routes.
#include "target/simulated_dependency.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include "http/params.hpp"
#include "http/router.hpp"
#include "target/cpu.hpp"
#include "target/guarded_compute_pool.hpp"
#include "target/protection_gate.hpp"
#include "target/random_source.hpp"
#include "target/sleep.hpp"

namespace loadlab::target {

bool is_known_priority(std::string_view priority) noexcept {
  return priority == "low" || priority == "normal" || priority == "high";
}

void SimulatedDependencyRoutes::register_upstream(http::Router& router) {
  router.get("/upstream", [this](http::RequestContext& context) { return upstream(context); });
}

void SimulatedDependencyRoutes::register_work(http::Router& router) {
  router.post("/work", [this](http::RequestContext& context) { return work(context); });
}

boost::asio::awaitable<http::Response> SimulatedDependencyRoutes::upstream(
    http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto ms = http::parse_double_param(context.query, "ms", 50.0, 0.0, 60'000.0);
  if (!ms) co_return http::unprocessable(ms.error(), version);
  const auto fail_rate = http::parse_double_param(context.query, "fail_rate", 0.0, 0.0, 1.0);
  if (!fail_rate) co_return http::unprocessable(fail_rate.error(), version);
  if (!co_await sleep_for(context.executor, seconds_to_duration(*ms / 1000.0))) {
    co_return http::error_response(http::Status::service_unavailable, "wait cancelled", version);
  }
  if (random_.chance(*fail_rate)) {
    co_return http::error_response(http::Status::service_unavailable,
                                   {{"error", "upstream failure (simulated)"}, {"ms", *ms}},
                                   version);
  }
  co_return http::json_response(http::Status::ok, {{"ok", true}, {"ms", *ms}}, version);
}

boost::asio::awaitable<http::Response> SimulatedDependencyRoutes::work(
    http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto ms = http::parse_double_param(context.query, "ms", 50.0, 0.0, 10'000.0);
  if (!ms) co_return http::unprocessable(ms.error(), version);
  const auto fail_rate = http::parse_double_param(context.query, "fail_rate", 0.02, 0.0, 1.0);
  if (!fail_rate) co_return http::unprocessable(fail_rate.error(), version);
  const auto priority = http::parse_string_param(context.query, "priority", "normal", 16);
  if (!priority || !(priority->empty() || is_known_priority(*priority))) {
    co_return http::unprocessable(http::ParamError{"priority", "must be one of low, normal, high"},
                                  version);
  }
  const double spin_ms = *ms;
  if (compute_ != nullptr) {
    const auto spun = co_await compute_->run(
        [spin_ms] {
          spin_for(spin_ms);
          return true;
        },
        context.deadline);
    if (!spun) co_return rejection_response(spun.error(), version);
  } else {
    spin_for(spin_ms);
  }
  if (random_.chance(*fail_rate)) {
    co_return http::error_response(http::Status::internal_server_error,
                                   {{"error", "work failed (simulated)"}, {"ms", spin_ms}},
                                   version);
  }
  co_return http::json_response(
      http::Status::ok,
      {{"ok", true}, {"ms", spin_ms}, {"priority", priority->empty() ? "normal" : *priority}},
      version);
}

}  // namespace loadlab::target
