// One load-generating thread: an io_context of its own (no locking: nothing else touches it),
// the worker's share of every scenario, a recorder and live counters. Cross-thread contact is
// limited to atomics (stop request, done flag, live counters), the completed seconds of the
// series handed over under a mutex every housekeeping pass (100 ms, never per request), and, once
// a second when the plan has abortOnFail thresholds, a copy of the recorder's data.
// One worker (the one on the calling thread) also hosts the run's supervision, so a run with N
// workers has N threads and a one-thread run is a single-threaded process: the kernel then skips
// the file reference counting of every send and recv, and glibc their cancellation bookkeeping.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "load/engine/live_stats.hpp"
#include "load/engine/scenario_runner.hpp"
#include "load/engine/worker_context.hpp"
#include "load/metrics_data.hpp"
#include "load/recorder.hpp"

namespace loadlab::load::engine {

struct WorkerConfig {
  WorkerPlacement placement;
  core::TimePoint run_start;
  bool queue_when_busy = false;
  core::Duration connect_timeout = std::chrono::seconds{10};
  std::size_t max_response_header_bytes = 64 * 1024;
  bool publish_snapshots = false;  // a copy of the metrics every second (abortOnFail)
  bool verify_tls = true;          // false: insecureSkipTLSVerify
  http::PollerBackend io_backend = http::PollerBackend::epoll;
  std::uint64_t seed = 1;
};

class Worker {
 public:
  Worker(const std::vector<PreparedScenario>& scenarios, std::vector<ScenarioNames> names,
         const WorkerConfig& config, core::Clock& clock);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Before run(): call `supervise` every housekeeping pass on this worker's loop; once this
  // worker's own scenarios are finished, keep calling it until it returns true (every worker is
  // done).
  void host(std::function<bool()> supervise) { supervise_ = std::move(supervise); }

  // The thread body: returns when every scenario of this worker has finished (and, when it hosts
  // the supervision, when the supervision says the run is over).
  void run();

  // Any thread: interrupt everything at the next housekeeping pass.
  void request_stop() noexcept { stop_requested_.store(true, std::memory_order_relaxed); }
  [[nodiscard]] bool done() const noexcept { return done_.load(std::memory_order_acquire); }
  [[nodiscard]] const LiveStats& live() const noexcept { return live_; }
  // The latest published copy of the metrics (publish_snapshots), if any.
  [[nodiscard]] std::optional<MetricsData> latest_snapshot();
  // After run() returned: the worker's metrics (without the series: see take_series).
  [[nodiscard]] MetricsData take_metrics() { return recorder_.take(); }

  // Any thread: the series seconds completed since the last call, and the second this worker
  // records now (SeriesCollector::kFinished once run() is over); nothing it hands over later
  // lies before that second.
  struct SeriesHandover {
    std::vector<TimedSeriesPoint> points;
    std::int64_t watermark = 0;
  };
  [[nodiscard]] SeriesHandover take_series();

 private:
  void housekeeping();
  std::optional<core::TimePoint> expire_due(core::TimePoint now);
  void on_runner_finished();
  void arm_housekeeping();
  void arm_supervision();
  // Once this worker's scenarios are over: the last seconds go out and done() turns true.
  void finish();
  void hand_over_series(std::int64_t watermark);

  // Destroyed last: sockets and timers below belong to it.
  boost::asio::io_context io_;
  core::Clock& clock_;
  WorkerConfig config_;
  Recorder recorder_;
  LiveStats live_;
  Random random_;
  std::vector<char> scratch_;
  LazyTlsContext tls_context_;
  http::ReadinessPoller poller_;  // before the connections, which close their sockets first
  DeadlineAlarm deadlines_;
  ConnectionContext connection_context_;
  WorkerContext context_;
  std::vector<std::unique_ptr<ScenarioRunner>> runners_;
  boost::asio::steady_timer housekeeping_timer_;
  core::TimePoint next_snapshot_;
  std::function<bool()> supervise_;
  bool finished_ = false;

  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> done_{false};
  std::mutex snapshot_mutex_;
  std::optional<MetricsData> snapshot_;
  std::mutex series_mutex_;
  SeriesHandover series_outbox_;
};

}  // namespace loadlab::load::engine
