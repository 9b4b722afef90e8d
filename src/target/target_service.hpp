// The target role: every seed-compatible route of SPEC §2.1 over its failure-mode modules.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>

#include "target/service.hpp"

namespace loadlab::protect {
class Protections;
}
namespace loadlab::db {
class Database;
}
namespace loadlab::http {
class HttpClient;
}

namespace loadlab::target {

class RandomSource;
class ComputePool;
class GuardedComputePool;
class MemoryStore;
class UpstreamMetrics;
class CpuRoutes;
class IoRoutes;
class MemoryRoutes;
class ExpensiveOpRoutes;
class DownstreamCallRoutes;
class SimulatedDependencyRoutes;
class DbRoutes;
class AdminGuard;
class ProtectionGate;
class ProtectionRoutes;

class TargetService final : public Service {
 public:
  // Throws at start-up: bad downstream URL, database that cannot be opened.
  TargetService(const ServiceConfig& config, metrics::Registry& registry, core::Clock& clock,
                http::ServerState& server_state);
  ~TargetService() override;
  void register_routes(http::Router& router) override;
  void stop() override;
  http::RequestGate* request_gate() noexcept override;

 private:
  ServiceConfig config_;
  http::ServerState& server_state_;
  std::atomic<bool> stopped_{false};
  std::unique_ptr<protect::Protections> protections_;
  std::unique_ptr<ProtectionGate> gate_;
  std::unique_ptr<AdminGuard> admin_guard_;
  std::unique_ptr<ProtectionRoutes> protection_routes_;
  std::unique_ptr<RandomSource> random_;
  std::unique_ptr<ComputePool> compute_;
  std::unique_ptr<GuardedComputePool> guarded_compute_;  // compute_ behind the `queue` protection
  // Outbound sockets get their own I/O thread: a blocked server thread (/api/blocking, a busy
  // worker) never stalls another request's downstream call.
  boost::asio::io_context outbound_io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> outbound_work_;
  std::thread outbound_thread_;
  std::unique_ptr<http::HttpClient> client_;
  std::unique_ptr<UpstreamMetrics> upstream_metrics_;
  std::unique_ptr<MemoryStore> memory_;
  std::unique_ptr<db::Database> database_;

  std::unique_ptr<CpuRoutes> cpu_routes_;
  std::unique_ptr<IoRoutes> io_routes_;
  std::unique_ptr<MemoryRoutes> memory_routes_;
  std::unique_ptr<ExpensiveOpRoutes> expensive_op_routes_;
  std::unique_ptr<DownstreamCallRoutes> downstream_routes_;
  std::unique_ptr<SimulatedDependencyRoutes> dependency_routes_;
  std::unique_ptr<DbRoutes> db_routes_;
};

}  // namespace loadlab::target
