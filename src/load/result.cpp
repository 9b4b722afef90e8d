// RunResult to and from JSON, the summary object, the CSV series and the exact shard merge.
#include "load/result.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "load/metric_catalog.hpp"

namespace loadlab::load {

namespace {

using Json = nlohmann::json;

double seconds(core::Duration d) {
  return std::chrono::duration<double>(d).count();
}
double ms(std::int64_t us) {
  return static_cast<double>(us) / 1000.0;
}

Json trend_json(const MetricValues& values, core::Duration elapsed) {
  const core::HdrHistogram* h = values.histogram.get();
  const std::int64_t count = h ? h->total_count() : 0;
  auto at = [&](double p) { return count ? ms(h->value_at_percentile(p)) : 0.0; };
  return {{"count", count},
          {"rate", seconds(elapsed) > 0 ? static_cast<double>(count) / seconds(elapsed) : 0.0},
          {"avg", count ? h->mean() / 1000.0 : 0.0},
          {"min", count ? ms(h->min()) : 0.0},
          {"med", at(50)},
          {"max", count ? ms(h->max()) : 0.0},
          {"p(90)", at(90)},
          {"p(95)", at(95)},
          {"p(99)", at(99)},
          {"p(99.9)", at(99.9)}};
}

Json metric_json(const MetricValues& values, core::Duration elapsed) {
  switch (values.kind) {
    case MetricKind::trend:
      return trend_json(values, elapsed);
    case MetricKind::counter:
      return {{"count", values.count}, {"rate", values.per_second}};
    case MetricKind::rate: {
      const auto total = static_cast<std::int64_t>(values.count);
      return {
          {"rate", total ? static_cast<double>(values.nonzero) / static_cast<double>(total) : 0.0},
          {"passes", values.nonzero},
          {"fails", total - values.nonzero}};
    }
    case MetricKind::gauge:
      return {{"value", values.value}, {"min", values.min}, {"max", values.max}};
  }
  return Json::object();
}

Json quantiles_json(const SparseHistogram& sparse) {
  if (sparse.empty()) return {{"count", 0}, {"p50", 0}, {"p90", 0}, {"p99", 0}, {"max", 0}};
  const core::HdrHistogram h = sparse.to_dense();
  // The exact max: a 2-digit bucket's top is up to 1 % above it, and above the run's max. A
  // percentile in the last bucket reads as that top too, so it is capped likewise.
  const auto at = [&](double percentile) {
    return ms(std::min(h.value_at_percentile(percentile), sparse.max()));
  };
  return {{"count", h.total_count()},
          {"p50", at(50)},
          {"p90", at(90)},
          {"p99", at(99)},
          {"max", ms(sparse.max())}};
}

core::Duration duration_from_seconds(double s) {
  return core::Duration{static_cast<std::int64_t>(s * 1e9 + (s >= 0 ? 0.5 : -0.5))};
}

}  // namespace

void RunResult::judge(const std::vector<MetricThresholds>& thresholds_to_judge) {
  thresholds = evaluate_thresholds(thresholds_to_judge, metrics.resolver(info.elapsed));
}

nlohmann::json summary_json(const MetricsData& metrics, core::Duration elapsed) {
  Json summary = Json::object();
  for (const auto& info : builtin_metrics()) {
    MetricSelector selector{std::string(info.name), {}};
    std::optional<MetricValues> values = metrics.resolve(selector, elapsed);
    if (!values) {
      const bool always = info.kind == MetricKind::counter || info.name == "http_req_duration" ||
                          info.name == "http_req_latency" || info.name == "http_req_failed";
      if (!always) continue;
      values = MetricValues{};
      values->kind = info.kind;
    }
    summary[std::string(info.name)] = metric_json(*values, elapsed);
  }
  // Sub-metrics per scenario and per request name, when there is more than one of them.
  std::set<std::string> request_names;
  for (const auto& scenario : metrics.names) {
    for (const auto& request : scenario.requests) request_names.insert(request.name);
  }
  constexpr std::string_view kPerRequest[] = {"http_reqs", "http_req_failed", "http_req_duration",
                                              "http_req_latency"};
  auto add = [&](std::string_view metric, const std::string& tag, const std::string& value) {
    MetricSelector selector{std::string(metric), {{tag, value}}};
    if (auto values = metrics.resolve(selector, elapsed)) {
      summary[selector.key()] = metric_json(*values, elapsed);
    }
  };
  // k6 shows the duration of successful requests by default; goodput and admitted latency too.
  for (auto metric : {"http_reqs", "http_req_duration", "http_req_latency"}) {
    add(metric, "expected_response", "true");
  }
  // What failed and why, as k6's error codes: http_reqs{error_code:1050} counts the timeouts.
  for (const auto& seen : error_codes_seen(metrics)) {
    add("http_reqs", "error_code", std::to_string(seen.code));
  }
  if (metrics.names.size() > 1) {
    for (const auto& scenario : metrics.names) {
      for (auto metric : kPerRequest) add(metric, "scenario", scenario.name);
      add("iterations", "scenario", scenario.name);
      add("dropped_iterations", "scenario", scenario.name);
    }
  }
  if (request_names.size() > 1) {
    for (const auto& name : request_names) {
      for (auto metric : kPerRequest) add(metric, "name", name);
    }
  }
  return summary;
}

nlohmann::json result_to_json(const RunResult& result) {
  const MetricsData& metrics = result.metrics;
  Json thresholds = Json::array();
  for (const auto& outcome : result.thresholds) {
    thresholds.push_back({{"metric", outcome.metric},
                          {"threshold", outcome.source},
                          {"ok", outcome.passed},
                          {"observed", outcome.observed ? Json(*outcome.observed) : Json()},
                          {"abortOnFail", outcome.abort_on_fail}});
  }
  Json points = Json::array();
  for (std::size_t i = 0; i < metrics.series.size(); ++i) {
    const SeriesPoint& p = metrics.series[i];
    points.push_back({{"t", static_cast<std::int64_t>(i) * metrics.series_interval_seconds},
                      {"http_reqs", p.requests},
                      {"http_req_failed", p.failed},
                      {"iterations", p.iterations},
                      {"dropped_iterations", p.dropped_iterations},
                      {"data_sent", p.bytes_sent},
                      {"data_received", p.bytes_received},
                      {"checks_passed", p.checks_passed},
                      {"checks_failed", p.checks_failed},
                      {"vus", p.vus},
                      {"vus_max", p.vus_max},
                      {"http_req_duration", quantiles_json(p.duration)},
                      {"http_req_latency", quantiles_json(p.latency)}});
    if (!p.by_scenario.empty()) {
      Json scenarios = Json::object();
      for (std::size_t s = 0; s < p.by_scenario.size() && s < metrics.names.size(); ++s) {
        const ScenarioPoint& share = p.by_scenario[s];
        scenarios[metrics.names[s].name] = {{"http_reqs", share.requests},
                                            {"http_req_failed", share.failed},
                                            {"iterations", share.iterations},
                                            {"dropped_iterations", share.dropped_iterations},
                                            {"http_req_duration", quantiles_json(share.duration)},
                                            {"http_req_latency", quantiles_json(share.latency)}};
      }
      points.back()["scenarios"] = std::move(scenarios);
    }
  }
  const RunInfo& info = result.info;
  return {
      {"version", 1},
      {"tool", "loadlab"},
      {"info",
       {{"started_at", info.started_at},
        {"elapsed_s", seconds(info.elapsed)},
        {"shard", info.shard.to_string()},
        {"merged_shards", info.merged_shards},
        {"aborted", info.aborted},
        {"abort_reason", info.abort_reason},
        {"target", info.target}}},
      {"config", info.plan},
      {"summary", summary_json(metrics, info.elapsed)},
      {"thresholds", std::move(thresholds)},
      {"series", {{"interval_s", metrics.series_interval_seconds}, {"points", std::move(points)}}},
      {"metrics", metrics.to_json()}};
}

core::Expected<RunResult, std::string> result_from_json(const nlohmann::json& json) {
  try {
    if (!json.is_object()) return core::unexpected(std::string("expected a JSON object"));
    if (!json.contains("version") || json.at("version") != 1) {
      return core::unexpected(std::string("version: expected 1 (not a loadlab result?)"));
    }
    RunResult result;
    const Json& info = json.at("info");
    if (!info.is_object()) return core::unexpected(std::string("info: expected an object"));
    result.info.started_at = info.value("started_at", "");
    const Json& elapsed = info.at("elapsed_s");
    if (!elapsed.is_number() || elapsed.get<double>() < 0) {
      return core::unexpected(std::string("info.elapsed_s: expected a non-negative number"));
    }
    result.info.elapsed = duration_from_seconds(elapsed.get<double>());
    auto shard = parse_shard(info.value("shard", "1/1"));
    if (!shard) return core::unexpected("info.shard: " + shard.error());
    result.info.shard = *shard;
    result.info.merged_shards = info.value("merged_shards", std::int64_t{1});
    if (result.info.merged_shards < 1)
      return core::unexpected(std::string("info.merged_shards: expected >= 1"));
    result.info.aborted = info.value("aborted", false);
    result.info.abort_reason = info.value("abort_reason", "");
    result.info.target = info.value("target", "");
    result.info.plan = json.value("config", Json::object());
    if (!json.contains("metrics")) return core::unexpected(std::string("metrics: missing"));
    result.metrics = MetricsData::from_json(json.at("metrics"));
    if (json.contains("thresholds") && json.at("thresholds").is_array()) {
      for (const auto& t : json.at("thresholds")) {
        ThresholdOutcome outcome;
        outcome.metric = t.value("metric", "");
        outcome.source = t.value("threshold", "");
        outcome.passed = t.value("ok", true);
        if (t.contains("observed") && t.at("observed").is_number())
          outcome.observed = t.at("observed").get<double>();
        outcome.abort_on_fail = t.value("abortOnFail", false);
        result.thresholds.push_back(std::move(outcome));
      }
    }
    return result;
  } catch (const std::exception& e) {
    // nlohmann's type errors and MetricsData's field errors both land here with their path.
    return core::unexpected(std::string(e.what()));
  }
}

std::string series_csv(const MetricsData& metrics) {
  std::string out =
      "t_s,http_reqs,http_req_failed,iterations,dropped_iterations,data_sent,data_received,"
      "checks_passed,checks_failed,vus,vus_max,duration_p50_ms,duration_p90_ms,duration_p99_ms,"
      "duration_max_ms,latency_p50_ms,latency_p90_ms,latency_p99_ms,latency_max_ms\n";
  for (std::size_t i = 0; i < metrics.series.size(); ++i) {
    const SeriesPoint& p = metrics.series[i];
    const Json d = quantiles_json(p.duration);
    const Json l = quantiles_json(p.latency);
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                       static_cast<std::int64_t>(i) * metrics.series_interval_seconds, p.requests,
                       p.failed, p.iterations, p.dropped_iterations, p.bytes_sent, p.bytes_received,
                       p.checks_passed, p.checks_failed, p.vus, p.vus_max, d["p50"].get<double>(),
                       d["p90"].get<double>(), d["p99"].get<double>(), d["max"].get<double>(),
                       l["p50"].get<double>(), l["p90"].get<double>(), l["p99"].get<double>(),
                       l["max"].get<double>());
  }
  return out;
}

namespace {
// Shards may aim the same plan at different replicas of one service (the lab's scale-out run
// gives each replica its own generator); everything else about the plan must be equal.
Json without_base_url(Json plan) {
  if (plan.is_object()) plan.erase("baseUrl");
  return plan;
}
}  // namespace

core::Expected<RunResult, std::string> merge_results(const std::vector<RunResult>& shards) {
  if (shards.empty()) return core::unexpected(std::string("nothing to merge"));
  const RunResult& first = shards.front();
  std::set<std::int64_t> seen;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const RunInfo& info = shards[i].info;
    const std::string which = "result " + std::to_string(i + 1);
    if (info.merged_shards != 1) {
      return core::unexpected(which + " is already a merge of " +
                              std::to_string(info.merged_shards) +
                              " shards; merge the shard files themselves");
    }
    if (info.shard.count != first.info.shard.count) {
      return core::unexpected(which + " is shard " + info.shard.to_string() + " but result 1 is " +
                              first.info.shard.to_string() + " (shard counts differ)");
    }
    if (shards.size() > 1 && !seen.insert(info.shard.index).second) {
      return core::unexpected(which + " repeats shard " + info.shard.to_string());
    }
    if (without_base_url(info.plan) != without_base_url(first.info.plan)) {
      return core::unexpected(which + " ran a different plan than result 1");
    }
    if (shards[i].metrics.names != first.metrics.names) {
      return core::unexpected(which + " has different scenario or request names than result 1");
    }
  }
  // Thresholds judged on some of the shards would pass or fail on part of the load: every shard
  // i/n must be there (repeats were refused above).
  if (shards.size() != static_cast<std::size_t>(first.info.shard.count)) {
    std::vector<std::string> missing;
    for (std::int64_t index = 1; index <= first.info.shard.count && missing.size() < 10; ++index) {
      const bool present =
          std::any_of(shards.begin(), shards.end(),
                      [index](const RunResult& shard) { return shard.info.shard.index == index; });
      if (!present) missing.push_back(Shard{index, first.info.shard.count}.to_string());
    }
    return core::unexpected(fmt::format(
        "incomplete set: {} of {} shards given, missing {}{}; merge every shard i/n for i = 1..n",
        shards.size(), first.info.shard.count, fmt::join(missing, ", "),
        static_cast<std::int64_t>(shards.size()) + static_cast<std::int64_t>(missing.size()) <
                first.info.shard.count
            ? ", ..."
            : ""));
  }
  RunResult merged;
  merged.info = first.info;
  std::vector<std::string> targets;  // one per replica when the shards aimed at several
  for (const auto& shard : shards) {
    if (std::find(targets.begin(), targets.end(), shard.info.target) == targets.end()) {
      targets.push_back(shard.info.target);
    }
  }
  merged.info.target = fmt::format("{}", fmt::join(targets, ", "));
  merged.metrics = first.metrics;
  for (std::size_t i = 1; i < shards.size(); ++i) {
    const RunInfo& info = shards[i].info;
    merged.info.elapsed = std::max(merged.info.elapsed, info.elapsed);
    merged.info.started_at = std::min(merged.info.started_at, info.started_at);
    if (info.aborted && !merged.info.aborted) {
      merged.info.aborted = true;
      merged.info.abort_reason = info.abort_reason;
    }
    merged.metrics.merge(shards[i].metrics);
  }
  merged.info.merged_shards = static_cast<std::int64_t>(shards.size());
  merged.info.shard = Shard{};  // the whole run
  return merged;
}

}  // namespace loadlab::load
