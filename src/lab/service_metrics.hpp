// What the lab reads from a loadlab child's /metrics: protection state as gauges and events as
// counters (breaker state, shedding, pool use, queue ratio, responses by status, upstream results).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lab/prometheus_text.hpp"

namespace loadlab::lab {

struct ServiceReading {
  // breaker_state (0 closed, 1 open, 2 half-open; the worst dependency), queue_ratio, inflight,
  // pool_<state> (db_pool_connections by state), retained_mb.
  std::map<std::string, double> gauges;
  // Cumulative: http_<code>, http_2xx/4xx/5xx, shed (load_shed_total), upstream_<result>,
  // breaker_opened (transitions to open), protection_events (all rejections by a protection).
  std::map<std::string, double> counters;
};

ServiceReading read_service_metrics(const std::vector<PromSample>& samples);

// Turns successive cumulative readings into increments per interval; a counter that went down
// (the child restarted) counts from zero again instead of producing a negative increment.
class CounterDeltas {
 public:
  std::map<std::string, double> advance(const std::map<std::string, double>& totals);
  void reset() { previous_.clear(); }

 private:
  std::map<std::string, double> previous_;
};

}  // namespace loadlab::lab
