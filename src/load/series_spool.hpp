// Keeps a run's per-second series out of memory while the run goes on. Each worker's recorder
// streams its completed seconds (Recorder::stream_series); the SeriesCollector merges them across
// workers once every worker has moved past a second, and the SeriesSpool appends each released
// second to an anonymous temporary file. At the end the spool is read back into the result (where
// MetricsData::kMaxSeriesPoints bounds it), so a soak test's generator does not grow by ~26 KiB
// per second of test.
#pragma once

#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <vector>

#include "load/metrics_data.hpp"
#include "load/recorder.hpp"

namespace loadlab::load {

// One second merged across all workers, ready for MetricsData::add_series_point.
struct ReleasedSeriesPoint {
  std::int64_t second = 0;
  SeriesPoint point;
  MetricsData::Gauges gauges = MetricsData::Gauges::kLatest;
};

class SeriesCollector {
 public:
  static constexpr std::int64_t kFinished = std::numeric_limits<std::int64_t>::max();

  explicit SeriesCollector(std::size_t sources);

  // What source `source` streamed (oldest first), and the second it records now: nothing it
  // hands over later lies before `watermark` (kFinished once it has stopped).
  void add(std::size_t source, std::vector<TimedSeriesPoint> points, std::int64_t watermark);

  // The seconds every source has moved past, merged across sources, oldest first. A second
  // that arrives after its release (it should not) comes again with Gauges::kIgnore, so its
  // counts are kept and the gauges already released are not doubled.
  [[nodiscard]] std::vector<ReleasedSeriesPoint> take_released();

 private:
  // Per source, its seconds not yet released; a second handed over twice by one source is
  // merged with the later gauges (the same recorder sampled again).
  std::vector<std::map<std::int64_t, SeriesPoint>> pending_;
  std::vector<std::int64_t> watermarks_;
  std::int64_t released_before_ = 0;  // every second below this was released once
};

class SeriesSpool {
 public:
  // Throws std::runtime_error when no temporary file can be made (at start-up only).
  SeriesSpool();

  // Appends a released second. If the file cannot be written (disk full), the point is kept
  // in memory instead: nothing is lost, only the memory bound.
  void append(const ReleasedSeriesPoint& released);
  [[nodiscard]] std::size_t size() const noexcept { return appended_; }

  // Adds every appended second into data's series (coarsening past kMaxSeriesPoints).
  // Throws std::runtime_error if the file cannot be read back.
  void read_into(MetricsData& data) const;

 private:
  struct FileCloser {
    void operator()(std::FILE* file) const noexcept { std::fclose(file); }
  };
  std::unique_ptr<std::FILE, FileCloser> file_;
  std::vector<ReleasedSeriesPoint> in_memory_;  // only after a write failed
  std::size_t appended_ = 0;
};

}  // namespace loadlab::load
