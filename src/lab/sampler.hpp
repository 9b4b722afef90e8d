// Once a second, each lab child's CPU (cores used), RSS and /metrics values, kept as time series
// beside the load generator's; counters become increments per interval.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "lab/service_metrics.hpp"
#include "lab/supervisor.hpp"
#include "lab/time_series.hpp"

namespace loadlab::lab {

class Sampler {
 public:
  using Lookup = std::function<std::optional<ChildView>()>;

  // Times in the series are seconds since `origin`.
  Sampler(const core::Clock& clock, core::TimePoint origin);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // scrape_metrics: GET /metrics from the child's port (false for e.g. PostgreSQL);
  // readiness_path: also record column "ready" (1 when it answers 2xx, else 0).
  void add(std::string name, Lookup lookup, bool scrape_metrics = true,
           std::string readiness_path = "");
  void sample_once();
  void start(std::chrono::milliseconds interval = std::chrono::seconds(1));
  void stop();

  [[nodiscard]] std::map<std::string, TimeSeries> series() const;

 private:
  struct Watched {
    std::string name;
    Lookup lookup;
    bool scrape = true;
    std::string readiness_path;
    pid_t last_pid = -1;
    std::uint64_t last_ticks = 0;
    double last_t = 0;
    CounterDeltas counters;
    TimeSeries series;
  };
  void sample(Watched& child, double t);

  const core::Clock& clock_;
  core::TimePoint origin_;
  mutable std::mutex mutex_;
  std::vector<Watched> children_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace loadlab::lab
