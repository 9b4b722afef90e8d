// Aligned time series storage and its JSON form.
#include "lab/time_series.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace loadlab::lab {

namespace {
constexpr double kGap = std::numeric_limits<double>::quiet_NaN();
}

void TimeSeries::append(double t, const std::map<std::string, double>& values) {
  for (const auto& [name, value] : values) {
    auto& column = columns_[name];
    column.resize(times_.size(), kGap);
  }
  times_.push_back(t);
  for (auto& [name, column] : columns_) {
    const auto it = values.find(name);
    column.push_back(it == values.end() ? kGap : it->second);
  }
}

const std::vector<double>* TimeSeries::column(const std::string& name) const {
  const auto it = columns_.find(name);
  return it == columns_.end() ? nullptr : &it->second;
}

double TimeSeries::max_of(const std::string& name) const {
  double best = 0;
  bool any = false;
  if (const auto* values = column(name)) {
    for (const double v : *values) {
      if (std::isnan(v)) continue;
      best = any ? std::max(best, v) : v;
      any = true;
    }
  }
  return best;
}

double TimeSeries::sum_of(const std::string& name) const {
  double sum = 0;
  if (const auto* values = column(name)) {
    for (const double v : *values) {
      if (!std::isnan(v)) sum += v;
    }
  }
  return sum;
}

nlohmann::json TimeSeries::to_json() const {
  nlohmann::json columns = nlohmann::json::object();
  for (const auto& [name, values] : columns_) {
    auto array = nlohmann::json::array();
    for (const double v : values) {
      array.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr));
    }
    columns[name] = std::move(array);
  }
  return {{"t", times_}, {"columns", std::move(columns)}};
}

TimeSeries TimeSeries::from_json(const nlohmann::json& json) {
  TimeSeries series;
  series.times_ = json.at("t").get<std::vector<double>>();
  for (const auto& [name, values] : json.at("columns").items()) {
    auto& column = series.columns_[name];
    for (const auto& v : values) column.push_back(v.is_number() ? v.get<double>() : kGap);
    column.resize(series.times_.size(), kGap);
  }
  return series;
}

}  // namespace loadlab::lab
