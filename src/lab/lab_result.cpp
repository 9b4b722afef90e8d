// lab.json writing and reading.
#include "lab/lab_result.hpp"

#include <nlohmann/json.hpp>

#include "report/compare.hpp"

namespace loadlab::lab {
namespace {

using Json = nlohmann::json;

Json numbers(const std::vector<double>& values) {
  Json array = Json::array();
  for (const double v : values) array.push_back(std::isfinite(v) ? Json(v) : Json(nullptr));
  return array;
}

std::vector<double> numbers_from(const Json& json, const char* key) {
  std::vector<double> values;
  if (!json.contains(key)) return values;
  for (const auto& v : json[key]) values.push_back(v.is_number() ? v.get<double>() : std::nan(""));
  return values;
}

Json series_json(const report::SeriesDigest& s) {
  return {{"interval_s", s.interval_s},
          {"t", numbers(s.t)},
          {"requests_per_s", numbers(s.requests_per_s)},
          {"ok_per_s", numbers(s.ok_per_s)},
          {"failed_per_s", numbers(s.failed_per_s)},
          {"dropped_per_s", numbers(s.dropped_per_s)},
          {"vus", numbers(s.vus)},
          {"p50_ms", numbers(s.p50_ms)},
          {"p90_ms", numbers(s.p90_ms)},
          {"p99_ms", numbers(s.p99_ms)},
          {"max_ms", numbers(s.max_ms)},
          {"duration_p99_ms", numbers(s.duration_p99_ms)}};
}

report::SeriesDigest series_from(const Json& j) {
  report::SeriesDigest s;
  s.interval_s = j.value("interval_s", 1.0);
  s.t = numbers_from(j, "t");
  s.requests_per_s = numbers_from(j, "requests_per_s");
  s.ok_per_s = numbers_from(j, "ok_per_s");
  s.failed_per_s = numbers_from(j, "failed_per_s");
  s.dropped_per_s = numbers_from(j, "dropped_per_s");
  s.vus = numbers_from(j, "vus");
  s.p50_ms = numbers_from(j, "p50_ms");
  s.p90_ms = numbers_from(j, "p90_ms");
  s.p99_ms = numbers_from(j, "p99_ms");
  s.max_ms = numbers_from(j, "max_ms");
  s.duration_p99_ms = numbers_from(j, "duration_p99_ms");
  return s;
}

Outcome outcome_from(const std::string& text) {
  if (text == "confirmed") return Outcome::confirmed;
  if (text == "refuted") return Outcome::refuted;
  return Outcome::skipped;
}

}  // namespace

Json run_measurements_json(const RunMeasurements& run) {
  Json scenarios = Json::array();
  for (const auto& scenario : run.load.scenarios)
    scenarios.push_back(report::scenario_digest_json(scenario));
  Json children = Json::object();
  for (const auto& [name, series] : run.children) children[name] = series.to_json();
  Json restarts = Json::array();
  for (const auto& r : run.restarts) {
    restarts.push_back({{"child", r.child}, {"t", r.t}, {"cause", r.cause}, {"detail", r.detail}});
  }
  Json windows = Json::object();
  for (const auto& [name, window] : run.windows)
    windows[name] = Json::array({window.first, window.second});
  return {{"mode", run.variant},
          {"model", run.model},
          {"ran", run.ran},
          {"skipped_reason", run.skipped_reason},
          {"offered_load", run.offered_load},
          {"offered_rps", run.offered_rps},
          {"target", run.load.target},
          {"elapsed_s", run.load.elapsed_s},
          {"digest", report::scenario_digest_json(run.load.total)},
          {"scenarios", std::move(scenarios)},
          {"series", series_json(run.load.series)},
          {"children", std::move(children)},
          {"restarts", std::move(restarts)},
          {"windows", std::move(windows)},
          {"errors", run.errors}};
}

RunMeasurements run_measurements_from_json(const Json& j) {
  RunMeasurements run;
  run.variant = j.at("mode").get<std::string>();
  run.model = j.value("model", "");
  run.ran = j.value("ran", false);
  run.skipped_reason = j.value("skipped_reason", "");
  run.offered_load = j.value("offered_load", "");
  run.offered_rps = j.value("offered_rps", 0.0);
  run.load.target = j.value("target", "");
  run.load.elapsed_s = j.value("elapsed_s", 0.0);
  if (j.contains("digest")) run.load.total = report::scenario_digest_from_json(j["digest"]);
  for (const auto& scenario : j.value("scenarios", Json::array())) {
    run.load.scenarios.push_back(report::scenario_digest_from_json(scenario));
  }
  if (j.contains("series")) run.load.series = series_from(j["series"]);
  const Json children_json = j.value("children", Json::object());  // items() must not outlive it
  for (const auto& [name, series] : children_json.items()) {
    run.children[name] = TimeSeries::from_json(series);
  }
  for (const auto& r : j.value("restarts", Json::array())) {
    run.restarts.push_back(
        {r.value("child", ""), r.value("t", 0.0), r.value("cause", ""), r.value("detail", "")});
  }
  const Json windows_json = j.value("windows", Json::object());  // items() must not outlive it
  for (const auto& [name, window] : windows_json.items()) {
    run.windows[name] = {window.at(0).get<double>(), window.at(1).get<double>()};
  }
  run.errors = j.value("errors", std::vector<std::string>{});
  return run;
}

Json lab_result_json(const LabRunInfo& info, const std::vector<ExperimentResult>& results) {
  Json experiments = Json::array();
  for (const auto& result : results) {
    Json runs = Json::array();
    for (const auto& variant : result.experiment.variants) {
      if (const auto* run = result.measured.find(variant.label))
        runs.push_back(run_measurements_json(*run));
    }
    Json expectations = Json::array();
    for (const auto& judged : result.judged) {
      expectations.push_back({{"mode", judged.variant},
                              {"claim", judged.claim},
                              {"outcome", std::string(to_string(judged.verdict.outcome))},
                              {"evidence", judged.verdict.evidence}});
    }
    experiments.push_back({{"name", result.experiment.name},
                           {"title", result.experiment.title},
                           {"question", result.experiment.question},
                           {"scenario", result.experiment.scenario},
                           {"runs", std::move(runs)},
                           {"expectations", std::move(expectations)}});
  }
  return {{"kind", "loadlab-lab"},
          {"version", 1},
          {"info",
           {{"profile", info.profile},
            {"started_at", info.started_at},
            {"elapsed_s", info.elapsed_s},
            {"limit_mechanism", info.limit_mechanism},
            {"limit_description", info.limit_description},
            {"notes", info.notes},
            {"cpus", info.limits.cpus},
            {"memory_bytes", info.limits.memory_bytes}}},
          {"experiments", std::move(experiments)}};
}

core::Expected<LabResult, std::string> lab_result_from_json(const Json& json) {
  LabResult result;
  try {
    if (json.value("kind", "") != "loadlab-lab")
      return core::unexpected(std::string("not a lab result"));
    const auto& info = json.at("info");
    result.info.profile = info.value("profile", "");
    result.info.started_at = info.value("started_at", "");
    result.info.elapsed_s = info.value("elapsed_s", 0.0);
    result.info.limit_mechanism = info.value("limit_mechanism", "");
    result.info.limit_description = info.value("limit_description", "");
    result.info.notes = info.value("notes", std::vector<std::string>{});
    result.info.limits.cpus = info.value("cpus", 0.5);
    result.info.limits.memory_bytes = info.value("memory_bytes", std::uint64_t{512} << 20);
    for (const auto& e : json.at("experiments")) {
      StoredExperiment stored;
      stored.name = e.at("name").get<std::string>();
      stored.title = e.value("title", stored.name);
      stored.question = e.value("question", "");
      stored.scenario = e.value("scenario", "");
      for (const auto& run : e.at("runs")) stored.runs.push_back(run_measurements_from_json(run));
      for (const auto& x : e.value("expectations", Json::array())) {
        stored.judged.push_back({x.value("mode", ""),
                                 x.value("claim", ""),
                                 {outcome_from(x.value("outcome", "")), x.value("evidence", "")}});
      }
      result.experiments.push_back(std::move(stored));
    }
  } catch (const std::exception& error) {
    return core::unexpected(std::string("malformed lab result: ") + error.what());
  }
  return result;
}

}  // namespace loadlab::lab
