// The lab's once-a-second sampling of children (CPU and RSS from /proc, values from /metrics).
#include "lab/sampler.hpp"

#include "lab/http_probe.hpp"
#include "lab/proc_stats.hpp"
#include "lab/service_metrics.hpp"

namespace loadlab::lab {

Sampler::Sampler(const core::Clock& clock, core::TimePoint origin)
    : clock_(clock), origin_(origin) {}

Sampler::~Sampler() {
  stop();
}

void Sampler::add(std::string name, Lookup lookup, bool scrape_metrics,
                  std::string readiness_path) {
  std::lock_guard lock(mutex_);
  Watched child;
  child.name = std::move(name);
  child.lookup = std::move(lookup);
  child.scrape = scrape_metrics;
  child.readiness_path = std::move(readiness_path);
  children_.push_back(std::move(child));
}

void Sampler::sample(Watched& child, double t) {
  std::map<std::string, double> row;
  const auto view = child.lookup();
  const bool alive = view && view->pid > 0;
  row["up"] = alive && view->running ? 1 : 0;
  row["restarts"] = view ? view->restarts : 0;
  if (alive) {
    if (const auto usage = read_process_usage(view->pid)) {
      row["rss_mb"] = static_cast<double>(usage->rss_bytes) / (1024.0 * 1024.0);
      // A new pid (restart) has no previous reading: its first CPU value is left as a gap.
      if (view->pid == child.last_pid && t > child.last_t) {
        const double seconds =
            static_cast<double>(usage->cpu_ticks - std::min(usage->cpu_ticks, child.last_ticks)) /
            static_cast<double>(clock_ticks_per_second());
        row["cpu_cores"] = seconds / (t - child.last_t);
      }
      child.last_pid = view->pid;
      child.last_ticks = usage->cpu_ticks;
      child.last_t = t;
    }
    if (!child.readiness_path.empty() && view->port > 0) {
      const auto reply = http_get("127.0.0.1", view->port, child.readiness_path,
                                  ProbeLimits{std::chrono::milliseconds(300), 1 << 20});
      row["ready"] = reply && reply->status >= 200 && reply->status < 300 ? 1 : 0;
    }
    if (child.scrape && view->port > 0 && view->running) {
      const auto reply = http_get("127.0.0.1", view->port, "/metrics",
                                  ProbeLimits{std::chrono::milliseconds(500), 8u << 20});
      if (reply && reply->status == 200) {
        if (const auto samples = parse_prometheus_text(reply->body)) {
          const auto reading = read_service_metrics(*samples);
          for (const auto& [name, value] : reading.gauges) row[name] = value;
          for (const auto& [name, value] : child.counters.advance(reading.counters))
            row[name] = value;
        }
      }
    }
  }
  child.series.append(t, row);
}

void Sampler::sample_once() {
  const double t = std::chrono::duration<double>(clock_.now() - origin_).count();
  std::lock_guard lock(mutex_);
  for (auto& child : children_) sample(child, t);
}

void Sampler::start(std::chrono::milliseconds interval) {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this, interval] {
    auto next = std::chrono::steady_clock::now();
    while (running_.load()) {
      sample_once();
      next += interval;
      while (running_.load() && std::chrono::steady_clock::now() < next) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
}

void Sampler::stop() {
  running_.store(false);
  if (thread_.joinable()) thread_.join();
}

std::map<std::string, TimeSeries> Sampler::series() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, TimeSeries> result;
  for (const auto& child : children_) result[child.name] = child.series;
  return result;
}

}  // namespace loadlab::lab
