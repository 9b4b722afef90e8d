// The lab's result file (lab.json, "kind": "loadlab-lab"): every experiment's runs (generator
// digest and series, children's sampled series, restarts) and judged expectations.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "lab/experiment_runner.hpp"

namespace loadlab::lab {

struct LabRunInfo {
  std::string profile;     // "quick" or "full"
  std::string started_at;  // ISO-8601 UTC
  double elapsed_s = 0;
  std::string limit_mechanism;  // "cgroup-v1", ...
  std::string limit_description;
  std::vector<std::string> notes;  // e.g. why cgroup v2 was not used
  ResourceLimits limits;
};

// Read back for `loadlab report` and `loadlab compare` (expectations come back as judged).
struct StoredExperiment {
  std::string name, title, question, scenario;
  std::vector<RunMeasurements> runs;  // in the order they ran
  std::vector<JudgedExpectation> judged;
};
struct LabResult {
  LabRunInfo info;
  std::vector<StoredExperiment> experiments;
};

nlohmann::json lab_result_json(const LabRunInfo& info,
                               const std::vector<ExperimentResult>& results);
core::Expected<LabResult, std::string> lab_result_from_json(const nlohmann::json& json);

nlohmann::json run_measurements_json(const RunMeasurements& run);
RunMeasurements run_measurements_from_json(const nlohmann::json& json);

}  // namespace loadlab::lab
