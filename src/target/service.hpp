// The target and downstream services: route tables over the shared HTTP server.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "target/service_config.hpp"

namespace loadlab::core {
class Clock;
}
namespace loadlab::metrics {
class Registry;
}
namespace loadlab::http {
class Router;
class ServerState;  // drain/readiness state owned by the server (src/http/server_state.hpp)
class RequestGate;
}  // namespace loadlab::http

namespace loadlab::target {

// Owns everything a role needs beyond the HTTP server (database, outbound client, compute pool,
// queues, memory store, fault settings) and registers its routes. Constructed at start-up
// (exceptions allowed there); stop() releases background work before the server's io_context ends.
class Service {
 public:
  virtual ~Service() = default;
  virtual void register_routes(http::Router& router) = 0;
  virtual void stop() = 0;
  // Admission in front of the routes (the server's set_gate); null when the role has none.
  virtual http::RequestGate* request_gate() noexcept { return nullptr; }
};

std::unique_ptr<Service> make_service(const ServiceConfig& config, metrics::Registry& registry,
                                      core::Clock& clock, http::ServerState& server_state);

}  // namespace loadlab::target
