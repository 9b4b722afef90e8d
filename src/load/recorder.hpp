// Per-thread recorder of k6's metrics: one per worker, never shared, no locks. Each completed
// request, iteration and VU sample goes into MetricsData (per key and per second); take the data
// at the end (or a copy for abortOnFail checks) and merge the workers' data exactly.
#pragma once

#include <cstdint>

#include "core/clock.hpp"
#include "core/hdr_histogram.hpp"
#include "load/metrics_data.hpp"

namespace loadlab::load {

// One finished HTTP exchange (or failed attempt), as the engine measured it.
struct RequestSample {
  std::uint32_t scenario = 0;  // index into the plan's scenarios
  std::uint32_t request = 0;   // index into that scenario's requests
  int status = 0;              // 0 = no response (connect error, timeout, reset)
  bool failed = false;         // status not expected (http_req_failed)
  core::Duration duration{0};  // first byte sent .. last byte received (http_req_duration)
  core::Duration latency{0};   // intended start .. last byte (http_req_latency); closed: = duration
  // Phases, when measured (negative = not measured, not recorded).
  core::Duration connecting{-1};
  core::Duration sending{-1};
  core::Duration waiting{-1};
  core::Duration receiving{-1};
  std::int64_t bytes_sent = 0;
  std::int64_t bytes_received = 0;
  int checks_passed = 0;
  int checks_failed = 0;
};

class Recorder {
 public:
  // run_start anchors the per-second series (second s = [run_start + s, run_start + s + 1)).
  Recorder(std::vector<ScenarioNames> names, core::TimePoint run_start);

  // `now` is when the sample completed; it must not go backwards within one recorder.
  void record_request(const RequestSample& sample, core::TimePoint now);
  void record_iteration(std::uint32_t scenario, core::Duration iteration_duration,
                        core::TimePoint now);
  void record_interrupted_iteration(std::uint32_t scenario);
  void record_dropped_iterations(std::uint32_t scenario, std::int64_t count, core::TimePoint now);
  // Gauges: this worker's active and allocated VUs now (the last sample per second counts).
  void record_vus(std::int64_t active, std::int64_t allocated, core::TimePoint now);

  // Flushes the current second into the series; call before reading data().
  void flush();
  [[nodiscard]] const MetricsData& data() const noexcept { return data_; }
  // flush() then move the data out (the recorder is then empty but usable).
  [[nodiscard]] MetricsData take();

 private:
  SeriesPoint& point_at(core::TimePoint now);
  void roll_to(std::int64_t second);
  void flush_current();

  MetricsData data_;
  core::TimePoint run_start_;
  // The current second is recorded densely and stored sparsely when the next one begins.
  std::int64_t current_second_ = -1;
  SeriesPoint current_;
  core::HdrHistogram current_duration_;
  core::HdrHistogram current_latency_;
};

}  // namespace loadlab::load
