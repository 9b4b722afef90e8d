// Extraction of the lab's chart values from a parsed /metrics scrape (pure; tested on fixed text).
#include "lab/service_metrics.hpp"

#include <algorithm>

namespace loadlab::lab {

ServiceReading read_service_metrics(const std::vector<PromSample>& samples) {
  ServiceReading reading;
  auto& gauges = reading.gauges;
  auto& counters = reading.counters;
  if (has_metric(samples, "circuit_breaker_state")) {
    double worst = 0;
    for (const auto& [dependency, state] :
         sum_by_label(samples, "circuit_breaker_state", "dependency")) {
      worst = std::max(worst, state);  // open (1) and half-open (2) both mean "not closed"
    }
    gauges["breaker_state"] = worst;
  }
  if (has_metric(samples, "queue_ratio"))
    gauges["queue_ratio"] = sum_samples(samples, "queue_ratio");
  if (has_metric(samples, "http_inflight_requests"))
    gauges["inflight"] = sum_samples(samples, "http_inflight_requests");
  if (has_metric(samples, "memory_retained_bytes")) {
    gauges["retained_mb"] = sum_samples(samples, "memory_retained_bytes") / (1024.0 * 1024.0);
  }
  for (const auto& [state, value] : sum_by_label(samples, "db_pool_connections", "state")) {
    gauges["pool_" + state] = value;
  }

  for (const auto& [status, value] : sum_by_label(samples, "http_requests_total", "status")) {
    counters["http_" + status] += value;
    if (!status.empty()) counters["http_" + status.substr(0, 1) + "xx"] += value;
  }
  const double shed = sum_samples(samples, "load_shed_total");
  if (has_metric(samples, "load_shed_total")) counters["shed"] = shed;
  double upstream_rejections = 0;
  for (const auto& [result, value] : sum_by_label(samples, "upstream_requests_total", "result")) {
    counters["upstream_" + result] = value;
    if (result == "breaker_open") upstream_rejections += value;  // "shed" is in load_shed_total
  }
  if (has_metric(samples, "circuit_breaker_transitions_total")) {
    counters["breaker_opened"] =
        sum_samples(samples, "circuit_breaker_transitions_total", {{"to", "open"}});
  }
  // Every rejection a protection made: shedding, breaker fast-fails, and any *_rejected_total
  // counter (bulkheads, memory admission, queue limits) the service exports.
  double rejected_elsewhere = 0;
  for (const auto& sample : samples) {
    const auto& name = sample.name;
    if (name.size() > 15 && name.compare(name.size() - 15, 15, "_rejected_total") == 0) {
      rejected_elsewhere += sample.value;
    }
  }
  counters["protection_events"] = shed + upstream_rejections + rejected_elsewhere;
  return reading;
}

std::map<std::string, double> CounterDeltas::advance(const std::map<std::string, double>& totals) {
  std::map<std::string, double> deltas;
  for (const auto& [name, total] : totals) {
    const auto it = previous_.find(name);
    if (it == previous_.end()) {
      deltas[name] = 0;  // the first reading is the baseline
    } else {
      deltas[name] = total >= it->second ? total - it->second : total;
    }
    previous_[name] = total;
  }
  return deltas;
}

}  // namespace loadlab::lab
