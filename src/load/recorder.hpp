// Per-thread recorder of k6's metrics: one per worker, never shared, no locks. Each completed
// request, iteration and VU sample goes into MetricsData (per key and per second); take the data
// at the end (or a copy for abortOnFail checks) and merge the workers' data exactly.
#pragma once

#include <cstdint>

#include "core/clock.hpp"
#include "core/hdr_histogram.hpp"
#include "load/metrics_data.hpp"
#include "load/request_error.hpp"

namespace loadlab::load {

// One finished HTTP exchange (or failed attempt), as the engine measured it.
struct RequestSample {
  std::uint32_t scenario = 0;  // index into the plan's scenarios
  std::uint32_t request = 0;   // index into that scenario's requests
  int status = 0;              // 0 = no response (connect error, timeout, reset)
  bool failed = false;         // status not expected (http_req_failed)
  // Why there was no usable response (status 0).
  RequestError error = RequestError::none;
  core::Duration duration{0};  // first byte sent .. last byte received (http_req_duration)
  core::Duration latency{0};   // intended start .. last byte (http_req_latency); closed: = duration
  // Phases, when measured (negative = not measured, not recorded).
  core::Duration connecting{-1};
  core::Duration tls_handshaking{-1};
  core::Duration sending{-1};
  core::Duration waiting{-1};
  core::Duration receiving{-1};
  std::int64_t bytes_sent = 0;
  std::int64_t bytes_received = 0;
  int checks_passed = 0;
  int checks_failed = 0;
};

// A completed second of the series, as a streaming recorder hands it over.
struct TimedSeriesPoint {
  std::int64_t second = 0;  // run second: [run_start + second, run_start + second + 1)
  SeriesPoint point;
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

  // Streaming: from now on each completed second goes to take_streamed_series() instead of
  // data().series, so memory does not grow with the length of the run (the engine spools them).
  void stream_series() noexcept { streaming_ = true; }
  // The seconds completed since the last call, oldest first. A second is complete once a sample
  // of a later second arrived, or at flush(); flush() in the middle of a second may hand over
  // the same second twice (its later part then carries the later gauges).
  [[nodiscard]] std::vector<TimedSeriesPoint> take_streamed_series();

  // Flushes the current second into the series; call before reading data().
  void flush();
  [[nodiscard]] const MetricsData& data() const noexcept { return data_; }
  // flush() then move the data out (the recorder is then empty but usable).
  [[nodiscard]] MetricsData take();

 private:
  SeriesPoint& point_at(core::TimePoint now);
  void roll_to(std::int64_t second);
  void flush_current();

  // The current second's histograms, recorded densely and stored sparsely when the next second
  // begins: one pair per scenario when there are several (the total is their merge), else one.
  struct DenseShare {
    core::HdrHistogram duration;
    core::HdrHistogram latency;
    bool touched = false;
  };

  ScenarioPoint* share_of(std::uint32_t scenario);
  DenseShare& dense_share_of(std::uint32_t scenario);

  MetricsData data_;
  core::TimePoint run_start_;
  bool per_scenario_ = false;
  bool streaming_ = false;
  std::int64_t current_second_ = -1;
  SeriesPoint current_;
  std::vector<DenseShare> current_shares_;
  std::vector<TimedSeriesPoint> streamed_;
};

}  // namespace loadlab::load
