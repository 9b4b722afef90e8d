// Merging streamed series seconds across workers and spooling them to a temporary file.
#include "load/series_spool.hpp"

#include <stdio.h>  // getline

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace loadlab::load {

namespace {

const char* gauges_name(MetricsData::Gauges gauges) {
  switch (gauges) {
    case MetricsData::Gauges::kLatest:
      return "latest";
    case MetricsData::Gauges::kAdd:
      return "add";
    case MetricsData::Gauges::kIgnore:
      return "ignore";
  }
  return "latest";
}

MetricsData::Gauges gauges_from(const std::string& name) {
  if (name == "add") return MetricsData::Gauges::kAdd;
  if (name == "ignore") return MetricsData::Gauges::kIgnore;
  return MetricsData::Gauges::kLatest;
}

}  // namespace

SeriesCollector::SeriesCollector(std::size_t sources)
    : pending_(sources), watermarks_(sources, 0) {}

// NOLINTNEXTLINE(performance-unnecessary-value-param): its points are moved out
void SeriesCollector::add(std::size_t source, std::vector<TimedSeriesPoint> points,
                          std::int64_t watermark) {
  auto& held = pending_.at(source);
  for (auto& [second, point] : points) {
    auto [it, inserted] = held.try_emplace(second, std::move(point));
    if (!inserted) {
      it->second.merge(point);
      it->second.set_gauges_from(point);
    }
  }
  watermarks_[source] = std::max(watermarks_[source], watermark);
}

std::vector<ReleasedSeriesPoint> SeriesCollector::take_released() {
  const std::int64_t limit = *std::min_element(watermarks_.begin(), watermarks_.end());
  std::map<std::int64_t, SeriesPoint> merged;
  for (auto& held : pending_) {
    const auto end = held.lower_bound(limit);
    for (auto it = held.begin(); it != end; ++it) {
      auto [slot, inserted] = merged.try_emplace(it->first, std::move(it->second));
      if (!inserted) slot->second.merge(it->second);  // another worker: gauges add
    }
    held.erase(held.begin(), end);
  }
  std::vector<ReleasedSeriesPoint> out;
  out.reserve(merged.size());
  for (auto& [second, point] : merged) {
    const auto gauges =
        second < released_before_ ? MetricsData::Gauges::kIgnore : MetricsData::Gauges::kLatest;
    out.push_back({second, std::move(point), gauges});
  }
  if (!merged.empty()) released_before_ = std::max(released_before_, merged.rbegin()->first + 1);
  if (limit != kFinished) released_before_ = std::max(released_before_, limit);
  return out;
}

SeriesSpool::SeriesSpool() : file_(std::tmpfile()) {
  if (!file_) {
    throw std::runtime_error(std::string("cannot create a temporary file for the series: ") +
                             std::strerror(errno));
  }
}

void SeriesSpool::append(const ReleasedSeriesPoint& released) {
  ++appended_;
  if (in_memory_.empty()) {
    const nlohmann::json line = {{"t", released.second},
                                 {"gauges", gauges_name(released.gauges)},
                                 {"point", series_point_to_json(released.point)}};
    const std::string text = line.dump() + "\n";
    if (std::fwrite(text.data(), 1, text.size(), file_.get()) == text.size()) return;
  }
  in_memory_.push_back(released);
}

void SeriesSpool::read_into(MetricsData& data) const {
  std::FILE* file = file_.get();
  if (std::fflush(file) != 0 || std::fseek(file, 0, SEEK_SET) != 0) {
    throw std::runtime_error(std::string("cannot read the series back: ") + std::strerror(errno));
  }
  char* buffer = nullptr;
  std::size_t capacity = 0;
  std::size_t number = 0;
  std::string failure;
  for (ssize_t length; (length = ::getline(&buffer, &capacity, file)) > 0;) {
    ++number;
    const std::string path = "series spool line " + std::to_string(number);
    try {
      const auto json = nlohmann::json::parse(buffer, buffer + length);
      const SeriesPoint point = series_point_from_json(json.at("point"), path, data.names.size());
      data.add_series_point(json.at("t").get<std::int64_t>(), point,
                            gauges_from(json.at("gauges").get<std::string>()));
    } catch (const std::exception& error) {
      failure = path + ": " + error.what();
      break;
    }
  }
  std::free(buffer);
  if (!failure.empty()) throw std::runtime_error(failure);
  for (const auto& released : in_memory_) {
    data.add_series_point(released.second, released.point, released.gauges);
  }
  // Leave the file positioned for further appends.
  std::fseek(file, 0, SEEK_END);
}

}  // namespace loadlab::load
