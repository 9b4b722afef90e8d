// What an experiment is (variants of the target to run, a load scenario, expectations) and what a
// run of one variant measured; expectations are judged from measurements, never from fixed text.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lab/time_series.hpp"
#include "report/html_run_digest.hpp"

namespace loadlab::lab {

// One way to run the target for an experiment, e.g. {"naked", "naked", "threaded", 4}.
struct Variant {
  std::string label;    // "naked", "protected", "naked (async)", "naked x3 replicas"
  std::string protect;  // --protect value: "naked" or "protected"
  std::string model = "async";
  int workers = 0;   // threaded model: --workers
  int replicas = 1;  // > 1 needs a shared PostgreSQL
  bool needs_postgres = false;
};

struct RestartEvent {
  std::string child;
  double t = 0;       // seconds since the start of the run
  std::string cause;  // "oom-kill", "signal", "exit-code"
  std::string detail;
};

// Everything measured while one variant ran.
struct RunMeasurements {
  std::string variant;
  std::string model;
  bool ran = false;
  std::string skipped_reason;  // why it did not run (e.g. no PostgreSQL)
  std::string offered_load;    // from the plan: "50 req/s (open)", "ramping to 20 VUs (closed)"
  double offered_rps = 0;      // planned arrivals per second for open models (0: closed)
  report::RunDigest load;      // the generator's result
  std::map<std::string, TimeSeries> children;  // sampler series per child ("target", "downstream")
  std::vector<RestartEvent> restarts;
  // When each scenario of the plan was active, seconds since the start of the run.
  std::map<std::string, std::pair<double, double>> windows;
  std::vector<std::string> errors;  // what went wrong in the orchestration itself
};

enum class Outcome { confirmed, refuted, skipped };
std::string_view to_string(Outcome outcome) noexcept;

struct Verdict {
  Outcome outcome = Outcome::skipped;
  std::string evidence;  // the measured numbers the verdict rests on
};

// All runs of one experiment, by variant label.
struct ExperimentMeasurements {
  std::map<std::string, RunMeasurements> runs;
  [[nodiscard]] const RunMeasurements* find(const std::string& variant) const;
};

struct Expectation {
  std::string variant;  // the run it is about ("naked", "protected", ...)
  std::string claim;    // what the seed (or the spec) says should happen
  std::function<Verdict(const ExperimentMeasurements&)> judge;
};

struct Experiment {
  std::string name;      // "cpu-stress"
  std::string title;     // "2. CPU stress"
  std::string question;  // what the experiment shows, one sentence
  std::string scenario;  // file name under scenarios/lab/ (quick) and scenarios/lab/full/
  std::vector<Variant> variants;
  bool needs_downstream = false;
  std::string downstream_faults;         // JSON for PUT /admin/faults, "" = none
  std::vector<std::string> target_args;  // extra `loadlab serve` flags
  std::vector<Expectation> expectations;
};

struct JudgedExpectation {
  std::string variant;
  std::string claim;
  Verdict verdict;
};
// Judges every expectation; a judge that throws is reported as refuted with the message.
std::vector<JudgedExpectation> judge_all(const Experiment& experiment,
                                         const ExperimentMeasurements& measured);

}  // namespace loadlab::lab
