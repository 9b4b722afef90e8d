// Building blocks for expectations: checks of a measured quantity against a bound or against the
// same quantity in another variant; the evidence quotes the numbers that decided.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "lab/experiment.hpp"

namespace loadlab::lab {

struct Quantity {
  std::string key;       // a measure() key
  std::string scenario;  // "" = all scenarios
  std::string label;     // how the evidence names it, e.g. "p99 of /api/fast"
  std::string unit;      // "ms", "%", "req/s", ""
};

enum class Relation { less, at_most, greater, at_least };

// One check on one variant's run; Outcome::skipped when a number is missing.
using Check = std::function<Verdict(const ExperimentMeasurements&, const std::string& variant)>;

// quantity REL bound
Check check_value(const Quantity& quantity, Relation relation, double bound);
// quantity REL factor x (other quantity, default the same) in another variant
Check check_versus(const Quantity& quantity, Relation relation, double factor,
                   const std::string& other_variant);
Check check_versus(const Quantity& quantity, Relation relation, double factor,
                   const std::string& other_variant, const Quantity& other_quantity);
// The mean of quantity over `runs` REL factor x its mean over `other_runs`, where the runs are
// the same two variants run more than once in turn (A B A B): a slow spell of the machine during
// one run then weighs half, and one that lasts weighs on both variants alike.
Check check_alternated(const Quantity& quantity, Relation relation, double factor,
                       const std::vector<std::string>& runs,
                       const std::vector<std::string>& other_runs);
// late p99 (last third of the run) REL factor x early p99 (first third): growth over the run.
Check check_p99_growth(Relation relation, double factor);

// Every check must hold: confirmed when all do, refuted when one fails, skipped when a run or a
// number is missing. Evidence lists every check's numbers.
Expectation expect(const std::string& variant, std::string claim, const std::vector<Check>& checks);

std::string format_quantity(double value, const std::string& unit);

}  // namespace loadlab::lab
