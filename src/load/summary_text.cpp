// Rendering the k6-style end-of-test summary.
#include "load/summary_text.hpp"

#include <fmt/format.h>

#include <set>

#include "core/duration.hpp"
#include "core/hdr_histogram.hpp"
#include "load/metric_catalog.hpp"

namespace loadlab::load {

namespace {

constexpr std::size_t kNameWidth = 34;

std::string dotted(const std::string& name, std::size_t indent) {
  std::string out(indent, ' ');
  out += name;
  // Sub-metric names are indented but their values line up with the metric's.
  if (out.size() < kNameWidth) out += std::string(kNameWidth - out.size(), '.');
  return out + ": ";
}

std::string format_bytes(double bytes) {
  constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1000 && unit < 4) {
    bytes /= 1000;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} {}", bytes, kUnits[unit])
                   : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

std::string format_count(double count) {
  return count == static_cast<double>(static_cast<std::int64_t>(count))
             ? fmt::format("{}", static_cast<std::int64_t>(count))
             : fmt::format("{:.2f}", count);
}

std::string trend_line(const MetricValues& values) {
  const core::HdrHistogram* h = values.histogram.get();
  if (h == nullptr || h->total_count() == 0) {
    return "avg=0s min=0s med=0s max=0s p(90)=0s p(95)=0s p(99)=0s";
  }
  auto at = [&](double p) {
    return format_ms(static_cast<double>(h->value_at_percentile(p)) / 1000.0);
  };
  return fmt::format("avg={} min={} med={} max={} p(90)={} p(95)={} p(99)={}",
                     format_ms(h->mean() / 1000.0),
                     format_ms(static_cast<double>(h->min()) / 1000.0), at(50),
                     format_ms(static_cast<double>(h->max()) / 1000.0), at(90), at(95), at(99));
}

std::string value_line(std::string_view metric, const MetricValues& values) {
  switch (values.kind) {
    case MetricKind::trend:
      return trend_line(values);
    case MetricKind::counter:
      if (metric == "data_sent" || metric == "data_received") {
        return fmt::format("{:<8} {}/s", format_bytes(values.count),
                           format_bytes(values.per_second));
      }
      return fmt::format("{:<8} {:.2f}/s", format_count(values.count), values.per_second);
    case MetricKind::rate: {
      const double rate =
          values.count > 0 ? static_cast<double>(values.nonzero) / values.count : 0.0;
      const auto total = static_cast<std::int64_t>(values.count);
      return fmt::format("{:.2f}%  {} out of {}", rate * 100, values.nonzero, total);
    }
    case MetricKind::gauge:
      return fmt::format("{:<8} min={} max={}", format_count(values.value),
                         format_count(values.min), format_count(values.max));
  }
  return "";
}

std::string observed_text(const MetricSelector& selector, const ThresholdOutcome& outcome) {
  if (!outcome.observed) return "no data";
  const MetricInfo* info = find_metric(selector.metric);
  const double value = *outcome.observed;
  if (info != nullptr && info->kind == MetricKind::trend &&
      outcome.source.find("count") == std::string::npos) {
    return format_ms(value);
  }
  if (info != nullptr && info->kind == MetricKind::rate) return fmt::format("{:.2f}%", value * 100);
  return format_count(value);
}

}  // namespace

std::string format_ms(double milliseconds) {
  if (milliseconds <= 0) return "0s";
  if (milliseconds < 1) return fmt::format("{:.2f}µs", milliseconds * 1000);
  if (milliseconds < 1000) return fmt::format("{:.2f}ms", milliseconds);
  if (milliseconds < 60'000) return fmt::format("{:.2f}s", milliseconds / 1000);
  const auto total_s = static_cast<std::int64_t>(milliseconds / 1000);
  const std::int64_t hours = total_s / 3600;
  const std::int64_t minutes = (total_s % 3600) / 60;
  const std::int64_t secs = total_s % 60;
  return hours > 0 ? fmt::format("{}h{}m{}s", hours, minutes, secs)
                   : fmt::format("{}m{}s", minutes, secs);
}

std::string summary_text(const RunResult& result, SummaryStyle style) {
  const std::string good = style.color ? "\x1b[32m✓\x1b[0m" : "✓";
  const std::string bad = style.color ? "\x1b[31m✗\x1b[0m" : "✗";
  const MetricsData& metrics = result.metrics;
  const core::Duration elapsed = result.info.elapsed;
  std::string out;

  out += fmt::format("\n  loadlab: {} scenario{}, {} elapsed", metrics.names.size(),
                     metrics.names.size() == 1 ? "" : "s", core::format_duration(elapsed));
  if (!result.info.shard.whole()) out += ", shard " + result.info.shard.to_string();
  if (result.info.merged_shards > 1)
    out += fmt::format(", merged from {} shards", result.info.merged_shards);
  out += "\n";
  if (result.info.aborted) out += "  aborted: " + result.info.abort_reason + "\n";

  std::set<std::string> failed_metrics;
  std::set<std::string> passed_metrics;
  std::vector<MetricSelector> threshold_selectors;
  std::vector<std::string> custom_tags;  // the scenarios' and requests' own `tags`
  for (const auto& scenario : metrics.names) {
    for (const auto& [tag, ignored] : scenario.tags) custom_tags.push_back(tag);
    for (const auto& request : scenario.requests) {
      for (const auto& [tag, ignored] : request.tags) custom_tags.push_back(tag);
    }
  }
  if (!result.thresholds.empty()) {
    out += "\n  THRESHOLDS\n";
    std::string current;
    for (const auto& outcome : result.thresholds) {
      auto selector = MetricSelector::parse(outcome.metric, custom_tags);
      if (outcome.metric != current) {
        out += "\n    " + outcome.metric + "\n";
        current = outcome.metric;
        if (selector) threshold_selectors.push_back(*selector);
      }
      (outcome.passed ? passed_metrics : failed_metrics).insert(outcome.metric);
      out += fmt::format("    {} '{}' {}\n", outcome.passed ? good : bad, outcome.source,
                         selector ? observed_text(*selector, outcome) : "");
    }
  }

  out += "\n  METRICS\n\n";
  auto mark = [&](const std::string& key) -> std::string {
    if (failed_metrics.count(key)) return bad + " ";
    if (passed_metrics.count(key)) return good + " ";
    return "  ";
  };
  for (const auto& info : builtin_metrics()) {
    const MetricSelector selector{std::string(info.name), {}};
    auto values = metrics.resolve(selector, elapsed);
    if (!values) continue;
    out += "  " + mark(selector.key()) + dotted(selector.key(), 0) +
           value_line(info.name, *values) + "\n";
    // Sub-metrics with thresholds, and per scenario when there are several.
    std::vector<MetricSelector> subs;
    for (const auto& s : threshold_selectors) {
      if (s.metric == info.name && !s.tags.empty()) subs.push_back(s);
    }
    const bool per_scenario =
        metrics.names.size() > 1 && (info.name == "http_reqs" || info.name == "http_req_duration" ||
                                     info.name == "http_req_latency" || info.name == "iterations");
    if (per_scenario) {
      for (const auto& scenario : metrics.names) {
        MetricSelector s{std::string(info.name), {{"scenario", scenario.name}}};
        if (std::find(subs.begin(), subs.end(), s) == subs.end()) subs.push_back(s);
      }
    }
    // The requests that failed, by k6's error code, with what each code stands for here.
    std::vector<std::string> notes(subs.size());
    if (info.name == "http_reqs") {
      for (const auto& seen : error_codes_seen(metrics)) {
        MetricSelector s{std::string(info.name), {{"error_code", std::to_string(seen.code)}}};
        const auto found = std::find(subs.begin(), subs.end(), s);
        if (found != subs.end()) {
          notes[static_cast<std::size_t>(found - subs.begin())] = seen.causes;
          continue;
        }
        subs.push_back(std::move(s));
        notes.push_back(seen.causes);
      }
    }
    for (std::size_t k = 0; k < subs.size(); ++k) {
      const MetricSelector& s = subs[k];
      auto sub_values = metrics.resolve(s, elapsed);
      if (!sub_values) continue;
      std::string label = "{ ";
      for (std::size_t i = 0; i < s.tags.size(); ++i) {
        label += (i ? ", " : "") + s.tags[i].first + ":" + s.tags[i].second;
      }
      label += " }";
      const std::string note = notes[k].empty() ? "" : "  " + notes[k];
      out += "  " + mark(s.key()) + dotted(label, 2) + value_line(info.name, *sub_values) + note +
             "\n";
    }
  }
  return out;
}

}  // namespace loadlab::load
