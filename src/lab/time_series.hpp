// Aligned time series: one time axis (seconds) and named value columns; gaps are NaN (JSON null).
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace loadlab::lab {

class TimeSeries {
 public:
  // Appends one row; columns absent from `values` get NaN, new columns are back-filled with NaN.
  void append(double t, const std::map<std::string, double>& values);

  [[nodiscard]] const std::vector<double>& times() const noexcept { return times_; }
  [[nodiscard]] const std::map<std::string, std::vector<double>>& columns() const noexcept {
    return columns_;
  }
  [[nodiscard]] const std::vector<double>* column(const std::string& name) const;
  [[nodiscard]] std::size_t size() const noexcept { return times_.size(); }
  // Largest non-NaN value of a column (0 when it has none).
  [[nodiscard]] double max_of(const std::string& name) const;
  [[nodiscard]] double sum_of(const std::string& name) const;

  // {"t":[...], "columns":{"name":[v or null, ...]}}
  [[nodiscard]] nlohmann::json to_json() const;
  static TimeSeries from_json(const nlohmann::json& json);

 private:
  std::vector<double> times_;
  std::map<std::string, std::vector<double>> columns_;
};

}  // namespace loadlab::lab
