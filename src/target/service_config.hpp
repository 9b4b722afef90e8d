// Everything `loadlab serve` can be configured with; filled from defaults, a YAML file, LOADLAB_*
// environment variables and flags (in rising priority) by the serve command.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "target/faults.hpp"

namespace loadlab::target {

enum class Role { target, downstream };
enum class ExecutionModel { async, threaded };

struct ServerLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds header_read_timeout{10'000};  // slowloris guard
  std::chrono::milliseconds idle_timeout{60'000};         // keep-alive idle
  std::size_t max_connections = 20'000;
};

struct ServiceConfig {
  Role role = Role::target;
  std::string listen = "127.0.0.1:8000";  // 127.0.0.1:8001 for the downstream role
  int io_threads = 0;                     // 0: the CPU count the process may use
  ExecutionModel model = ExecutionModel::async;
  int workers = 16;                 // threaded model only
  std::string io_backend = "auto";  // auto | epoll | io_uring (http::choose_poller_backend)
  ServerLimits limits;
  std::chrono::milliseconds drain_timeout{30'000};
  std::chrono::milliseconds drain_grace{1'000};  // readiness fails, then new connections refused

  std::string downstream_url = "http://127.0.0.1:8001";
  std::string db_url = "sqlite:loadlab.db";  // or sqlite::memory:, postgresql://...
  int db_pool_size = 5;
  int db_pool_overflow = 10;

  int expensive_op_concurrency = 1;  // seed 002's CONCURRENCY
  std::chrono::milliseconds expensive_op_duration{2'000};
  int compute_threads = 0;                        // 0: the CPU count the process may use
  std::size_t memory_limit_bytes = 512ull << 20;  // the budget admission works against
  std::string protect = "naked";                  // naked | protected | comma list
  std::string admin_token;                        // required when not bound to loopback

  // Added by the routes: outbound client, randomness, the downstream role's start-up faults.
  int downstream_max_connections = 256;  // keep-alive pool bound per downstream host:port
  std::uint64_t random_seed = 0;         // 0: seeded from std::random_device
  Faults faults;                         // downstream role: injected from the start
};

}  // namespace loadlab::target
