// Run orchestration: prepare, spawn workers, watch, merge, judge.
#include "load/engine/engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <memory>
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

constexpr auto kPollPeriod = std::chrono::milliseconds{100};

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
  peak = std::max<std::int64_t>(1, split_count(peak, options.shard));
  return static_cast<int>(std::min<std::int64_t>(threads, peak));
}

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

}  // namespace

RunResult run_plan(const TestPlan& plan, const EngineOptions& options, core::Clock& clock) {
  EndpointTable endpoints;
  const std::vector<PreparedScenario> scenarios = prepare(plan, endpoints);
  const int threads = thread_count(plan, options);
  const bool watch_thresholds = has_abort_thresholds(plan);
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
    config.publish_snapshots = watch_thresholds;
    config.verify_tls = !plan.insecure_skip_tls_verify;
    config.io_backend = options.io_backend;
    config.seed = seed + static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL;
    workers.push_back(std::make_unique<Worker>(scenarios, names_of(plan), config, clock));
  }
  // The series goes to a temporary file as the run goes, so memory does not grow with its length.
  SeriesCollector collector(workers.size());
  SeriesSpool spool;
  std::vector<std::thread> pool;
  pool.reserve(workers.size());
  for (auto& worker : workers) pool.emplace_back([&w = *worker] { w.run(); });

  const core::Duration planned = plan.end_time(false);
  LiveStats::Snapshot previous;
  auto previous_at = run_start;
  auto next_report = run_start + std::chrono::seconds{1};
  bool stopping = false;
  for (;;) {
    std::this_thread::sleep_for(kPollPeriod);
    if (std::all_of(workers.begin(), workers.end(), [](const auto& w) { return w->done(); })) break;
    spool_series(workers, collector, spool);
    const auto now = clock.now();
    if (!stopping && options.interrupted && options.interrupted()) {
      stopping = true;
      result.info.aborted = true;
      result.info.abort_reason = "interrupted";
      for (auto& worker : workers) worker->request_stop();
    }
    if (now < next_report) continue;
    next_report += std::chrono::seconds{1};
    if (!stopping && watch_thresholds) {
      std::string reason;
      if (abort_due(workers, plan, now - run_start, reason)) {
        stopping = true;
        result.info.aborted = true;
        result.info.abort_reason = "threshold crossed: " + reason;
        for (auto& worker : workers) worker->request_stop();
      }
    }
    if (options.on_progress) {
      LiveStats::Snapshot total;
      for (const auto& worker : workers) total.add(worker->live().snapshot());
      const double seconds = std::chrono::duration<double>(now - previous_at).count();
      Progress progress;
      progress.elapsed = now - run_start;
      progress.planned = planned;
      progress.vus = total.active_vus;
      progress.vus_max = total.allocated_vus;
      progress.requests = total.requests;
      progress.failed = total.failed;
      progress.requests_per_second =
          seconds > 0 ? static_cast<double>(total.requests - previous.requests) / seconds : 0;
      progress.p99_latency_us = total.percentile_since(previous, 99);
      options.on_progress(progress);
      previous = total;
      previous_at = now;
    }
  }
  for (auto& thread : pool) thread.join();
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
