// What a load plan offered (from the `config` of a run result): each scenario's active window and
// a one-line description of the offered load.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>

namespace loadlab::lab {

struct PlanSummary {
  std::map<std::string, std::pair<double, double>> windows;  // scenario -> [start, end] seconds
  std::string offered_load;     // "cascade: 10 req/s open; bystander: 5 req/s open"
  double peak_offered_rps = 0;  // sum of the open scenarios' highest planned rates
};

PlanSummary summarize_plan(const nlohmann::json& config);

}  // namespace loadlab::lab
