// The load generator's entry point: prepares a TestPlan (resolve hosts, serialise requests),
// runs it on N worker threads (the calling thread is one of them and also watches the run:
// progress, abortOnFail, interruption) and returns the merged RunResult with the thresholds
// judged.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/clock.hpp"
#include "http/readiness_poller.hpp"
#include "load/result.hpp"
#include "load/scenario.hpp"
#include "load/shard.hpp"

namespace loadlab::load::engine {

// What the live progress line shows, about once a second.
struct Progress {
  core::Duration elapsed{0};
  core::Duration planned{0};  // when the last scenario ends (without graceful stops)
  std::int64_t vus = 0;
  std::int64_t vus_max = 0;
  std::int64_t requests = 0;        // so far
  std::int64_t failed = 0;          // so far
  double requests_per_second = 0;   // over the last interval
  std::int64_t p99_latency_us = 0;  // over the last interval (coarse)
};

struct EngineOptions {
  int threads = 0;  // 0: one per CPU
  Shard shard;
  // Quick mode with -R: requests due while every connection is busy wait for one (wrk2)
  // instead of being dropped (k6's arrival-rate executors).
  bool queue_when_busy = false;
  core::Duration connect_timeout = std::chrono::seconds{10};
  std::size_t max_response_header_bytes = 64 * 1024;
  std::uint64_t seed = 0;  // 0: from the clock
  // How workers watch their plain-http connections (http/readiness_poller.hpp).
  http::PollerBackend io_backend = http::PollerBackend::epoll;
  // Called from the calling thread about once a second while the run goes on.
  std::function<void(const Progress&)> on_progress;
  // Polled about every 100 ms; true ends the run early (like Ctrl-C in k6).
  std::function<bool()> interrupted;
};

// Throws std::runtime_error for a plan that cannot start (bad URL, unknown host, no
// scenarios); everything after start-up is recorded as results, never thrown.
[[nodiscard]] RunResult run_plan(const TestPlan& plan, const EngineOptions& options,
                                 core::Clock& clock);

// The line printed on a terminal: "12s/30s  vus 50/50  4,210 req/s  p99 12.3ms  errors 0".
[[nodiscard]] std::string format_progress(const Progress& progress);

}  // namespace loadlab::load::engine
