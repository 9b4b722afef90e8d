// Expectation checks and their evidence text (pure; tested on constructed measurements).
#include "lab/expectations.hpp"

#include <cmath>
#include <cstdio>

#include "core/expected.hpp"
#include "lab/measures.hpp"

namespace loadlab::lab {
namespace {

const char* symbol(Relation relation) {
  switch (relation) {
    case Relation::less:
      return "<";
    case Relation::at_most:
      return "<=";
    case Relation::greater:
      return ">";
    case Relation::at_least:
      return ">=";
  }
  return "?";
}

bool holds(double left, Relation relation, double right) {
  switch (relation) {
    case Relation::less:
      return left < right;
    case Relation::at_most:
      return left <= right;
    case Relation::greater:
      return left > right;
    case Relation::at_least:
      return left >= right;
  }
  return false;
}

Verdict missing(const std::string& what) {
  return {Outcome::skipped, what + " not measured"};
}

const RunMeasurements* ran(const ExperimentMeasurements& measured, const std::string& variant,
                           std::string& why) {
  const auto* run = measured.find(variant);
  if (run == nullptr) {
    why = "variant '" + variant + "' was not run";
    return nullptr;
  }
  if (!run->ran) {
    why = variant + " did not run: " + run->skipped_reason;
    return nullptr;
  }
  return run;
}

}  // namespace

std::string format_quantity(double value, const std::string& unit) {
  char text[64];
  if (unit.empty() && value == std::round(value) && std::fabs(value) < 1e15) {
    std::snprintf(text, sizeof(text), "%.0f", value);  // counts read better without decimals
    return text;
  }
  const double magnitude = std::fabs(value);
  const int decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2;
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return unit.empty() ? std::string(text) : std::string(text) + (unit == "%" ? "" : " ") + unit;
}

Check check_value(const Quantity& quantity, Relation relation, double bound) {
  return [quantity, relation, bound](const ExperimentMeasurements& measured,
                                     const std::string& variant) -> Verdict {
    std::string why;
    const auto* run = ran(measured, variant, why);
    if (run == nullptr) return {Outcome::skipped, why};
    const auto value = measure(*run, quantity.key, quantity.scenario);
    if (!value) return missing(quantity.label);
    const bool ok = holds(*value, relation, bound);
    return {ok ? Outcome::confirmed : Outcome::refuted,
            quantity.label + " = " + format_quantity(*value, quantity.unit) + " (expected " +
                symbol(relation) + " " + format_quantity(bound, quantity.unit) + ")"};
  };
}

Check check_versus(const Quantity& quantity, Relation relation, double factor,
                   const std::string& other_variant, const Quantity& other_quantity) {
  return [=](const ExperimentMeasurements& measured, const std::string& variant) -> Verdict {
    std::string why;
    const auto* run = ran(measured, variant, why);
    const auto* other = run ? ran(measured, other_variant, why) : nullptr;
    if (run == nullptr || other == nullptr) return {Outcome::skipped, why};
    const auto value = measure(*run, quantity.key, quantity.scenario);
    const auto reference = measure(*other, other_quantity.key, other_quantity.scenario);
    if (!value) return missing(quantity.label);
    if (!reference) return missing(other_variant + " " + other_quantity.label);
    const bool ok = holds(*value, relation, factor * *reference);
    std::string bound =
        factor == 1 ? other_variant + "'s " + format_quantity(*reference, other_quantity.unit)
                    : format_quantity(factor, "") + " x " + other_variant + "'s " +
                          format_quantity(*reference, other_quantity.unit);
    return {ok ? Outcome::confirmed : Outcome::refuted,
            quantity.label + " = " + format_quantity(*value, quantity.unit) + " (expected " +
                symbol(relation) + " " + bound + ")"};
  };
}

Check check_versus(const Quantity& quantity, Relation relation, double factor,
                   const std::string& other_variant) {
  return check_versus(quantity, relation, factor, other_variant, quantity);
}

namespace {
// The mean of quantity over the runs, and how the evidence shows it ("mean of naked 56482 req/s
// and naked (2nd run) 60100 req/s"), or the verdict to give when a run or a number is missing.
struct RunsMean {
  double mean = 0;
  std::string shown;
};
core::Expected<RunsMean, Verdict> mean_over(const ExperimentMeasurements& measured,
                                            const Quantity& quantity,
                                            const std::vector<std::string>& runs) {
  RunsMean result;
  for (const auto& label : runs) {
    std::string why;
    const auto* run = ran(measured, label, why);
    if (run == nullptr) return core::unexpected(Verdict{Outcome::skipped, why});
    const auto value = measure(*run, quantity.key, quantity.scenario);
    if (!value) return core::unexpected(missing(label + " " + quantity.label));
    result.mean += *value / static_cast<double>(runs.size());
    result.shown += (result.shown.empty() ? "" : " and ") + label + " " +
                    format_quantity(*value, quantity.unit);
  }
  if (runs.size() > 1) result.shown = "mean of " + result.shown;
  return result;
}
}  // namespace

Check check_alternated(const Quantity& quantity, Relation relation, double factor,
                       const std::vector<std::string>& runs,
                       const std::vector<std::string>& other_runs) {
  return [=](const ExperimentMeasurements& measured, const std::string&) -> Verdict {
    if (runs.empty() || other_runs.empty()) return {Outcome::skipped, "no runs to compare"};
    const auto value = mean_over(measured, quantity, runs);
    if (!value) return value.error();
    const auto reference = mean_over(measured, quantity, other_runs);
    if (!reference) return reference.error();
    const bool ok = holds(value->mean, relation, factor * reference->mean);
    return {ok ? Outcome::confirmed : Outcome::refuted,
            quantity.label + " = " + format_quantity(value->mean, quantity.unit) + ", " +
                value->shown + " (expected " + symbol(relation) + " " +
                (factor == 1 ? "" : format_quantity(factor, "") + " x ") +
                format_quantity(reference->mean, quantity.unit) + ", " + reference->shown + ")"};
  };
}

Check check_p99_growth(Relation relation, double factor) {
  return [=](const ExperimentMeasurements& measured, const std::string& variant) -> Verdict {
    std::string why;
    const auto* run = ran(measured, variant, why);
    if (run == nullptr) return {Outcome::skipped, why};
    const auto early = early_p99(*run);
    const auto late = late_p99(*run);
    if (!early || !late) return missing("p99 per second");
    const bool ok = holds(*late, relation, factor * *early);
    return {ok ? Outcome::confirmed : Outcome::refuted,
            "worst p99 per second: " + format_quantity(*early, "ms") + " in the first third, " +
                format_quantity(*late, "ms") + " in the last (expected last " + symbol(relation) +
                " " + format_quantity(factor, "") + " x first)"};
  };
}

Expectation expect(const std::string& variant, std::string claim,
                   const std::vector<Check>& checks) {
  Expectation expectation;
  expectation.variant = variant;
  expectation.claim = std::move(claim);
  expectation.judge = [variant, checks](const ExperimentMeasurements& measured) -> Verdict {
    Verdict combined{Outcome::confirmed, ""};
    for (const auto& check : checks) {
      const auto verdict = check(measured, variant);
      combined.evidence += (combined.evidence.empty() ? "" : "; ") + verdict.evidence;
      if (verdict.outcome == Outcome::skipped && combined.outcome == Outcome::confirmed)
        combined.outcome = Outcome::skipped;
      if (verdict.outcome == Outcome::refuted) combined.outcome = Outcome::refuted;
    }
    return combined;
  };
  return expectation;
}

std::string_view to_string(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::confirmed:
      return "confirmed";
    case Outcome::refuted:
      return "refuted";
    case Outcome::skipped:
      return "skipped";
  }
  return "skipped";
}

const RunMeasurements* ExperimentMeasurements::find(const std::string& variant) const {
  const auto it = runs.find(variant);
  return it == runs.end() ? nullptr : &it->second;
}

std::vector<JudgedExpectation> judge_all(const Experiment& experiment,
                                         const ExperimentMeasurements& measured) {
  std::vector<JudgedExpectation> judged;
  for (const auto& expectation : experiment.expectations) {
    Verdict verdict;
    try {
      verdict = expectation.judge(measured);
    } catch (const std::exception& error) {
      verdict = {Outcome::refuted, std::string("could not be judged: ") + error.what()};
    }
    judged.push_back({expectation.variant, expectation.claim, verdict});
  }
  return judged;
}

}  // namespace loadlab::lab
