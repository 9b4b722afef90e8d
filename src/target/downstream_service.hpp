// The downstream role (SPEC §2.3): the simulated dependency with run-time fault injection.
#pragma once

#include <atomic>
#include <memory>

#include "target/service.hpp"

namespace loadlab::target {

class RandomSource;
class FaultSettings;
class AdminGuard;
class FaultRoutes;
class DownstreamRoutes;
class SimulatedDependencyRoutes;

class DownstreamService final : public Service {
 public:
  DownstreamService(const ServiceConfig& config, metrics::Registry& registry,
                    http::ServerState& server_state);
  ~DownstreamService() override;
  void register_routes(http::Router& router) override;
  void stop() override;

 private:
  http::ServerState& server_state_;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<RandomSource> random_;
  std::unique_ptr<FaultSettings> faults_;
  std::unique_ptr<AdminGuard> admin_guard_;
  std::unique_ptr<FaultRoutes> fault_routes_;
  std::unique_ptr<DownstreamRoutes> routes_;
  std::unique_ptr<SimulatedDependencyRoutes> dependency_routes_;
};

}  // namespace loadlab::target
