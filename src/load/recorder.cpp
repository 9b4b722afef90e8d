// Recording samples into per-key totals, histograms and the per-second series.
#include "load/recorder.hpp"

#include <algorithm>

namespace loadlab::load {

namespace {
std::int64_t micros(core::Duration d) {
  return std::max<std::int64_t>(0,
                                std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}
}  // namespace

Recorder::Recorder(std::vector<ScenarioNames> names, core::TimePoint run_start)
    : data_(std::move(names)), run_start_(run_start), per_scenario_(data_.names.size() > 1) {
  current_shares_.resize(per_scenario_ ? data_.names.size() : 1);
  for (auto& share : current_shares_) {
    share.duration = SparseHistogram::make_dense();
    share.latency = SparseHistogram::make_dense();
  }
}

SeriesPoint& Recorder::point_at(core::TimePoint now) {
  const auto offset = now - run_start_;
  const std::int64_t second =
      offset.count() <= 0 ? 0 : std::chrono::duration_cast<std::chrono::seconds>(offset).count();
  if (second != current_second_) roll_to(second);
  return current_;
}

ScenarioPoint* Recorder::share_of(std::uint32_t scenario) {
  if (!per_scenario_) return nullptr;
  if (current_.by_scenario.size() <= scenario) current_.by_scenario.resize(scenario + 1);
  return &current_.by_scenario[scenario];
}

Recorder::DenseShare& Recorder::dense_share_of(std::uint32_t scenario) {
  if (!per_scenario_) return current_shares_.front();
  while (current_shares_.size() <= scenario) {
    current_shares_.push_back(
        {SparseHistogram::make_dense(), SparseHistogram::make_dense(), false});
  }
  return current_shares_[scenario];
}

void Recorder::roll_to(std::int64_t second) {
  flush_current();
  current_second_ = second;
}

void Recorder::flush_current() {
  if (current_second_ < 0) return;
  if (per_scenario_ && current_.by_scenario.size() < current_shares_.size()) {
    current_.by_scenario.resize(current_shares_.size());
  }
  for (std::size_t i = 0; i < current_shares_.size(); ++i) {
    DenseShare& dense = current_shares_[i];
    if (!dense.touched) continue;
    SparseHistogram duration = SparseHistogram::from(dense.duration);
    SparseHistogram latency = SparseHistogram::from(dense.latency);
    current_.duration.merge(duration);
    current_.latency.merge(latency);
    if (per_scenario_) {
      current_.by_scenario[i].duration = std::move(duration);
      current_.by_scenario[i].latency = std::move(latency);
    }
    dense.duration.reset();
    dense.latency.reset();
    dense.touched = false;
  }
  const std::int64_t vus = current_.vus;
  const std::int64_t vus_max = current_.vus_max;
  if (streaming_) {
    streamed_.push_back({current_second_, std::move(current_)});
  } else {
    // Within one recorder the latest gauge sample wins; merge() adds across recorders.
    data_.add_series_point(current_second_, current_, MetricsData::Gauges::kLatest);
  }

  SeriesPoint next;
  next.vus = vus;  // gauges persist until sampled again
  next.vus_max = vus_max;
  current_ = std::move(next);
  current_second_ = -1;
}

std::vector<TimedSeriesPoint> Recorder::take_streamed_series() {
  std::vector<TimedSeriesPoint> out;
  out.swap(streamed_);
  return out;
}

void Recorder::record_request(const RequestSample& sample, core::TimePoint now) {
  SeriesPoint& point = point_at(now);
  const std::int64_t duration_us = micros(sample.duration);
  const std::int64_t latency_us = micros(sample.latency);

  RequestStats& stats =
      data_.requests[RequestKey{sample.scenario, sample.request, sample.status, sample.error}];
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
  if (sample.tls_handshaking.count() >= 0) {
    data_.tls_handshaking.record(micros(sample.tls_handshaking));
  }

  point.requests += 1;
  point.failed += sample.failed ? 1 : 0;
  point.bytes_sent += sample.bytes_sent;
  point.bytes_received += sample.bytes_received;
  point.checks_passed += sample.checks_passed;
  point.checks_failed += sample.checks_failed;
  if (ScenarioPoint* share = share_of(sample.scenario)) {
    share->requests += 1;
    share->failed += sample.failed ? 1 : 0;
  }
  DenseShare& dense = dense_share_of(sample.scenario);
  dense.duration.record(duration_us);
  dense.latency.record(latency_us);
  dense.touched = true;
}

void Recorder::record_iteration(std::uint32_t scenario, core::Duration iteration_duration,
                                core::TimePoint now) {
  SeriesPoint& point = point_at(now);
  if (scenario >= data_.scenarios.size()) data_.scenarios.resize(scenario + 1);
  data_.scenarios[scenario].iterations += 1;
  data_.scenarios[scenario].iteration_duration.record(micros(iteration_duration));
  point.iterations += 1;
  if (ScenarioPoint* share = share_of(scenario)) share->iterations += 1;
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
  if (ScenarioPoint* share = share_of(scenario)) share->dropped_iterations += count;
}

void Recorder::record_vus(std::int64_t active, std::int64_t allocated, core::TimePoint now) {
  SeriesPoint& point = point_at(now);
  point.vus = active;
  point.vus_max = allocated;
}

void Recorder::flush() {
  flush_current();
}

MetricsData Recorder::take() {
  flush_current();
  MetricsData out = std::move(data_);
  data_ = MetricsData(out.names);
  current_ = SeriesPoint{};
  return out;
}

}  // namespace loadlab::load
