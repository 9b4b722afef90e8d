// Run orchestration: prepare, spawn workers, watch, merge, judge.
#include "load/engine/engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "load/engine/endpoints.hpp"
#include "load/engine/worker.hpp"
#include "load/scenario_loader.hpp"
#include "load/series_spool.hpp"
#include "load/summary_text.hpp"
#include "load/threshold.hpp"

namespace loadlab::load::engine {
namespace {

std::vector<PreparedScenario> prepare(const TestPlan& plan, EndpointTable& endpoints) {
  if (plan.scenarios.empty()) throw std::runtime_error("the plan has no scenarios");
  std::vector<PreparedScenario> prepared;
  prepared.reserve(plan.scenarios.size());
  for (std::size_t i = 0; i < plan.scenarios.size(); ++i) {
    const Scenario& scenario = plan.scenarios[i];
    if (scenario.requests.empty()) {
      throw std::runtime_error("scenario '" + scenario.name + "' has no requests");
    }
    PreparedScenario entry;
    entry.scenario = &scenario;
    entry.index = static_cast<std::uint32_t>(i);
    double sum = 0;
    for (const auto& request : scenario.requests) {
      entry.requests.emplace_back(request, plan.base_url, endpoints);
      sum += std::max(0.0, request.weight);
      entry.cumulative_weights.push_back(sum);
    }
    if (sum <= 0) throw std::runtime_error("scenario '" + scenario.name + "': all weights are 0");
    prepared.push_back(std::move(entry));
  }
  return prepared;
}

// Moves the seconds every worker has completed from the workers to the spool.
void spool_series(std::vector<std::unique_ptr<Worker>>& workers, SeriesCollector& collector,
                  SeriesSpool& spool) {
  for (std::size_t i = 0; i < workers.size(); ++i) {
    Worker::SeriesHandover handover = workers[i]->take_series();
    collector.add(i, std::move(handover.points), handover.watermark);
  }
  for (const auto& released : collector.take_released()) spool.append(released);
}

bool has_abort_thresholds(const TestPlan& plan) {
  for (const auto& metric : plan.thresholds) {
    for (const auto& threshold : metric.thresholds) {
      if (threshold.abort_on_fail) return true;
    }
  }
  return false;
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

int thread_count(const TestPlan& plan, const EngineOptions& options) {
  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // More threads than VUs would only add idle event loops.
  std::int64_t peak = 0;
  for (const auto& scenario : plan.scenarios)
    peak += std::max<std::int64_t>(1, scenario.peak_vus());
  peak = std::max<std::int64_t>(1, vu_share(peak, options.shard));
  return static_cast<int>(std::min<std::int64_t>(threads, peak));
}

// The first exception thrown by any of the run's threads.
class FirstFailure {
 public:
  void keep(std::exception_ptr error) noexcept {
    const std::lock_guard lock(mutex_);
    if (!first_) first_ = std::move(error);
  }
  void rethrow_if_any() {
    const std::lock_guard lock(mutex_);
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr first_;
};

// Merges the workers' latest snapshots and asks the thresholds whether to abort.
bool abort_due(std::vector<std::unique_ptr<Worker>>& workers, const TestPlan& plan,
               core::Duration elapsed, std::string& reason) {
  std::optional<MetricsData> merged;
  for (auto& worker : workers) {
    auto snapshot = worker->latest_snapshot();
    if (!snapshot) continue;
    if (merged) {
      merged->merge(*snapshot);
    } else {
      merged = std::move(snapshot);
    }
  }
  if (!merged) return false;
  return should_abort(plan.thresholds, merged->resolver(elapsed), elapsed, &reason);
}

// The run's supervision, a pass every 100 ms on the first worker's event loop (the calling thread):
// move completed seconds to the spool, stop on Ctrl-C or a crossed abortOnFail threshold, report
// progress once a second.
class Supervision {
 public:
  Supervision(const TestPlan& plan, const EngineOptions& options, core::Clock& clock,
              std::vector<std::unique_ptr<Worker>>& workers, SeriesCollector& collector,
              SeriesSpool& spool, RunInfo& info, core::TimePoint run_start)
      : plan_(plan),
        options_(options),
        clock_(clock),
        workers_(workers),
        collector_(collector),
        spool_(spool),
        info_(info),
        run_start_(run_start),
        watch_thresholds_(has_abort_thresholds(plan)),
        planned_(plan.end_time(false)),
        previous_at_(run_start),
        next_report_(run_start + std::chrono::seconds{1}) {}

  // True once every worker is done (the caller then stops calling).
  bool pass() {
    if (std::all_of(workers_.begin(), workers_.end(), [](const auto& w) { return w->done(); })) {
      return true;
    }
    spool_series(workers_, collector_, spool_);
    const auto now = clock_.now();
    if (!stopping_ && options_.interrupted && options_.interrupted()) {
      stop("interrupted");
    }
    if (now < next_report_) return false;
    next_report_ += std::chrono::seconds{1};
    if (!stopping_ && watch_thresholds_) {
      std::string reason;
      if (abort_due(workers_, plan_, now - run_start_, reason)) {
        stop("threshold crossed: " + reason);
      }
    }
    if (options_.on_progress) report_progress(now);
    return false;
  }

 private:
  void stop(std::string reason) {
    stopping_ = true;
    info_.aborted = true;
    info_.abort_reason = std::move(reason);
    for (auto& worker : workers_) worker->request_stop();
  }

  void report_progress(core::TimePoint now) {
    LiveStats::Snapshot total;
    for (const auto& worker : workers_) total.add(worker->live().snapshot());
    const double seconds = std::chrono::duration<double>(now - previous_at_).count();
    Progress progress;
    progress.elapsed = now - run_start_;
    progress.planned = planned_;
    progress.vus = total.active_vus;
    progress.vus_max = total.allocated_vus;
    progress.requests = total.requests;
    progress.failed = total.failed;
    progress.requests_per_second =
        seconds > 0 ? static_cast<double>(total.requests - previous_.requests) / seconds : 0;
    progress.p99_latency_us = total.percentile_since(previous_, 99);
    options_.on_progress(progress);
    previous_ = total;
    previous_at_ = now;
  }

  const TestPlan& plan_;
  const EngineOptions& options_;
  core::Clock& clock_;
  std::vector<std::unique_ptr<Worker>>& workers_;
  SeriesCollector& collector_;
  SeriesSpool& spool_;
  RunInfo& info_;
  core::TimePoint run_start_;
  bool watch_thresholds_;
  core::Duration planned_;
  bool stopping_ = false;
  LiveStats::Snapshot previous_;
  core::TimePoint previous_at_;
  core::TimePoint next_report_;
};

}  // namespace

RunResult run_plan(const TestPlan& plan, const EngineOptions& options, core::Clock& clock) {
  EndpointTable endpoints;
  const std::vector<PreparedScenario> scenarios = prepare(plan, endpoints);
  const int threads = thread_count(plan, options);
  const std::uint64_t seed =
      options.seed != 0 ? options.seed
                        : static_cast<std::uint64_t>(clock.now().time_since_epoch().count());

  RunResult result;
  result.info.started_at = utc_now_iso8601();
  result.info.shard = options.shard;
  result.info.target = plan.base_url;
  result.info.plan = plan_to_json(plan);

  // Workers are built here, before their threads exist; after that each is touched only by its
  // own thread (and through its atomics).
  const auto run_start = clock.now() + std::chrono::milliseconds{20};
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < threads; ++i) {
    WorkerConfig config;
    config.placement = WorkerPlacement{options.shard, i, threads};
    config.run_start = run_start;
    config.queue_when_busy = options.queue_when_busy;
    config.connect_timeout = options.connect_timeout;
    config.max_response_header_bytes = options.max_response_header_bytes;
    config.publish_snapshots = has_abort_thresholds(plan);
    config.verify_tls = !plan.insecure_skip_tls_verify;
    config.io_backend = options.io_backend;
    config.seed = seed + static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL;
    workers.push_back(std::make_unique<Worker>(scenarios, names_of(plan), config, clock));
  }
  // The series goes to a temporary file as the run goes, so memory does not grow with its length.
  SeriesCollector collector(workers.size());
  SeriesSpool spool;
  Supervision supervision{plan, options, clock, workers, collector, spool, result.info, run_start};
  // The first worker runs on this thread and hosts the supervision: no thread sits idle.
  workers.front()->host([&supervision] { return supervision.pass(); });
  // An exception out of any worker (std::bad_alloc for a huge VU count, std::system_error when a
  // thread cannot start) must not reach std::terminate through a joinable std::thread or a
  // thread's entry function: every worker is told to stop, every started thread joined, and the
  // first exception rethrown for the CLI to print.
  FirstFailure failure;
  const auto stop_all = [&workers] {
    for (auto& worker : workers) worker->request_stop();
  };
  std::vector<std::thread> pool;
  try {
    pool.reserve(workers.size() - 1);
    for (std::size_t i = 1; i < workers.size(); ++i) {
      pool.emplace_back([&w = *workers[i], &failure, &stop_all] {
        try {
          w.run();
        } catch (...) {
          failure.keep(std::current_exception());
          stop_all();
        }
      });
    }
    workers.front()->run();
  } catch (...) {
    failure.keep(std::current_exception());
    stop_all();
  }
  for (auto& thread : pool) thread.join();
  failure.rethrow_if_any();
  result.info.elapsed = clock.now() - run_start;

  // Every worker has handed over its last seconds with the kFinished watermark: all are released.
  spool_series(workers, collector, spool);

  result.metrics = workers.front()->take_metrics();
  for (std::size_t i = 1; i < workers.size(); ++i) result.metrics.merge(workers[i]->take_metrics());
  spool.read_into(result.metrics);
  result.judge(plan.thresholds);
  return result;
}

std::string format_progress(const Progress& progress) {
  const auto whole_seconds = [](core::Duration d) {
    return std::chrono::duration_cast<std::chrono::seconds>(d).count();
  };
  return fmt::format("running {}s/{}s  vus {}/{}  {:.0f} req/s  p99 {}  requests {}  errors {}",
                     whole_seconds(progress.elapsed), whole_seconds(progress.planned), progress.vus,
                     progress.vus_max, progress.requests_per_second,
                     format_ms(static_cast<double>(progress.p99_latency_us) / 1000.0),
                     progress.requests, progress.failed);
}

}  // namespace loadlab::load::engine
