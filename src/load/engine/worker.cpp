// Worker thread: runs its runners on its own event loop, with a 100 ms housekeeping pass for
// deadlines, VU gauges, stop requests and snapshots (and the run's supervision, if hosted).
#include "load/engine/worker.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "load/series_spool.hpp"

namespace loadlab::load::engine {

namespace {
constexpr auto kHousekeepingPeriod = std::chrono::milliseconds{100};
// Once the hosting worker's own share is over it only supervises, and it notices the last worker
// finishing within this period (the others cannot post to its loop: it takes no locks).
constexpr auto kIdleSupervisionPeriod = std::chrono::milliseconds{5};
constexpr std::size_t kScratchBytes = 64 * 1024;
}  // namespace

Worker::Worker(const std::vector<PreparedScenario>& scenarios, std::vector<ScenarioNames> names,
               const WorkerConfig& config, core::Clock& clock)
    // One thread runs this context and nothing else posts to it: no locks inside Asio.
    : io_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE),
      clock_(clock),
      config_(config),
      recorder_(std::move(names), config.run_start),
      random_(config.seed),
      scratch_(kScratchBytes),
      tls_context_(config.verify_tls),
      poller_(io_, config.io_backend),
      deadlines_(io_, clock, [this](core::TimePoint now) { return expire_due(now); }),
      connection_context_{io_,
                          clock,
                          std::span<char>(scratch_),
                          config.connect_timeout,
                          config.max_response_header_bytes,
                          &tls_context_,
                          &poller_,
                          &deadlines_},
      context_{io_,
               clock,
               recorder_,
               live_,
               random_,
               connection_context_,
               config.placement,
               config.run_start,
               config.queue_when_busy},
      housekeeping_timer_(io_),
      next_snapshot_(config.run_start + std::chrono::seconds{1}) {
  for (const auto& scenario : scenarios) runners_.push_back(make_runner(context_, scenario));
  recorder_.stream_series();
  context_.runner_finished = [this] { on_runner_finished(); };
}

Worker::~Worker() {
  // Runners (and their sockets) go before the io_context member.
  runners_.clear();
}

void Worker::run() {
  for (auto& runner : runners_) runner->begin();
  arm_housekeeping();
  io_.run();
  finish();
}

void Worker::finish() {
  if (finished_) return;
  finished_ = true;
  recorder_.flush();
  hand_over_series(SeriesCollector::kFinished);
  done_.store(true, std::memory_order_release);
}

std::optional<core::TimePoint> Worker::expire_due(core::TimePoint now) {
  std::optional<core::TimePoint> earliest;
  for (auto& runner : runners_) {
    const auto next = runner->expire_due(now);
    if (next && (!earliest || *next < *earliest)) earliest = next;
  }
  return earliest;
}

void Worker::on_runner_finished() {
  // When the last runner finishes, this worker's share ends now rather than at the next pass (up
  // to 100 ms later), which would stretch the run's elapsed time and lower every rate. Posted:
  // the runner is still inside its own call stack.
  const bool all_finished = std::all_of(runners_.begin(), runners_.end(),
                                        [](const auto& runner) { return runner->finished(); });
  if (finished_ || !all_finished) return;
  boost::asio::post(io_, [this] {
    if (!finished_) housekeeping();
  });
}

void Worker::arm_housekeeping() {
  housekeeping_timer_.expires_after(kHousekeepingPeriod);
  housekeeping_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) housekeeping();
  });
}

void Worker::housekeeping() {
  const auto now = clock_.now();
  const bool stop = stop_requested_.load(std::memory_order_relaxed);
  std::int64_t active = 0;
  std::int64_t allocated = 0;
  bool all_finished = true;
  for (auto& runner : runners_) {
    if (stop) runner->stop_now();
    runner->tick(now);
    active += runner->active_vus();
    allocated += runner->allocated_vus();
    all_finished = all_finished && runner->finished();
  }
  if (now >= config_.run_start) {
    // Sampling the gauges rolls the recorder into this second, completing the earlier ones.
    recorder_.record_vus(active, allocated, now);
    hand_over_series(
        std::chrono::duration_cast<std::chrono::seconds>(now - config_.run_start).count());
  }
  live_.set_vus(active, allocated);
  if (config_.publish_snapshots && now >= next_snapshot_) {
    next_snapshot_ = now + std::chrono::seconds{1};
    MetricsData copy = recorder_.data();
    const std::lock_guard lock(snapshot_mutex_);
    snapshot_ = std::move(copy);
  }
  if (all_finished) {
    housekeeping_timer_.cancel();  // when this pass was posted by on_runner_finished
    deadlines_.stop();
    poller_.stop();  // the loop runs dry and run() returns (after the supervision, if hosted)
    finish();
    if (supervise_ && !supervise_()) arm_supervision();
    return;
  }
  if (supervise_) (void)supervise_();  // not over: this worker is not done
  arm_housekeeping();
}

void Worker::arm_supervision() {
  housekeeping_timer_.expires_after(kIdleSupervisionPeriod);
  housekeeping_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !supervise_()) arm_supervision();
  });
}

void Worker::hand_over_series(std::int64_t watermark) {
  std::vector<TimedSeriesPoint> completed = recorder_.take_streamed_series();
  const std::lock_guard lock(series_mutex_);
  for (auto& point : completed) series_outbox_.points.push_back(std::move(point));
  series_outbox_.watermark = std::max(series_outbox_.watermark, watermark);
}

Worker::SeriesHandover Worker::take_series() {
  const std::lock_guard lock(series_mutex_);
  SeriesHandover out;
  out.points.swap(series_outbox_.points);
  out.watermark = series_outbox_.watermark;
  return out;
}

std::optional<MetricsData> Worker::latest_snapshot() {
  const std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

}  // namespace loadlab::load::engine
