// k6 thresholds: `p(95)<500`, `p(99.9)<2000`, `avg`, `med`, `min`, `max`, `count`, `rate`,
// `value` with < <= > >= == !=, on metrics and tagged sub-metrics
// (`http_req_duration{scenario:cpu}`); parsing with clear errors, and evaluation on any source
// of metric values (a finished RunResult or the engine's running totals). Durations in ms.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "load/metric_catalog.hpp"

namespace loadlab::core {
class HdrHistogram;
}

namespace loadlab::load {

// `metric{tag:value,...}`; tags sorted by name so equal selectors have equal keys.
struct MetricSelector {
  std::string metric;
  std::vector<std::pair<std::string, std::string>> tags;

  // Checks the metric is known and each tag is recorded for it: "unknown metric 'foo'",
  // "tag 'bar' is not recorded for http_reqs (use scenario, name, ...)". `custom_tags` are the
  // tag names the plan's scenarios and requests declare (their `tags`); they select sub-metrics
  // of every metric that has a scenario tag, as in k6.
  static core::Expected<MetricSelector, std::string> parse(
      std::string_view text, std::span<const std::string> custom_tags = {});
  [[nodiscard]] std::string key() const;  // canonical text form
  friend bool operator==(const MetricSelector&, const MetricSelector&) = default;
};

enum class Aggregation { avg, min, max, med, percentile, count, rate, value };
enum class Comparison { less, less_equal, greater, greater_equal, equal, not_equal };

struct Threshold {
  std::string source;  // as written, e.g. "p(95)<500"
  Aggregation aggregation = Aggregation::avg;
  double percentile = 0;  // for Aggregation::percentile, in (0, 100]
  Comparison comparison = Comparison::less;
  double bound = 0;
  bool abort_on_fail = false;
  core::Duration delay_abort_eval{0};

  // Parses k6's expression syntax; whitespace allowed between the parts. Errors quote the
  // expression and say what was expected.
  static core::Expected<Threshold, std::string> parse(std::string_view expression);
  // "p(95)", "avg", ...
  [[nodiscard]] std::string aggregation_label() const;
  [[nodiscard]] bool holds(double observed) const noexcept;
  friend bool operator==(const Threshold&, const Threshold&) = default;
};

// The thresholds of one (sub-)metric, as under one key of k6's `thresholds` object.
struct MetricThresholds {
  MetricSelector selector;
  std::vector<Threshold> thresholds;
  friend bool operator==(const MetricThresholds&, const MetricThresholds&) = default;
};

// "p(95) is not available on http_reqs (a counter: use count or rate)" when the aggregation does
// not fit the metric's kind; the loader calls it for every threshold.
core::Expected<bool, std::string> check_applicable(const MetricSelector& selector,
                                                   const Threshold& threshold);

// What a (sub-)metric holds, as thresholds see it.
struct MetricValues {
  MetricKind kind = MetricKind::counter;
  // trend, in microseconds (may alias data owned elsewhere: use it while that lives)
  std::shared_ptr<const core::HdrHistogram> histogram;
  double count = 0;          // counter total / trend sample count / rate samples
  double per_second = 0;     // counter count per second of the run
  std::int64_t nonzero = 0;  // rate: samples that were true (failed requests, passed checks)
  double value = 0, min = 0, max = 0;  // gauge
};

// The observed value of threshold's aggregation (ms for trends); an error if not applicable.
core::Expected<double, std::string> observe(const MetricValues& values, const Threshold& threshold);

// Finds the values of a selector; nullopt when the metric has no data at all.
using MetricResolver = std::function<std::optional<MetricValues>(const MetricSelector&)>;

struct ThresholdOutcome {
  std::string metric;  // selector key
  std::string source;
  bool passed = true;
  std::optional<double> observed;  // none when the metric had no samples (counts as passed)
  bool abort_on_fail = false;
  friend bool operator==(const ThresholdOutcome&, const ThresholdOutcome&) = default;
};

// Evaluates every threshold; outcomes in declaration order.
[[nodiscard]] std::vector<ThresholdOutcome> evaluate_thresholds(
    const std::vector<MetricThresholds>& thresholds, const MetricResolver& resolve);

// During a run: true when an abortOnFail threshold whose delayAbortEval has passed
// (elapsed >= delay) fails now; reason names it ("http_req_duration: p(95)<500 failed").
[[nodiscard]] bool should_abort(const std::vector<MetricThresholds>& thresholds,
                                const MetricResolver& resolve, core::Duration elapsed,
                                std::string* reason = nullptr);

[[nodiscard]] bool all_passed(const std::vector<ThresholdOutcome>& outcomes) noexcept;

}  // namespace loadlab::load
