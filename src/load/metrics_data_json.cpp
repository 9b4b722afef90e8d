// MetricsData's JSON form: names, per-key totals with serialised histograms, scenarios, phases
// and the series; the reader validates every field and names the bad one.
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "load/metrics_data.hpp"

namespace loadlab::load {

namespace {

using Json = nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw std::invalid_argument(path + ": " + message);
}

const Json& field(const Json& object, const char* name, const std::string& path) {
  if (!object.is_object()) fail(path, "expected an object");
  auto it = object.find(name);
  if (it == object.end()) fail(path + "." + name, "missing");
  return *it;
}

std::int64_t int_field(const Json& object, const char* name, const std::string& path) {
  const Json& value = field(object, name, path);
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
    fail(path + "." + name, "expected a non-negative integer");
  }
  return value.get<std::int64_t>();
}

std::string string_field(const Json& object, const char* name, const std::string& path) {
  const Json& value = field(object, name, path);
  if (!value.is_string()) fail(path + "." + name, "expected a string");
  return value.get<std::string>();
}

core::HdrHistogram histogram_field(const Json& object, const char* name, const std::string& path) {
  const Json& value = field(object, name, path);  // names a missing field itself
  try {
    return core::HdrHistogram::from_json(value);
  } catch (const std::invalid_argument& e) {
    fail(path + "." + name, e.what());
  }
}

SparseHistogram sparse_field(const Json& object, const char* name, const std::string& path) {
  const Json& value = field(object, name, path);  // names a missing field itself
  try {
    return SparseHistogram::from_json(value);
  } catch (const std::invalid_argument& e) {
    fail(path + "." + name, e.what());
  }
}

// Optional `error` (absent when the request got a response, and in results written before errors
// were recorded), with `error_code`, which must then be k6's code for it.
RequestError error_field(const Json& object, int status, const std::string& path) {
  if (!object.contains("error")) return RequestError::none;
  const auto error = request_error_from_json_name(string_field(object, "error", path));
  if (!error || *error == RequestError::interrupted) {
    fail(path + ".error", "unknown request error");
  }
  if (*error != RequestError::none && status != 0) {
    fail(path + ".error", "a request with an error has status 0");
  }
  if (object.contains("error_code") &&
      int_field(object, "error_code", path) != request_error_code(status, *error)) {
    fail(path + ".error_code", "not the code of error " + std::string(json_name(*error)));
  }
  return *error;
}

// Optional `tags`: a mapping of strings (absent in results written before tags were recorded).
std::map<std::string, std::string> tags_field(const Json& object, const std::string& path) {
  std::map<std::string, std::string> tags;
  if (!object.is_object() || !object.contains("tags")) return tags;
  const Json& value = object.at("tags");
  if (!value.is_object()) fail(path + ".tags", "expected a mapping of tag names to strings");
  for (const auto& [tag, item] : value.items()) {
    if (!item.is_string()) fail(path + ".tags." + tag, "expected a string");
    tags[tag] = item.get<std::string>();
  }
  return tags;
}

const Json& array_field(const Json& object, const char* name, const std::string& path) {
  const Json& value = field(object, name, path);
  if (!value.is_array()) fail(path + "." + name, "expected an array");
  return value;
}

}  // namespace

nlohmann::json MetricsData::to_json() const {
  Json names_json = Json::array();
  for (const auto& scenario : names) {
    Json requests_json = Json::array();
    for (const auto& request : scenario.requests) {
      Json request_json{{"name", request.name}, {"method", request.method}};
      if (!request.tags.empty()) request_json["tags"] = request.tags;
      requests_json.push_back(std::move(request_json));
    }
    Json scenario_json{{"name", scenario.name}, {"requests", std::move(requests_json)}};
    if (!scenario.tags.empty()) scenario_json["tags"] = scenario.tags;
    names_json.push_back(std::move(scenario_json));
  }
  Json requests_json = Json::array();
  for (const auto& [key, stats] : requests) {
    Json entry{{"scenario", key.scenario},
               {"request", key.request},
               {"status", key.status},
               {"requests", stats.requests},
               {"failed", stats.failed},
               {"bytes_sent", stats.bytes_sent},
               {"bytes_received", stats.bytes_received},
               {"checks_passed", stats.checks_passed},
               {"checks_failed", stats.checks_failed},
               {"duration", stats.duration.to_json()},
               {"latency", stats.latency.to_json()}};
    if (key.error != RequestError::none) {
      entry["error"] = json_name(key.error);
      entry["error_code"] = k6_error_code(key.error);
    }
    requests_json.push_back(std::move(entry));
  }
  Json scenarios_json = Json::array();
  for (const auto& stats : scenarios) {
    scenarios_json.push_back({{"iterations", stats.iterations},
                              {"interrupted", stats.interrupted},
                              {"dropped_iterations", stats.dropped_iterations},
                              {"iteration_duration", stats.iteration_duration.to_json()}});
  }
  Json points = Json::array();
  for (const auto& point : series) points.push_back(series_point_to_json(point));
  return {{"names", std::move(names_json)},
          {"requests", std::move(requests_json)},
          {"scenarios", std::move(scenarios_json)},
          {"phases",
           {{"connecting", connecting.to_json()},
            {"sending", sending.to_json()},
            {"waiting", waiting.to_json()},
            {"receiving", receiving.to_json()},
            {"tls_handshaking", tls_handshaking.to_json()}}},
          {"series", {{"interval_s", series_interval_seconds}, {"points", std::move(points)}}}};
}

MetricsData MetricsData::from_json(const nlohmann::json& json) {
  const std::string root = "metrics";
  std::vector<ScenarioNames> scenario_names;
  const Json& names_json = array_field(json, "names", root);
  for (std::size_t i = 0; i < names_json.size(); ++i) {
    const std::string path = root + ".names[" + std::to_string(i) + "]";
    ScenarioNames entry{
        string_field(names_json[i], "name", path), {}, tags_field(names_json[i], path)};
    const Json& requests_json = array_field(names_json[i], "requests", path);
    for (std::size_t j = 0; j < requests_json.size(); ++j) {
      const std::string request_path = path + ".requests[" + std::to_string(j) + "]";
      entry.requests.push_back(RequestName{string_field(requests_json[j], "name", request_path),
                                           string_field(requests_json[j], "method", request_path),
                                           tags_field(requests_json[j], request_path)});
    }
    scenario_names.push_back(std::move(entry));
  }
  MetricsData data(std::move(scenario_names));

  const Json& requests_json = array_field(json, "requests", root);
  for (std::size_t i = 0; i < requests_json.size(); ++i) {
    const std::string path = root + ".requests[" + std::to_string(i) + "]";
    const Json& entry = requests_json[i];
    RequestKey key;
    key.scenario = static_cast<std::uint32_t>(int_field(entry, "scenario", path));
    key.request = static_cast<std::uint32_t>(int_field(entry, "request", path));
    key.status = static_cast<int>(int_field(entry, "status", path));
    key.error = error_field(entry, key.status, path);
    if (key.scenario >= data.names.size() ||
        key.request >= data.names[key.scenario].requests.size()) {
      fail(path, "scenario/request index out of range of metrics.names");
    }
    RequestStats stats;
    stats.requests = int_field(entry, "requests", path);
    stats.failed = int_field(entry, "failed", path);
    stats.bytes_sent = int_field(entry, "bytes_sent", path);
    stats.bytes_received = int_field(entry, "bytes_received", path);
    stats.checks_passed = int_field(entry, "checks_passed", path);
    stats.checks_failed = int_field(entry, "checks_failed", path);
    stats.duration = histogram_field(entry, "duration", path);
    stats.latency = histogram_field(entry, "latency", path);
    if (!data.requests.try_emplace(key, std::move(stats)).second) fail(path, "duplicate key");
  }

  const Json& scenarios_json = array_field(json, "scenarios", root);
  if (scenarios_json.size() != data.names.size()) {
    fail(root + ".scenarios", "expected one entry per scenario of metrics.names");
  }
  for (std::size_t i = 0; i < scenarios_json.size(); ++i) {
    const std::string path = root + ".scenarios[" + std::to_string(i) + "]";
    ScenarioStats& stats = data.scenarios[i];
    stats.iterations = int_field(scenarios_json[i], "iterations", path);
    stats.interrupted = int_field(scenarios_json[i], "interrupted", path);
    stats.dropped_iterations = int_field(scenarios_json[i], "dropped_iterations", path);
    stats.iteration_duration = histogram_field(scenarios_json[i], "iteration_duration", path);
  }

  const Json& phases = field(json, "phases", root);
  data.connecting = histogram_field(phases, "connecting", root + ".phases");
  data.sending = histogram_field(phases, "sending", root + ".phases");
  data.waiting = histogram_field(phases, "waiting", root + ".phases");
  data.receiving = histogram_field(phases, "receiving", root + ".phases");
  // Optional: results written before https support have no TLS phase.
  if (phases.contains("tls_handshaking")) {
    data.tls_handshaking = histogram_field(phases, "tls_handshaking", root + ".phases");
  }

  const Json& series = field(json, "series", root);
  data.series_interval_seconds = int_field(series, "interval_s", root + ".series");
  const std::int64_t interval = data.series_interval_seconds;
  if (interval < 1 || (interval & (interval - 1)) != 0) {
    fail(root + ".series.interval_s", "expected a power of two");
  }
  const Json& points = array_field(series, "points", root + ".series");
  if (points.size() > kMaxSeriesPoints) fail(root + ".series.points", "too many points");
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::string path = root + ".series.points[" + std::to_string(i) + "]";
    data.series.push_back(series_point_from_json(points[i], path, data.names.size()));
  }
  return data;
}

Json series_point_to_json(const SeriesPoint& point) {
  Json json = {{"requests", point.requests},
               {"failed", point.failed},
               {"iterations", point.iterations},
               {"dropped_iterations", point.dropped_iterations},
               {"bytes_sent", point.bytes_sent},
               {"bytes_received", point.bytes_received},
               {"checks_passed", point.checks_passed},
               {"checks_failed", point.checks_failed},
               {"vus", point.vus},
               {"vus_max", point.vus_max},
               {"duration", point.duration.to_json()},
               {"latency", point.latency.to_json()}};
  if (!point.by_scenario.empty()) {
    Json scenarios = Json::array();
    for (const auto& share : point.by_scenario) {
      scenarios.push_back({{"requests", share.requests},
                           {"failed", share.failed},
                           {"iterations", share.iterations},
                           {"dropped_iterations", share.dropped_iterations},
                           {"duration", share.duration.to_json()},
                           {"latency", share.latency.to_json()}});
    }
    json["scenarios"] = std::move(scenarios);
  }
  return json;
}

SeriesPoint series_point_from_json(const Json& p, const std::string& path,
                                   std::size_t scenario_count) {
  SeriesPoint point;
  point.requests = int_field(p, "requests", path);
  point.failed = int_field(p, "failed", path);
  point.iterations = int_field(p, "iterations", path);
  point.dropped_iterations = int_field(p, "dropped_iterations", path);
  point.bytes_sent = int_field(p, "bytes_sent", path);
  point.bytes_received = int_field(p, "bytes_received", path);
  point.checks_passed = int_field(p, "checks_passed", path);
  point.checks_failed = int_field(p, "checks_failed", path);
  point.vus = int_field(p, "vus", path);
  point.vus_max = int_field(p, "vus_max", path);
  point.duration = sparse_field(p, "duration", path);
  point.latency = sparse_field(p, "latency", path);
  // Optional: written only for plans with several scenarios.
  if (const auto it = p.find("scenarios"); it != p.end()) {
    if (!it->is_array()) fail(path + ".scenarios", "expected an array");
    if (it->size() > scenario_count) {
      fail(path + ".scenarios", "more entries than the plan has scenarios");
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      const std::string share_path = path + ".scenarios[" + std::to_string(i) + "]";
      const Json& s = (*it)[i];
      ScenarioPoint share;
      share.requests = int_field(s, "requests", share_path);
      share.failed = int_field(s, "failed", share_path);
      share.iterations = int_field(s, "iterations", share_path);
      share.dropped_iterations = int_field(s, "dropped_iterations", share_path);
      share.duration = sparse_field(s, "duration", share_path);
      share.latency = sparse_field(s, "latency", share_path);
      point.by_scenario.push_back(std::move(share));
    }
  }
  return point;
}

}  // namespace loadlab::load
