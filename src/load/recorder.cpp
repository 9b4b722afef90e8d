// Recording samples into per-key totals, histograms and the per-second series.
#include "load/recorder.hpp"

#include <algorithm>

namespace loadlab::load {

namespace {
std::int64_t micros(core::Duration d) {
  return std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}
}  // namespace

Recorder::Recorder(std::vector<ScenarioNames> names, core::TimePoint run_start)
    : data_(std::move(names)),
      run_start_(run_start),
      current_duration_(SparseHistogram::make_dense()),
      current_latency_(SparseHistogram::make_dense()) {}

SeriesPoint& Recorder::point_at(core::TimePoint now) {
  const auto offset = now - run_start_;
  const std::int64_t second =
      offset.count() <= 0 ? 0 : std::chrono::duration_cast<std::chrono::seconds>(offset).count();
  if (second != current_second_) roll_to(second);
  return current_;
}

void Recorder::roll_to(std::int64_t second) {
  flush_current();
  current_second_ = second;
}

void Recorder::flush_current() {
  if (current_second_ < 0) return;
  while (current_second_ / data_.series_interval_seconds >=
         static_cast<std::int64_t>(MetricsData::kMaxSeriesPoints)) {
    data_.coarsen_series_to(data_.series_interval_seconds * 2);
  }
  const auto index = static_cast<std::size_t>(current_second_ / data_.series_interval_seconds);
  if (data_.series.size() <= index) data_.series.resize(index + 1);
  current_.duration = SparseHistogram::from(current_duration_);
  current_.latency = SparseHistogram::from(current_latency_);
  SeriesPoint& point = data_.series[index];
  // Gauges: within one recorder the latest sample wins; merge() adds across recorders.
  const std::int64_t vus = current_.vus;
  const std::int64_t vus_max = current_.vus_max;
  point.merge(current_);
  point.vus = vus;
  point.vus_max = vus_max;

  SeriesPoint next;
  next.vus = vus;  // gauges persist until sampled again
  next.vus_max = vus_max;
  current_ = std::move(next);
  current_duration_.reset();
  current_latency_.reset();
  current_second_ = -1;
}

void Recorder::record_request(const RequestSample& sample, core::TimePoint now) {
  SeriesPoint& point = point_at(now);
  const std::int64_t duration_us = micros(sample.duration);
  const std::int64_t latency_us = micros(sample.latency);

  RequestStats& stats = data_.requests[RequestKey{sample.scenario, sample.request, sample.status}];
  stats.requests += 1;
  stats.failed += sample.failed ? 1 : 0;
  stats.bytes_sent += sample.bytes_sent;
  stats.bytes_received += sample.bytes_received;
  stats.checks_passed += sample.checks_passed;
  stats.checks_failed += sample.checks_failed;
  stats.duration.record(duration_us);
  stats.latency.record(latency_us);

  if (sample.connecting.count() >= 0) data_.connecting.record(micros(sample.connecting));
  if (sample.sending.count() >= 0) data_.sending.record(micros(sample.sending));
  if (sample.waiting.count() >= 0) data_.waiting.record(micros(sample.waiting));
  if (sample.receiving.count() >= 0) data_.receiving.record(micros(sample.receiving));

  point.requests += 1;
  point.failed += sample.failed ? 1 : 0;
  point.bytes_sent += sample.bytes_sent;
  point.bytes_received += sample.bytes_received;
  point.checks_passed += sample.checks_passed;
  point.checks_failed += sample.checks_failed;
  current_duration_.record(duration_us);
  current_latency_.record(latency_us);
}

void Recorder::record_iteration(std::uint32_t scenario, core::Duration iteration_duration,
                                core::TimePoint now) {
  SeriesPoint& point = point_at(now);
  if (scenario >= data_.scenarios.size()) data_.scenarios.resize(scenario + 1);
  data_.scenarios[scenario].iterations += 1;
  data_.scenarios[scenario].iteration_duration.record(micros(iteration_duration));
  point.iterations += 1;
}

void Recorder::record_interrupted_iteration(std::uint32_t scenario) {
  if (scenario >= data_.scenarios.size()) data_.scenarios.resize(scenario + 1);
  data_.scenarios[scenario].interrupted += 1;
}

void Recorder::record_dropped_iterations(std::uint32_t scenario, std::int64_t count,
                                         core::TimePoint now) {
  if (count <= 0) return;
  SeriesPoint& point = point_at(now);
  if (scenario >= data_.scenarios.size()) data_.scenarios.resize(scenario + 1);
  data_.scenarios[scenario].dropped_iterations += count;
  point.dropped_iterations += count;
}

void Recorder::record_vus(std::int64_t active, std::int64_t allocated, core::TimePoint now) {
  SeriesPoint& point = point_at(now);
  point.vus = active;
  point.vus_max = allocated;
}

void Recorder::flush() { flush_current(); }

MetricsData Recorder::take() {
  flush_current();
  MetricsData out = std::move(data_);
  data_ = MetricsData(out.names);
  current_ = SeriesPoint{};
  return out;
}

}  // namespace loadlab::load
