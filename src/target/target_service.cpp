// The target role: owns the shared resources and registers every route.
#include "target/target_service.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>

#include "db/database.hpp"
#include "http/client.hpp"
#include "http/router.hpp"
#include "http/server_options.hpp"
#include "protect/protections.hpp"
#include "target/admin_guard.hpp"
#include "target/compute_pool.hpp"
#include "target/cpu.hpp"
#include "target/db_routes.hpp"
#include "target/downstream_calls.hpp"
#include "target/expensive_op.hpp"
#include "target/guarded_compute_pool.hpp"
#include "target/health.hpp"
#include "target/io.hpp"
#include "target/memory.hpp"
#include "target/protection_gate.hpp"
#include "target/protection_routes.hpp"
#include "target/random_source.hpp"
#include "target/simulated_dependency.hpp"
#include "target/upstream_metrics.hpp"

namespace loadlab::target {

namespace {

std::uint64_t seed_from(std::uint64_t configured) {
  if (configured != 0) return configured;
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

std::unique_ptr<protect::Protections> make_protections(const ServiceConfig& config,
                                                       core::Clock& clock,
                                                       metrics::Registry& registry) {
  auto mask = protect::parse_protection_list(config.protect);
  if (!mask) throw std::invalid_argument("--protect: " + mask.error());
  protect::ProtectionSettings settings;
  settings.enabled = *mask;
  settings.params.memory.limit_bytes = config.memory_limit_bytes;
  if (config.model == ExecutionModel::threaded) {
    // A thread waits out each dependency call: a bulkhead as wide as the worker pool protects
    // nothing. At most half the workers stay with one dependency; the rest serve other routes.
    settings.params.bulkhead.max_concurrent =
        std::clamp(config.workers / 2, 1, settings.params.bulkhead.max_concurrent);
  }
  return std::make_unique<protect::Protections>(settings, clock, registry);
}

http::Origin downstream_origin(const std::string& url) {
  auto origin = http::Origin::parse(url);
  if (!origin) throw std::invalid_argument("--downstream: " + origin.error());
  return std::move(*origin);
}

}  // namespace

TargetService::TargetService(const ServiceConfig& config, metrics::Registry& registry,
                             core::Clock& clock, http::ServerState& server_state)
    : config_(config),
      server_state_(server_state),
      protections_(make_protections(config, clock, registry)),
      gate_(std::make_unique<ProtectionGate>(*protections_, clock)),
      admin_guard_(std::make_unique<AdminGuard>(is_loopback_host(host_of_listen(config.listen)),
                                                config.admin_token)),
      protection_routes_(std::make_unique<ProtectionRoutes>(*protections_, *admin_guard_)),
      random_(std::make_unique<RandomSource>(seed_from(config.random_seed))),
      compute_(std::make_unique<ComputePool>(
          config.compute_threads > 0 ? config.compute_threads : http::usable_cpu_count())),
      outbound_work_(boost::asio::make_work_guard(outbound_io_)) {
  http::ClientOptions client_options;
  client_options.pool.max_connections_per_host =
      static_cast<std::size_t>(std::max(1, config.downstream_max_connections));
  client_ = std::make_unique<http::HttpClient>(outbound_io_.get_executor(), client_options);
  upstream_metrics_ = std::make_unique<UpstreamMetrics>(registry, "downstream");
  // No budget of its own: the memory protection decides (naked, the process may be OOM-killed).
  memory_ = std::make_unique<MemoryStore>(0);
  db::PoolOptions pool_options;
  pool_options.size = config.db_pool_size;
  pool_options.overflow = config.db_pool_overflow;
  database_ = db::open_database(config.db_url, pool_options, registry, clock);
  // Pool acquisition waits forever when naked (the seed's hang); with `timeouts` it is bounded
  // and expiry is a fast 503. Follows run-time toggles.
  const auto apply_pool_timeout =
      [database = database_.get()](const protect::ProtectionSettings& settings) {
        if (settings.enabled.has(protect::Protection::timeouts)) {
          database->set_acquire_timeout(std::chrono::duration_cast<std::chrono::milliseconds>(
              settings.params.timeouts.pool_acquire_timeout));
        } else {
          database->set_acquire_timeout(std::nullopt);
        }
      };
  apply_pool_timeout(protections_->settings().settings());
  protections_->settings().add_listener(
      [apply_pool_timeout](const protect::ProtectionSettings&,
                           const protect::ProtectionSettings& after) {
        apply_pool_timeout(after);
      });

  guarded_compute_ = std::make_unique<GuardedComputePool>(*compute_);
  guarded_compute_->set_protections(*protections_);
  cpu_routes_ = std::make_unique<CpuRoutes>(*guarded_compute_);
  io_routes_ = std::make_unique<IoRoutes>(*random_);
  memory_routes_ = std::make_unique<MemoryRoutes>(*memory_, registry);
  memory_routes_->set_protections(*protections_);
  expensive_op_routes_ = std::make_unique<ExpensiveOpRoutes>(
      QueueRule{config.expensive_op_concurrency}, config.expensive_op_duration, clock, registry,
      server_state);
  downstream_routes_ = std::make_unique<DownstreamCallRoutes>(
      *client_, downstream_origin(config.downstream_url), *upstream_metrics_);
  downstream_routes_->set_protections(*protections_, clock);
  dependency_routes_ =
      std::make_unique<SimulatedDependencyRoutes>(*random_, guarded_compute_.get());
  db_routes_ = std::make_unique<DbRoutes>(*database_);
  db_routes_->set_protections(*protections_);
  outbound_thread_ = std::thread([this] { outbound_io_.run(); });
}

TargetService::~TargetService() {
  stop();
}

void TargetService::register_routes(http::Router& router) {
  register_health_routes(router, "target");
  register_fast_routes(router);
  cpu_routes_->register_routes(router);
  io_routes_->register_routes(router);
  memory_routes_->register_routes(router);
  expensive_op_routes_->register_routes(router);
  downstream_routes_->register_routes(router);
  dependency_routes_->register_upstream(router);
  dependency_routes_->register_work(router);
  db_routes_->register_routes(router);
  protection_routes_->register_routes(router);
}

http::RequestGate* TargetService::request_gate() noexcept {
  return gate_.get();
}

void TargetService::stop() {
  if (stopped_.exchange(true)) return;
  expensive_op_routes_->stop();
  client_->stop();
  if (database_) database_->close();
  guarded_compute_->stop();  // stops compute_ too
  outbound_work_.reset();
  outbound_io_.stop();
  if (outbound_thread_.joinable()) outbound_thread_.join();
}

}  // namespace loadlab::target
