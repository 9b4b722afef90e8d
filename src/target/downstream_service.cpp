// The downstream role: its routes, each behind fault injection and the /stats counter.
#include "target/downstream_service.hpp"

#include <random>
#include <stdexcept>
#include <string>

#include "http/router.hpp"
#include "target/admin_guard.hpp"
#include "target/caller_deadline.hpp"
#include "target/downstream_routes.hpp"
#include "target/fault_routes.hpp"
#include "target/faults.hpp"
#include "target/health.hpp"
#include "target/random_source.hpp"
#include "target/simulated_dependency.hpp"

namespace loadlab::target {

namespace {

// Counts a request for /stats, then runs the route (no coroutine of its own).
class CountedHandler {
 public:
  CountedHandler(DownstreamRoutes* routes, std::string_view route, http::Handler inner)
      : routes_(routes), route_(route), inner_(std::move(inner)) {}
  boost::asio::awaitable<http::Response> operator()(http::RequestContext& context) const {
    routes_->count(route_);
    return inner_(context);
  }

 private:
  DownstreamRoutes* routes_;
  std::string_view route_;  // points into DownstreamRoutes::counted_routes or a literal
  http::Handler inner_;
};

std::uint64_t seed_from(std::uint64_t configured) {
  if (configured != 0) return configured;
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

Faults checked_faults(const Faults& faults) {
  auto valid = validate(faults);
  if (!valid) {
    throw std::invalid_argument("fault " + valid.error().field + " " + valid.error().message);
  }
  return *valid;
}

}  // namespace

DownstreamService::DownstreamService(const ServiceConfig& config, metrics::Registry& registry,
                                     http::ServerState& server_state)
    : server_state_(server_state),
      random_(std::make_unique<RandomSource>(seed_from(config.random_seed))),
      faults_(std::make_unique<FaultSettings>(checked_faults(config.faults))),
      admin_guard_(std::make_unique<AdminGuard>(is_loopback_host(host_of_listen(config.listen)),
                                                config.admin_token)),
      fault_routes_(
          std::make_unique<FaultRoutes>(*faults_, *random_, *admin_guard_, stopping_, registry)),
      routes_(std::make_unique<DownstreamRoutes>(*random_, stopping_, fault_routes_.get())),
      dependency_routes_(std::make_unique<SimulatedDependencyRoutes>(*random_, nullptr)) {}

DownstreamService::~DownstreamService() {
  stop();
}

void DownstreamService::register_routes(http::Router& router) {
  // Health stays outside fault injection: a supervisor must still see the process alive.
  register_health_routes(router, "downstream");
  register_drain_readiness_route(router, server_state_);
  fault_routes_->register_admin_routes(router);
  // Faults stand for the network between the caller and this service, so they act first; the
  // caller's deadline bounds the service's own work (counted from the request's arrival, so an
  // injected latency uses it up too).
  const auto add = [this, &router](std::string_view path, http::Handler handler) {
    router.get(std::string(path), fault_routes_->wrap(bound_by_caller_deadline(
                                      CountedHandler(routes_.get(), path, std::move(handler)),
                                      core::SteadyClock::instance(), protect::DeadlineConfig{})));
  };
  routes_->register_routes(add);
  add("/upstream",
      [this](http::RequestContext& context) { return dependency_routes_->upstream(context); });
}

void DownstreamService::stop() {
  stopping_.store(true, std::memory_order_release);
}

}  // namespace loadlab::target
