// Parsing and judging k6 threshold expressions.
#include "load/threshold.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/hdr_histogram.hpp"

namespace loadlab::load {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

bool parse_number(std::string_view text, double& out) {
  text = trim(text);
  if (text.empty()) return false;
  if (text.front() == '+') text.remove_prefix(1);
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc{} && ptr == end && std::isfinite(out);
}

std::string join(std::span<const std::string_view> names) {
  std::string out;
  for (auto name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string_view kind_hint(MetricKind kind) {
  switch (kind) {
    case MetricKind::trend:
      return "a trend: use avg, min, med, max, p(N) or count";
    case MetricKind::counter:
      return "a counter: use count or rate";
    case MetricKind::rate:
      return "a rate: use rate";
    case MetricKind::gauge:
      return "a gauge: use value, min or max";
  }
  return "";
}

}  // namespace

core::Expected<MetricSelector, std::string> MetricSelector::parse(
    std::string_view text, std::span<const std::string> custom_tags) {
  const std::string quoted = "'" + std::string(text) + "'";
  text = trim(text);
  MetricSelector selector;
  const auto brace = text.find('{');
  selector.metric = std::string(trim(text.substr(0, brace)));
  const MetricInfo* info = find_metric(selector.metric);
  if (info == nullptr) {
    std::string known;
    for (const auto& metric : builtin_metrics())
      known += (known.empty() ? "" : ", ") + std::string(metric.name);
    return core::unexpected("unknown metric " + quoted + " (known: " + known + ")");
  }
  if (brace == std::string_view::npos) return selector;
  if (text.back() != '}') return core::unexpected("metric " + quoted + ": expected '}' at the end");
  std::string_view tags = text.substr(brace + 1, text.size() - brace - 2);
  while (!trim(tags).empty()) {
    const auto comma = tags.find(',');
    const std::string_view pair = tags.substr(0, comma);
    const auto colon = pair.find(':');
    if (colon == std::string_view::npos) {
      return core::unexpected("metric " + quoted + ": expected tag:value, got '" +
                              std::string(trim(pair)) + "'");
    }
    std::string tag(trim(pair.substr(0, colon)));
    std::string value(trim(pair.substr(colon + 1)));
    if (tag.empty() || value.empty()) {
      return core::unexpected("metric " + quoted + ": empty tag name or value");
    }
    const bool builtin = std::find(info->tags.begin(), info->tags.end(), tag) != info->tags.end();
    const bool scenario_tagged =
        std::find(info->tags.begin(), info->tags.end(), "scenario") != info->tags.end();
    const bool custom = scenario_tagged && !is_builtin_tag(tag) &&
                        std::find(custom_tags.begin(), custom_tags.end(), tag) != custom_tags.end();
    if (!builtin && !custom) {
      return core::unexpected(
          "metric " + quoted + ": tag '" + tag + "' is not recorded for " + selector.metric +
          (info->tags.empty()
               ? " (it has no sub-metrics)"
               : " (use " + join(info->tags) +
                     (scenario_tagged ? " or a tag the scenarios declare" : "") + ")"));
    }
    for (const auto& existing : selector.tags) {
      if (existing.first == tag)
        return core::unexpected("metric " + quoted + ": tag '" + tag + "' given twice");
    }
    selector.tags.emplace_back(std::move(tag), std::move(value));
    if (comma == std::string_view::npos) break;
    tags = tags.substr(comma + 1);
  }
  std::sort(selector.tags.begin(), selector.tags.end());
  return selector;
}

std::string MetricSelector::key() const {
  if (tags.empty()) return metric;
  std::string out = metric + "{";
  for (std::size_t i = 0; i < tags.size(); ++i) {
    if (i != 0) out += ",";
    out += tags[i].first + ":" + tags[i].second;
  }
  return out + "}";
}

core::Expected<Threshold, std::string> Threshold::parse(std::string_view expression) {
  const std::string quoted = "threshold '" + std::string(expression) + "'";
  Threshold threshold;
  threshold.source = std::string(trim(expression));
  std::string_view rest = trim(expression);

  std::size_t name_end = 0;
  while (name_end < rest.size() && std::isalnum(static_cast<unsigned char>(rest[name_end])))
    ++name_end;
  const std::string_view name = rest.substr(0, name_end);
  rest = trim(rest.substr(name_end));
  if (name == "p") {
    if (rest.empty() || rest.front() != '(')
      return core::unexpected(quoted + ": expected '(' after p, as in p(95)");
    const auto close = rest.find(')');
    if (close == std::string_view::npos)
      return core::unexpected(quoted + ": expected ')' after the percentile");
    if (!parse_number(rest.substr(1, close - 1), threshold.percentile) ||
        threshold.percentile <= 0 || threshold.percentile > 100) {
      return core::unexpected(quoted +
                              ": the percentile must be a number in (0, 100], as in p(99.9)");
    }
    threshold.aggregation = Aggregation::percentile;
    rest = trim(rest.substr(close + 1));
  } else if (name == "avg") {
    threshold.aggregation = Aggregation::avg;
  } else if (name == "min") {
    threshold.aggregation = Aggregation::min;
  } else if (name == "max") {
    threshold.aggregation = Aggregation::max;
  } else if (name == "med") {
    threshold.aggregation = Aggregation::med;
  } else if (name == "count") {
    threshold.aggregation = Aggregation::count;
  } else if (name == "rate") {
    threshold.aggregation = Aggregation::rate;
  } else if (name == "value") {
    threshold.aggregation = Aggregation::value;
  } else {
    return core::unexpected(quoted + ": unknown aggregation '" + std::string(name) +
                            "' (use avg, min, med, max, p(N), count, rate or value)");
  }

  struct Op {
    std::string_view text;
    Comparison comparison;
  };
  constexpr Op kOps[] = {{"===", Comparison::equal},        {"<=", Comparison::less_equal},
                         {">=", Comparison::greater_equal}, {"==", Comparison::equal},
                         {"!=", Comparison::not_equal},     {"<", Comparison::less},
                         {">", Comparison::greater}};
  bool found = false;
  for (const auto& op : kOps) {
    if (rest.starts_with(op.text)) {
      threshold.comparison = op.comparison;
      rest = rest.substr(op.text.size());
      found = true;
      break;
    }
  }
  if (!found) {
    return core::unexpected(quoted + ": expected an operator (<, <=, >, >=, ==, !=) after " +
                            threshold.aggregation_label());
  }
  if (!parse_number(rest, threshold.bound)) {
    return core::unexpected(quoted + ": expected a number after the operator, got '" +
                            std::string(trim(rest)) + "'");
  }
  return threshold;
}

std::string Threshold::aggregation_label() const {
  switch (aggregation) {
    case Aggregation::avg:
      return "avg";
    case Aggregation::min:
      return "min";
    case Aggregation::max:
      return "max";
    case Aggregation::med:
      return "med";
    case Aggregation::count:
      return "count";
    case Aggregation::rate:
      return "rate";
    case Aggregation::value:
      return "value";
    case Aggregation::percentile: {
      char buffer[32];
      auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, percentile);
      (void)ec;
      return "p(" + std::string(buffer, ptr) + ")";
    }
  }
  return "?";
}

bool Threshold::holds(double observed) const noexcept {
  switch (comparison) {
    case Comparison::less:
      return observed < bound;
    case Comparison::less_equal:
      return observed <= bound;
    case Comparison::greater:
      return observed > bound;
    case Comparison::greater_equal:
      return observed >= bound;
    case Comparison::equal:
      return observed == bound;
    case Comparison::not_equal:
      return observed != bound;
  }
  return false;
}

core::Expected<bool, std::string> check_applicable(const MetricSelector& selector,
                                                   const Threshold& threshold) {
  const MetricInfo* info = find_metric(selector.metric);
  if (info == nullptr) return core::unexpected("unknown metric '" + selector.metric + "'");
  bool ok = false;
  switch (info->kind) {
    case MetricKind::trend:
      ok =
          threshold.aggregation != Aggregation::rate && threshold.aggregation != Aggregation::value;
      break;
    case MetricKind::counter:
      ok =
          threshold.aggregation == Aggregation::count || threshold.aggregation == Aggregation::rate;
      break;
    case MetricKind::rate:
      ok = threshold.aggregation == Aggregation::rate;
      break;
    case MetricKind::gauge:
      ok = threshold.aggregation == Aggregation::value ||
           threshold.aggregation == Aggregation::min || threshold.aggregation == Aggregation::max;
      break;
  }
  if (!ok) {
    return core::unexpected("'" + threshold.source + "': " + threshold.aggregation_label() +
                            " is not available on " + selector.metric + " (" +
                            std::string(kind_hint(info->kind)) + ")");
  }
  return true;
}

core::Expected<double, std::string> observe(const MetricValues& values,
                                            const Threshold& threshold) {
  auto ms = [](double us) { return us / 1000.0; };
  switch (values.kind) {
    case MetricKind::trend: {
      const core::HdrHistogram* h = values.histogram.get();
      const bool empty = h == nullptr || h->total_count() == 0;
      switch (threshold.aggregation) {
        case Aggregation::avg:
          return empty ? 0.0 : ms(h->mean());
        case Aggregation::min:
          return empty ? 0.0 : ms(static_cast<double>(h->min()));
        case Aggregation::max:
          return empty ? 0.0 : ms(static_cast<double>(h->max()));
        case Aggregation::med:
          return empty ? 0.0 : ms(static_cast<double>(h->value_at_percentile(50)));
        case Aggregation::percentile:
          return empty ? 0.0
                       : ms(static_cast<double>(h->value_at_percentile(threshold.percentile)));
        case Aggregation::count:
          return empty ? 0.0 : static_cast<double>(h->total_count());
        default:
          break;
      }
      break;
    }
    case MetricKind::counter:
      if (threshold.aggregation == Aggregation::count) return values.count;
      if (threshold.aggregation == Aggregation::rate) return values.per_second;
      break;
    case MetricKind::rate:
      if (threshold.aggregation == Aggregation::rate) {
        return values.count > 0 ? static_cast<double>(values.nonzero) / values.count : 0.0;
      }
      break;
    case MetricKind::gauge:
      if (threshold.aggregation == Aggregation::value) return values.value;
      if (threshold.aggregation == Aggregation::min) return values.min;
      if (threshold.aggregation == Aggregation::max) return values.max;
      break;
  }
  return core::unexpected(threshold.aggregation_label() + " is not available on a " +
                          std::string(to_string(values.kind)) + " metric");
}

std::vector<ThresholdOutcome> evaluate_thresholds(const std::vector<MetricThresholds>& thresholds,
                                                  const MetricResolver& resolve) {
  std::vector<ThresholdOutcome> outcomes;
  for (const auto& group : thresholds) {
    std::optional<MetricValues> values = resolve(group.selector);
    if (!values) {
      // No sample at all: judge the metric's zero values, as k6 does (count>0 fails).
      values = MetricValues{};
      if (const MetricInfo* info = find_metric(group.selector.metric)) values->kind = info->kind;
    }
    for (const auto& threshold : group.thresholds) {
      ThresholdOutcome outcome;
      outcome.metric = group.selector.key();
      outcome.source = threshold.source;
      outcome.abort_on_fail = threshold.abort_on_fail;
      auto observed = observe(*values, threshold);
      if (observed) {
        outcome.observed = *observed;
        outcome.passed = threshold.holds(*observed);
      } else {
        outcome.passed = false;
      }
      outcomes.push_back(std::move(outcome));
    }
  }
  return outcomes;
}

bool should_abort(const std::vector<MetricThresholds>& thresholds, const MetricResolver& resolve,
                  core::Duration elapsed, std::string* reason) {
  for (const auto& group : thresholds) {
    std::optional<MetricValues> values;
    for (const auto& threshold : group.thresholds) {
      if (!threshold.abort_on_fail || elapsed < threshold.delay_abort_eval) continue;
      if (!values) {
        values = resolve(group.selector);
        if (!values) {
          values = MetricValues{};
          if (const MetricInfo* info = find_metric(group.selector.metric))
            values->kind = info->kind;
        }
      }
      auto observed = observe(*values, threshold);
      if (!observed || !threshold.holds(*observed)) {
        if (reason != nullptr) *reason = group.selector.key() + ": " + threshold.source + " failed";
        return true;
      }
    }
  }
  return false;
}

bool all_passed(const std::vector<ThresholdOutcome>& outcomes) noexcept {
  return std::all_of(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.passed; });
}

}  // namespace loadlab::load
