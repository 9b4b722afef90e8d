// A small parser for the Prometheus text exposition format (0.0.4), enough to read a child's
// /metrics: samples with labels and values; HELP/TYPE lines and timestamps are skipped.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace loadlab::lab {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Errors name the line: "line 7: expected '=' after label name".
core::Expected<std::vector<PromSample>, std::string> parse_prometheus_text(std::string_view text);

// Sum of the samples called `name` whose labels include every pair of `match`.
double sum_samples(const std::vector<PromSample>& samples, std::string_view name,
                   const std::map<std::string, std::string>& match = {});
// Sums of `name` grouped by the value of one label.
std::map<std::string, double> sum_by_label(const std::vector<PromSample>& samples,
                                           std::string_view name, const std::string& label);
bool has_metric(const std::vector<PromSample>& samples, std::string_view name);

}  // namespace loadlab::lab
