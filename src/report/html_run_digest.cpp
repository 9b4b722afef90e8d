// Reading a run result JSON into a RunDigest (exact percentiles from the serialised histograms).
#include "report/html_run_digest.hpp"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/hdr_histogram.hpp"
#include "load/request_error.hpp"

namespace loadlab::report {
namespace {

using Json = nlohmann::json;

double number_at(const Json& object, const char* key, double fallback = 0) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : fallback;
}

void fill_percentiles(ScenarioDigest& digest, const core::HdrHistogram& latency) {
  const auto ms = [](std::int64_t us) { return static_cast<double>(us) / 1000.0; };
  if (latency.total_count() == 0) return;
  digest.p50_ms = ms(latency.value_at_percentile(50));
  digest.p90_ms = ms(latency.value_at_percentile(90));
  digest.p95_ms = ms(latency.value_at_percentile(95));
  digest.p99_ms = ms(latency.value_at_percentile(99));
  digest.max_ms = ms(latency.max());
  digest.mean_ms = latency.mean() / 1000.0;
}

void fill_ok_percentiles(ScenarioDigest& digest, const core::HdrHistogram& latency) {
  if (latency.total_count() == 0) return;
  digest.ok_p50_ms = static_cast<double>(latency.value_at_percentile(50)) / 1000.0;
  digest.ok_p95_ms = static_cast<double>(latency.value_at_percentile(95)) / 1000.0;
  digest.ok_p99_ms = static_cast<double>(latency.value_at_percentile(99)) / 1000.0;
}

void finish_rates(ScenarioDigest& digest, double elapsed_s) {
  digest.elapsed_s = elapsed_s;
  if (elapsed_s > 0) {
    digest.throughput = static_cast<double>(digest.requests) / elapsed_s;
    digest.goodput = static_cast<double>(digest.requests - digest.failed) / elapsed_s;
  }
  digest.error_rate =
      digest.requests ? static_cast<double>(digest.failed) / static_cast<double>(digest.requests)
                      : 0;
}

SeriesDigest read_series(const Json& series) {
  SeriesDigest digest;
  digest.interval_s = std::max(1.0, number_at(series, "interval_s", 1));
  const auto points = series.find("points");
  if (points == series.end() || !points->is_array()) return digest;
  const Json empty = Json::object();
  for (const auto& point : *points) {
    const double requests = number_at(point, "http_reqs");
    const double failed = number_at(point, "http_req_failed");
    const auto& latency = point.contains("http_req_latency") ? point["http_req_latency"] : empty;
    const auto& duration = point.contains("http_req_duration") ? point["http_req_duration"] : empty;
    const bool any = number_at(latency, "count") > 0;
    const double gap = std::numeric_limits<double>::quiet_NaN();
    digest.t.push_back(
        number_at(point, "t", static_cast<double>(digest.t.size()) * digest.interval_s));
    digest.requests_per_s.push_back(requests / digest.interval_s);
    digest.ok_per_s.push_back((requests - failed) / digest.interval_s);
    digest.failed_per_s.push_back(failed / digest.interval_s);
    digest.dropped_per_s.push_back(number_at(point, "dropped_iterations") / digest.interval_s);
    digest.vus.push_back(number_at(point, "vus"));
    digest.p50_ms.push_back(any ? number_at(latency, "p50") : gap);
    digest.p90_ms.push_back(any ? number_at(latency, "p90") : gap);
    digest.p99_ms.push_back(any ? number_at(latency, "p99") : gap);
    digest.max_ms.push_back(any ? number_at(latency, "max") : gap);
    digest.duration_p99_ms.push_back(number_at(duration, "count") > 0 ? number_at(duration, "p99")
                                                                      : gap);
  }
  return digest;
}

}  // namespace

core::Expected<RunDigest, std::string> digest_run_result(const Json& result) {
  if (!result.is_object()) return core::unexpected(std::string("a run result is a JSON object"));
  const auto metrics = result.find("metrics");
  if (metrics == result.end() || !metrics->is_object() || !metrics->contains("requests")) {
    return core::unexpected(std::string("not a loadlab run result: no metrics.requests"));
  }
  RunDigest digest;
  try {
    const auto& info = result.value("info", Json::object());
    digest.elapsed_s = number_at(info, "elapsed_s");
    digest.target = info.value("target", "");
    digest.aborted = info.value("aborted", false);
    const auto& names = metrics->value("names", Json::array());
    for (const auto& scenario : names) {
      ScenarioDigest entry;
      entry.name = scenario.value("name", "scenario");
      digest.scenarios.push_back(entry);
    }
    // Histograms are merged into a copy of the first one seen, so any recorded layout works.
    std::vector<std::optional<core::HdrHistogram>> latencies(digest.scenarios.size());
    std::optional<core::HdrHistogram> all_latency;
    std::vector<std::optional<core::HdrHistogram>> ok_latencies(digest.scenarios.size());
    std::optional<core::HdrHistogram> all_ok_latency;
    const auto add = [](std::optional<core::HdrHistogram>& into, const core::HdrHistogram& h) {
      if (into)
        into->merge(h);
      else
        into = h;
    };
    for (const auto& request : (*metrics)["requests"]) {
      const auto index = request.at("scenario").get<std::size_t>();
      if (index >= digest.scenarios.size())
        return core::unexpected("metrics.requests: scenario index " + std::to_string(index) +
                                " out of range");
      auto& scenario = digest.scenarios[index];
      const auto requests = request.at("requests").get<std::int64_t>();
      const auto failed = request.at("failed").get<std::int64_t>();
      const auto status = request.at("status").get<int>();
      const auto& histogram_json =
          request.contains("latency") ? request["latency"] : request.at("duration");
      const auto histogram = core::HdrHistogram::from_json(histogram_json);
      // Results written before causes were recorded have no `error`.
      const auto error =
          request.contains("error") && request["error"].is_string()
              ? load::request_error_from_json_name(request["error"].get<std::string>())
              : std::nullopt;
      for (auto* target : {&scenario, &digest.total}) {
        target->requests += requests;
        target->failed += failed;
        target->statuses[status] += requests;
        if (status == 0 && error)
          target->no_response_causes[std::string(to_string(*error))] += requests;
      }
      add(latencies[index], histogram);
      add(all_latency, histogram);
      if (status > 0 && status < 400) {
        add(ok_latencies[index], histogram);
        add(all_ok_latency, histogram);
      }
    }
    const auto& scenario_stats = metrics->value("scenarios", Json::array());
    for (std::size_t i = 0; i < digest.scenarios.size(); ++i) {
      if (i < scenario_stats.size()) {
        digest.scenarios[i].dropped_iterations = scenario_stats[i].value("dropped_iterations", 0);
        digest.scenarios[i].interrupted_iterations = scenario_stats[i].value("interrupted", 0);
      }
      digest.total.dropped_iterations += digest.scenarios[i].dropped_iterations;
      digest.total.interrupted_iterations += digest.scenarios[i].interrupted_iterations;
      if (latencies[i]) fill_percentiles(digest.scenarios[i], *latencies[i]);
      if (ok_latencies[i]) fill_ok_percentiles(digest.scenarios[i], *ok_latencies[i]);
      finish_rates(digest.scenarios[i], digest.elapsed_s);
    }
    digest.total.name = "all";
    if (all_latency) fill_percentiles(digest.total, *all_latency);
    if (all_ok_latency) fill_ok_percentiles(digest.total, *all_ok_latency);
    finish_rates(digest.total, digest.elapsed_s);
    if (result.contains("series")) digest.series = read_series(result["series"]);
  } catch (const std::exception& error) {
    return core::unexpected(std::string("malformed run result: ") + error.what());
  }
  return digest;
}

namespace {

// Most frequent first; equal counts keep the map's order.
template <typename Key>
std::vector<std::pair<Key, std::int64_t>> most_frequent_first(
    const std::map<Key, std::int64_t>& counts) {
  std::vector<std::pair<Key, std::int64_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return sorted;
}

}  // namespace

std::string format_statuses(const std::map<int, std::int64_t>& statuses,
                            const std::map<std::string, std::int64_t>& no_response_causes) {
  std::string causes;
  for (const auto& [cause, count] : most_frequent_first(no_response_causes)) {
    causes += (causes.empty() ? "" : ", ") + cause + ": " + std::to_string(count);
  }
  std::string text;
  for (const auto& [status, count] : most_frequent_first(statuses)) {
    if (!text.empty()) text += ", ";
    if (status != 0) {
      text += std::to_string(status) + ": " + std::to_string(count);
    } else {
      text += "no response: " + std::to_string(count) + (causes.empty() ? "" : " (" + causes + ")");
    }
  }
  return text.empty() ? "none" : text;
}

}  // namespace loadlab::report
