// Reading scenario windows and offered load out of a plan in scenario-file form.
#include "lab/plan_summary.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/duration.hpp"
#include "lab/expectations.hpp"

namespace loadlab::lab {
namespace {

double seconds_of(const nlohmann::json& scenario, const char* key) {
  if (!scenario.contains(key)) return 0;
  const auto& value = scenario[key];
  if (value.is_number()) return value.get<double>();
  if (!value.is_string()) return 0;
  const auto parsed = core::parse_duration(value.get<std::string>());
  return parsed ? std::chrono::duration<double>(*parsed).count() : 0;
}

}  // namespace

PlanSummary summarize_plan(const nlohmann::json& config) {
  PlanSummary summary;
  if (!config.is_object() || !config.contains("scenarios") || !config["scenarios"].is_object())
    return summary;
  for (const auto& [name, scenario] : config["scenarios"].items()) {
    const double start = seconds_of(scenario, "startTime");
    double length = seconds_of(scenario, "duration");
    double first_target = 0;
    double peak_target = 0;
    if (scenario.contains("stages")) {
      length = 0;
      for (const auto& stage : scenario["stages"]) {
        length += seconds_of(stage, "duration");
        peak_target = std::max(peak_target, stage.value("target", 0.0));
      }
    }
    if (length == 0) length = seconds_of(scenario, "maxDuration");
    summary.windows[name] = {start, start + length};
    const auto executor = scenario.value("executor", std::string());
    const double time_unit = std::max(
        1e-9, seconds_of(scenario, "timeUnit") > 0 ? seconds_of(scenario, "timeUnit") : 1.0);
    std::string offered;
    if (executor == "constant-arrival-rate") {
      const double rate = scenario.value("rate", 0.0) / time_unit;
      offered = format_quantity(rate, "req/s") + " open";
      summary.peak_offered_rps += rate;
    } else if (executor == "ramping-arrival-rate") {
      first_target = scenario.value("startRate", 0.0) / time_unit;
      offered = format_quantity(first_target, "") + "->" +
                format_quantity(peak_target / time_unit, "req/s") + " open";
      summary.peak_offered_rps += std::max(first_target, peak_target / time_unit);
    } else if (executor == "ramping-vus") {
      offered = std::to_string(scenario.value("startVUs", 1)) + "->" +
                std::to_string(static_cast<long>(peak_target)) + " VUs closed";
    } else {
      offered = std::to_string(scenario.value("vus", 1)) + " VUs closed";
    }
    summary.offered_load += (summary.offered_load.empty() ? "" : "; ") + name + ": " + offered;
  }
  return summary;
}

}  // namespace loadlab::lab
