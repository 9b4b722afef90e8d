// Chooses the service of the configured role.
#include "target/downstream_service.hpp"
#include "target/service.hpp"
#include "target/target_service.hpp"

namespace loadlab::target {

std::unique_ptr<Service> make_service(const ServiceConfig& config, metrics::Registry& registry,
                                      core::Clock& clock, http::ServerState& server_state) {
  if (config.role == Role::downstream) {
    return std::make_unique<DownstreamService>(config, registry, server_state);
  }
  return std::make_unique<TargetService>(config, registry, clock, server_state);
}

}  // namespace loadlab::target
