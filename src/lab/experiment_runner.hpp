// Runs an experiment's variants for real: starts the downstream and the target(s) as confined,
// supervised children, samples them, drives `loadlab run` against them, and judges expectations.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "lab/experiment.hpp"
#include "lab/resource_limits.hpp"

namespace loadlab::lab {

struct LabOptions {
  std::string loadlab_binary;  // the executable to start for `serve` and `run` (usually ourselves)
  std::string scenario_dir;    // scenarios/lab (quick) or scenarios/lab/full
  std::string out_dir;
  std::string db_url;  // postgresql://... shared by replicas; "" = each target's SQLite
  ResourceLimits limits;
  std::chrono::seconds load_deadline{600};  // a generator still running after this is killed
  std::function<void(const std::string&)> progress = [](const std::string&) {};
};

struct ExperimentResult {
  Experiment experiment;
  ExperimentMeasurements measured;
  std::vector<JudgedExpectation> judged;
};

class ExperimentRunner {
 public:
  ExperimentRunner(LabOptions options, ResourceLimiter& limiter);
  ExperimentResult run(const Experiment& experiment);

 private:
  RunMeasurements run_variant(const Experiment& experiment, const Variant& variant);

  LabOptions options_;
  ResourceLimiter& limiter_;
};

}  // namespace loadlab::lab
