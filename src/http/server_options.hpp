// How the HTTP server listens, limits and drains; filled from target::ServiceConfig by `serve`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "http/readiness_poller.hpp"

namespace loadlab::http {

enum class ExecutionModel { async, threaded };

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  int io_threads = 0;  // 0: the CPU count the process may use
  ExecutionModel model = ExecutionModel::async;
  int workers = 16;  // threaded model only
  // How the I/O threads watch their connections (readiness_poller.hpp).
  PollerBackend io_backend = PollerBackend::epoll;

  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds header_read_timeout{10'000};  // whole head (and body) of a request
  std::chrono::milliseconds idle_timeout{60'000};         // keep-alive wait; also write deadline
  std::size_t max_connections = 20'000;

  std::chrono::milliseconds drain_grace{1'000};     // readiness fails, then the acceptor closes
  std::chrono::milliseconds drain_timeout{30'000};  // whole drain; connections force-closed after

  // Handed to handlers as RequestContext::deadline (none: TimePoint::max()).
  std::optional<std::chrono::milliseconds> request_deadline;
};

// The CPU count this process may run on (sched_getaffinity), at least 1.
int usable_cpu_count() noexcept;

}  // namespace loadlab::http
