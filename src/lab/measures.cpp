// Reading named numbers out of a run's measurements (pure; tested on constructed runs).
#include "lab/measures.hpp"

#include <algorithm>
#include <cmath>

namespace loadlab::lab {
namespace {

const report::ScenarioDigest* scenario_of(const RunMeasurements& run, const std::string& scenario) {
  if (scenario.empty()) return &run.load.total;
  for (const auto& entry : run.load.scenarios) {
    if (entry.name == scenario) return &entry;
  }
  return nullptr;
}

double status_count(const report::ScenarioDigest& digest, const std::string& which) {
  double count = 0;
  for (const auto& [status, n] : digest.statuses) {
    const bool match = which.size() == 3 && which[1] == 'x' ? (status / 100 == which[0] - '0')
                                                            : std::to_string(status) == which;
    if (match) count += static_cast<double>(n);
  }
  return count;
}

std::optional<double> series_max(const RunMeasurements& run, const std::string& child,
                                 const std::string& column) {
  const auto it = run.children.find(child);
  if (it == run.children.end() || it->second.column(column) == nullptr) return std::nullopt;
  return it->second.max_of(column);
}

std::optional<double> series_sum(const RunMeasurements& run, const std::string& column) {
  std::optional<double> sum;
  for (const auto& [name, series] : run.children) {
    if (series.column(column) == nullptr) continue;
    sum = sum.value_or(0) + series.sum_of(column);
  }
  return sum;
}

std::optional<double> p99_between(const RunMeasurements& run, double from_fraction,
                                  double to_fraction) {
  const auto& p99 = run.load.series.p99_ms;
  if (p99.size() < 3) return std::nullopt;
  const auto from =
      static_cast<std::size_t>(std::floor(from_fraction * static_cast<double>(p99.size())));
  const auto to =
      static_cast<std::size_t>(std::ceil(to_fraction * static_cast<double>(p99.size())));
  std::optional<double> worst;
  for (std::size_t i = from; i < std::min(to, p99.size()); ++i) {
    if (std::isfinite(p99[i])) worst = std::max(worst.value_or(0), p99[i]);
  }
  return worst;
}

// Values of the target's series while `scenario` was active: the lowest readiness (0 = failed at
// least once) or the RSS growth from the first to the last sample.
std::optional<double> in_window(const RunMeasurements& run, const std::string& what,
                                const std::string& scenario) {
  const auto window = run.windows.find(scenario);
  const auto it = run.children.find("target");
  if (window == run.windows.end() || it == run.children.end()) return std::nullopt;
  const auto* values = it->second.column(what == "ready_min" ? "ready" : "rss_mb");
  if (values == nullptr) return std::nullopt;
  const auto& times = it->second.times();
  std::vector<double> inside;
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (times[i] >= window->second.first && times[i] <= window->second.second &&
        std::isfinite((*values)[i])) {
      inside.push_back((*values)[i]);
    }
  }
  if (inside.empty()) return std::nullopt;
  if (what == "ready_min") return *std::min_element(inside.begin(), inside.end());
  return inside.back() - inside.front();
}

}  // namespace

std::optional<double> measure(const RunMeasurements& run, const std::string& key,
                              const std::string& scenario) {
  if (!run.ran) return std::nullopt;
  const auto colon = key.find(':');
  const std::string head = key.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : key.substr(colon + 1);

  if (head == "restarts") {
    double count = 0;
    for (const auto& restart : run.restarts) count += arg.empty() || restart.cause == arg ? 1 : 0;
    return count;
  }
  if (head == "peak_cpu") return series_max(run, "target", "cpu_cores");
  if (head == "peak_rss_mb") return series_max(run, "target", "rss_mb");
  if (head == "end_rss_mb" || head == "start_rss_mb") {
    const auto it = run.children.find("target");
    const auto* rss = it == run.children.end() ? nullptr : it->second.column("rss_mb");
    if (rss == nullptr) return std::nullopt;
    std::vector<double> values;
    for (const double v : *rss)
      if (std::isfinite(v)) values.push_back(v);
    if (values.empty()) return std::nullopt;
    return head == "end_rss_mb" ? values.back() : values.front();
  }
  if (head == "protection_events" || head == "shed" || head == "breaker_opened")
    return series_sum(run, head);
  if (head == "upstream") return series_sum(run, "upstream_" + arg);
  if (head == "server") return series_sum(run, "http_" + arg);
  if (head == "end") {
    const auto it = run.children.find("target");
    const auto* values = it == run.children.end() ? nullptr : it->second.column(arg);
    if (values == nullptr) return std::nullopt;
    for (auto v = values->rbegin(); v != values->rend(); ++v) {
      if (std::isfinite(*v)) return *v;
    }
    return std::nullopt;
  }
  if (head == "ready_min" || head == "rss_growth") return in_window(run, head, scenario);
  if (head == "breaker_max_state") return series_max(run, "target", "breaker_state");
  if (head == "peak_queue_ratio") return series_max(run, "target", "queue_ratio");
  if (head == "peak_pool_in_use") return series_max(run, "target", "pool_in_use");

  const auto* digest = scenario_of(run, scenario);
  if (digest == nullptr) return std::nullopt;
  if (head == "requests") return static_cast<double>(digest->requests);
  if (head == "throughput") return digest->throughput;
  if (head == "goodput") return digest->goodput;
  if (head == "error_rate") return digest->error_rate * 100;
  if (head == "dropped") return static_cast<double>(digest->dropped_iterations);
  if (digest->requests == 0 && head.size() > 3 && head.substr(head.size() - 3) == "_ms")
    return std::nullopt;
  if (head == "p50_ms") return digest->p50_ms;
  if (head == "p90_ms") return digest->p90_ms;
  if (head == "p95_ms") return digest->p95_ms;
  if (head == "p99_ms") return digest->p99_ms;
  if (head == "max_ms") return digest->max_ms;
  if (head == "mean_ms") return digest->mean_ms;
  if (head == "ok_p50_ms") return digest->ok_p50_ms;
  if (head == "ok_p95_ms") return digest->ok_p95_ms;
  if (head == "ok_p99_ms") return digest->ok_p99_ms;
  if (head == "status") return status_count(*digest, arg);
  if (head == "share") {
    if (digest->requests == 0) return std::nullopt;
    return status_count(*digest, arg) * 100 / static_cast<double>(digest->requests);
  }
  return std::nullopt;
}

std::optional<double> early_p99(const RunMeasurements& run) {
  return p99_between(run, 0, 1.0 / 3);
}
std::optional<double> late_p99(const RunMeasurements& run) {
  return p99_between(run, 2.0 / 3, 1);
}

}  // namespace loadlab::lab
