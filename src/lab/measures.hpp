// Named numbers read from a run's measurements ("p99_ms", "status:503", "restarts:oom-kill",
// "peak_rss_mb", ...), optionally for one scenario of the load; expectations are written in them.
#pragma once

#include <optional>
#include <string>

#include "lab/experiment.hpp"

namespace loadlab::lab {

// Keys (scenario-level keys read the named scenario when `scenario` is not empty):
//   requests, throughput, goodput, error_rate (%), p50_ms, p90_ms, p95_ms, p99_ms, max_ms,
//   mean_ms, dropped, status:<code>, status:0 (no response), status:5xx, share:<code> and share:5xx
//   (% of requests), ok_p50_ms/ok_p95_ms/ok_p99_ms (answered 1xx..3xx only),
//   ready_min and rss_growth (the target's readiness and RSS while that scenario was active)
// Run-level keys: restarts, restarts:<cause>, peak_cpu (cores), peak_rss_mb, end_rss_mb,
//   protection_events, shed, breaker_opened, breaker_max_state, upstream:<result>,
//   server:<status or class> (responses counted by the target), peak_queue_ratio, peak_pool_in_use,
//   end:<column> (last value of the target's series, e.g. end:breaker_state).
// nullopt when the run has no such number (the scenario or the series is missing).
std::optional<double> measure(const RunMeasurements& run, const std::string& key,
                              const std::string& scenario = "");

// p99 (ms) of the load's per-second series in the first and the last third of the run.
std::optional<double> early_p99(const RunMeasurements& run);
std::optional<double> late_p99(const RunMeasurements& run);

}  // namespace loadlab::lab
