// Merging, querying and serialising the metrics state of a run.
#include "load/metrics_data.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "load/scenario.hpp"

namespace loadlab::load {

namespace {

// Shares a histogram without copying it (aliasing: the owner outlives the MetricValues use).
std::shared_ptr<const core::HdrHistogram> alias(const core::HdrHistogram& h) {
  return std::shared_ptr<const core::HdrHistogram>(std::shared_ptr<void>{}, &h);
}

// Merges a list of histograms; aliases when there is only one.
std::shared_ptr<const core::HdrHistogram> combined(std::vector<const core::HdrHistogram*> parts) {
  if (parts.empty()) return nullptr;
  if (parts.size() == 1) return alias(*parts.front());
  auto merged = std::make_shared<core::HdrHistogram>(*parts.front());
  for (std::size_t i = 1; i < parts.size(); ++i) merged->merge(*parts[i]);
  return merged;
}

double per_second(double count, core::Duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  return seconds > 0 ? count / seconds : 0.0;
}

}  // namespace

std::vector<ScenarioNames> names_of(const TestPlan& plan) {
  std::vector<ScenarioNames> names;
  for (const auto& scenario : plan.scenarios) {
    ScenarioNames entry{scenario.name, {}, scenario.tags};
    for (const auto& request : scenario.requests) {
      std::map<std::string, std::string> tags = request.tags;
      tags.insert(scenario.tags.begin(), scenario.tags.end());  // the request's own win
      entry.requests.push_back(RequestName{request.name, request.method, std::move(tags)});
    }
    names.push_back(std::move(entry));
  }
  return names;
}

void RequestStats::merge(const RequestStats& other) {
  requests += other.requests;
  failed += other.failed;
  bytes_sent += other.bytes_sent;
  bytes_received += other.bytes_received;
  checks_passed += other.checks_passed;
  checks_failed += other.checks_failed;
  duration.merge(other.duration);
  latency.merge(other.latency);
}

void ScenarioStats::merge(const ScenarioStats& other) {
  iterations += other.iterations;
  interrupted += other.interrupted;
  dropped_iterations += other.dropped_iterations;
  iteration_duration.merge(other.iteration_duration);
}

void ScenarioPoint::merge(const ScenarioPoint& other) {
  requests += other.requests;
  failed += other.failed;
  iterations += other.iterations;
  dropped_iterations += other.dropped_iterations;
  duration.merge(other.duration);
  latency.merge(other.latency);
}

void SeriesPoint::merge(const SeriesPoint& other) {
  requests += other.requests;
  failed += other.failed;
  iterations += other.iterations;
  dropped_iterations += other.dropped_iterations;
  bytes_sent += other.bytes_sent;
  bytes_received += other.bytes_received;
  checks_passed += other.checks_passed;
  checks_failed += other.checks_failed;
  vus += other.vus;
  vus_max += other.vus_max;
  duration.merge(other.duration);
  latency.merge(other.latency);
  if (by_scenario.size() < other.by_scenario.size()) by_scenario.resize(other.by_scenario.size());
  for (std::size_t i = 0; i < other.by_scenario.size(); ++i)
    by_scenario[i].merge(other.by_scenario[i]);
}

MetricsData::MetricsData(std::vector<ScenarioNames> scenario_names)
    : names(std::move(scenario_names)), scenarios(names.size()) {}

void MetricsData::merge(const MetricsData& other) {
  // An empty, default-constructed MetricsData adopts the names of the first data merged into it.
  if (names.empty() && requests.empty() && scenarios.empty() && series.empty()) {
    names = other.names;
  }
  if (names != other.names) {
    throw std::invalid_argument(
        "cannot merge metrics of different plans (scenario or request names differ)");
  }
  for (const auto& [key, stats] : other.requests) {
    auto [it, inserted] = requests.try_emplace(key, stats);
    if (!inserted) it->second.merge(stats);
  }
  if (scenarios.size() < other.scenarios.size()) scenarios.resize(other.scenarios.size());
  for (std::size_t i = 0; i < other.scenarios.size(); ++i) scenarios[i].merge(other.scenarios[i]);
  connecting.merge(other.connecting);
  sending.merge(other.sending);
  waiting.merge(other.waiting);
  receiving.merge(other.receiving);
  tls_handshaking.merge(other.tls_handshaking);

  const std::int64_t interval = std::max(series_interval_seconds, other.series_interval_seconds);
  coarsen_series_to(interval);
  MetricsData coarse_other;
  const std::vector<SeriesPoint>* other_series = &other.series;
  if (other.series_interval_seconds < interval) {
    coarse_other.series = other.series;
    coarse_other.series_interval_seconds = other.series_interval_seconds;
    coarse_other.coarsen_series_to(interval);
    other_series = &coarse_other.series;
  }
  if (series.size() < other_series->size()) series.resize(other_series->size());
  for (std::size_t i = 0; i < other_series->size(); ++i) series[i].merge((*other_series)[i]);
  while (series.size() > kMaxSeriesPoints) coarsen_series_to(series_interval_seconds * 2);
}

void MetricsData::coarsen_series_to(std::int64_t seconds) {
  while (series_interval_seconds < seconds) {
    std::vector<SeriesPoint> coarse((series.size() + 1) / 2);
    for (std::size_t i = 0; i < series.size(); ++i) coarse[i / 2].merge(series[i]);
    // Gauges are sampled, not summed over time: keep the later sample of the pair.
    for (std::size_t i = 0; i < coarse.size(); ++i) {
      const SeriesPoint& last = series[std::min(series.size() - 1, 2 * i + 1)];
      coarse[i].vus = last.vus;
      coarse[i].vus_max = last.vus_max;
    }
    series = std::move(coarse);
    series_interval_seconds *= 2;
  }
}

void MetricsData::add_series_point(std::int64_t second, const SeriesPoint& point, Gauges gauges) {
  if (second < 0) second = 0;
  while (second / series_interval_seconds >= static_cast<std::int64_t>(kMaxSeriesPoints)) {
    coarsen_series_to(series_interval_seconds * 2);
  }
  const auto index = static_cast<std::size_t>(second / series_interval_seconds);
  if (series.size() <= index) series.resize(index + 1);
  SeriesPoint& target = series[index];
  const std::int64_t vus = target.vus;
  const std::int64_t vus_max = target.vus_max;
  target.merge(point);  // adds the gauges
  switch (gauges) {
    case Gauges::kAdd:
      break;
    case Gauges::kLatest:
      target.set_gauges_from(point);
      break;
    case Gauges::kIgnore:
      target.vus = vus;
      target.vus_max = vus_max;
      break;
  }
}

std::int64_t MetricsData::total_requests() const noexcept {
  std::int64_t total = 0;
  for (const auto& [key, stats] : requests) total += stats.requests;
  return total;
}

std::int64_t MetricsData::total_failed() const noexcept {
  std::int64_t total = 0;
  for (const auto& [key, stats] : requests) total += stats.failed;
  return total;
}

std::optional<MetricValues> MetricsData::resolve(const MetricSelector& selector,
                                                 core::Duration elapsed) const {
  const MetricInfo* info = find_metric(selector.metric);
  if (info == nullptr) return std::nullopt;
  MetricValues values;
  values.kind = info->kind;
  const std::string& metric = selector.metric;

  // A tag that is not one of loadlab's own is a scenario's or request's `tags` entry.
  auto tagged = [](const std::map<std::string, std::string>& tags, const std::string& tag,
                   const std::string& value) {
    const auto found = tags.find(tag);
    return found != tags.end() && found->second == value;
  };
  auto scenario_matches = [&](std::size_t scenario, bool with_custom_tags) {
    for (const auto& [tag, value] : selector.tags) {
      if (tag == "scenario" && (scenario >= names.size() || names[scenario].name != value))
        return false;
      if (with_custom_tags && !is_builtin_tag(tag) &&
          (scenario >= names.size() || !tagged(names[scenario].tags, tag, value)))
        return false;
    }
    return true;
  };
  auto key_matches = [&](const RequestKey& key, const RequestStats& stats) {
    if (!scenario_matches(key.scenario, false)) return false;
    const RequestName* request =
        key.scenario < names.size() && key.request < names[key.scenario].requests.size()
            ? &names[key.scenario].requests[key.request]
            : nullptr;
    for (const auto& [tag, value] : selector.tags) {
      if (tag == "name" && (request == nullptr || request->name != value)) return false;
      if (tag == "method" && (request == nullptr || request->method != value)) return false;
      if (tag == "status" && std::to_string(key.status) != value) return false;
      if (tag == "error_code") {  // as in k6, requests without an error have no error_code
        const int code = request_error_code(key.status, key.error);
        if (code == 0 || std::to_string(code) != value) return false;
      }
      if (tag == "expected_response" && (stats.failed == 0 ? "true" : "false") != value)
        return false;
      if (!is_builtin_tag(tag) && (request == nullptr || !tagged(request->tags, tag, value)))
        return false;
    }
    return true;
  };

  if (metric == "http_reqs" || metric == "http_req_failed" || metric == "http_req_duration" ||
      metric == "http_req_latency" || metric == "data_sent" || metric == "data_received" ||
      metric == "checks") {
    std::vector<const core::HdrHistogram*> parts;
    bool any = false;
    for (const auto& [key, stats] : requests) {
      if (!key_matches(key, stats)) continue;
      any = true;
      if (metric == "http_reqs") {
        values.count += static_cast<double>(stats.requests);
      } else if (metric == "http_req_failed") {
        values.count += static_cast<double>(stats.requests);
        values.nonzero += stats.failed;
      } else if (metric == "data_sent") {
        values.count += static_cast<double>(stats.bytes_sent);
      } else if (metric == "data_received") {
        values.count += static_cast<double>(stats.bytes_received);
      } else if (metric == "checks") {
        values.count += static_cast<double>(stats.checks_passed + stats.checks_failed);
        values.nonzero += stats.checks_passed;
      } else {
        parts.push_back(metric == "http_req_duration" ? &stats.duration : &stats.latency);
      }
    }
    if (!any) return std::nullopt;
    if (metric == "checks" && values.count == 0) return std::nullopt;
    values.histogram = combined(std::move(parts));
    if (values.histogram) values.count = static_cast<double>(values.histogram->total_count());
    values.per_second = per_second(values.count, elapsed);
    return values;
  }

  if (metric == "iterations" || metric == "dropped_iterations" ||
      metric == "iterations_interrupted" || metric == "iteration_duration") {
    std::vector<const core::HdrHistogram*> parts;
    bool any = false;
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      if (!scenario_matches(i, true)) continue;
      any = true;
      const ScenarioStats& stats = scenarios[i];
      if (metric == "iterations") values.count += static_cast<double>(stats.iterations);
      if (metric == "dropped_iterations")
        values.count += static_cast<double>(stats.dropped_iterations);
      if (metric == "iterations_interrupted")
        values.count += static_cast<double>(stats.interrupted);
      if (metric == "iteration_duration") parts.push_back(&stats.iteration_duration);
    }
    if (!any) return std::nullopt;
    values.histogram = combined(std::move(parts));
    if (values.histogram) values.count = static_cast<double>(values.histogram->total_count());
    values.per_second = per_second(values.count, elapsed);
    return values;
  }

  if (metric == "vus" || metric == "vus_max") {
    if (series.empty()) return std::nullopt;
    bool first = true;
    for (const auto& point : series) {
      const auto v = static_cast<double>(metric == "vus" ? point.vus : point.vus_max);
      values.min = first ? v : std::min(values.min, v);
      values.max = first ? v : std::max(values.max, v);
      values.value = v;
      first = false;
    }
    return values;
  }

  const core::HdrHistogram* phase = metric == "http_req_connecting"        ? &connecting
                                    : metric == "http_req_tls_handshaking" ? &tls_handshaking
                                    : metric == "http_req_sending"         ? &sending
                                    : metric == "http_req_waiting"         ? &waiting
                                    : metric == "http_req_receiving"       ? &receiving
                                                                           : nullptr;
  if (phase == nullptr || phase->total_count() == 0) return std::nullopt;
  values.histogram = alias(*phase);
  values.count = static_cast<double>(phase->total_count());
  return values;
}

MetricResolver MetricsData::resolver(core::Duration elapsed) const {
  return [this, elapsed](const MetricSelector& selector) { return resolve(selector, elapsed); };
}

std::vector<ErrorCodeSeen> error_codes_seen(const MetricsData& metrics) {
  std::map<int, std::set<std::string>> causes;
  for (const auto& [key, stats] : metrics.requests) {
    const int code = request_error_code(key.status, key.error);
    if (code != 0 && stats.requests > 0)
      causes[code].insert(describe_failure(key.status, key.error));
  }
  std::vector<ErrorCodeSeen> seen;
  for (const auto& [code, words] : causes) {
    std::string joined;
    for (const auto& word : words) joined += (joined.empty() ? "" : ", ") + word;
    seen.push_back({code, std::move(joined)});
  }
  return seen;
}

}  // namespace loadlab::load
