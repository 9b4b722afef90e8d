// Writing a TestPlan back in scenario-file form (for results' `config` and --print-config).
#include <nlohmann/json.hpp>

#include "core/duration.hpp"
#include "load/scenario_loader.hpp"

namespace loadlab::load {

namespace {

using Json = nlohmann::json;

std::string duration(core::Duration d) {
  return core::format_duration(d);
}

Json think_time_json(const ThinkTime& think) {
  if (think.min == think.max) return duration(think.min);
  return {{"min", duration(think.min)}, {"max", duration(think.max)}};
}

Json request_json(const RequestSpec& request) {
  Json out = {{"name", request.name},
              {"method", request.method},
              {"url", request.url.source()},
              {"timeout", duration(request.timeout)},
              {"weight", request.weight}};
  if (!request.headers.empty()) {
    Json headers = Json::object();
    for (const auto& header : request.headers) headers[header.name] = header.value.source();
    out["headers"] = std::move(headers);
  }
  if (!request.body.empty()) out["body"] = request.body.source();
  if (!request.expect.statuses.empty() || !request.expect.excluded_statuses.empty() ||
      !request.expect.body_contains.empty()) {
    Json expect = Json::object();
    if (!request.expect.statuses.empty()) expect["status"] = request.expect.statuses;
    if (!request.expect.excluded_statuses.empty())
      expect["statusNot"] = request.expect.excluded_statuses;
    if (!request.expect.body_contains.empty())
      expect["bodyContains"] = request.expect.body_contains;
    out["expect"] = std::move(expect);
  }
  if (!request.think_time.none()) out["thinkTime"] = think_time_json(request.think_time);
  if (!request.tags.empty()) out["tags"] = request.tags;
  return out;
}

Json stages_json(const std::vector<Stage>& stages, bool vus) {
  Json out = Json::array();
  for (const auto& stage : stages) {
    Json target = vus ? Json(static_cast<std::int64_t>(stage.target)) : Json(stage.target);
    out.push_back({{"duration", duration(stage.duration)}, {"target", std::move(target)}});
  }
  return out;
}

Json scenario_json(const Scenario& s) {
  Json out = {{"executor", std::string(to_string(s.executor))},
              {"startTime", duration(s.start_time)},
              {"gracefulStop", duration(s.graceful_stop)},
              {"mix", std::string(to_string(s.mix))}};
  switch (s.executor) {
    case Executor::constant_vus:
      out["vus"] = s.vus;
      out["duration"] = duration(s.duration);
      break;
    case Executor::ramping_vus:
      out["startVUs"] = s.start_vus;
      out["stages"] = stages_json(s.stages, true);
      out["gracefulRampDown"] = duration(s.graceful_ramp_down);
      break;
    case Executor::constant_arrival_rate:
      out["rate"] = s.rate;
      out["duration"] = duration(s.duration);
      break;
    case Executor::ramping_arrival_rate:
      out["startRate"] = s.start_rate;
      out["stages"] = stages_json(s.stages, false);
      break;
    case Executor::per_vu_iterations:
    case Executor::shared_iterations:
      out["vus"] = s.vus;
      out["iterations"] = s.iterations;
      out["maxDuration"] = duration(s.max_duration);
      break;
  }
  if (is_arrival_rate(s.executor)) {
    out["timeUnit"] = duration(s.time_unit);
    out["preAllocatedVUs"] = s.pre_allocated_vus;
    out["maxVUs"] = s.max_vus;
  }
  if (!s.think_time.none()) out["thinkTime"] = think_time_json(s.think_time);
  if (!s.tags.empty()) out["tags"] = s.tags;
  Json requests = Json::array();
  for (const auto& request : s.requests) requests.push_back(request_json(request));
  out["requests"] = std::move(requests);
  return out;
}

}  // namespace

nlohmann::json plan_to_json(const TestPlan& plan) {
  Json out = Json::object();
  if (!plan.base_url.empty()) {
    // baseUrl is read as a template: keep a resolved `$` literal.
    std::string escaped;
    for (char c : plan.base_url) {
      if (c == '$') escaped += '$';
      escaped += c;
    }
    out["baseUrl"] = std::move(escaped);
  }
  if (!plan.env.empty()) out["env"] = plan.env;
  if (plan.insecure_skip_tls_verify) out["insecureSkipTLSVerify"] = true;
  Json scenarios = Json::object();
  for (const auto& scenario : plan.scenarios) scenarios[scenario.name] = scenario_json(scenario);
  out["scenarios"] = std::move(scenarios);
  if (!plan.thresholds.empty()) {
    Json thresholds = Json::object();
    for (const auto& group : plan.thresholds) {
      Json list = Json::array();
      for (const auto& t : group.thresholds) {
        if (!t.abort_on_fail && t.delay_abort_eval.count() == 0) {
          list.push_back(t.source);
        } else {
          list.push_back({{"threshold", t.source},
                          {"abortOnFail", t.abort_on_fail},
                          {"delayAbortEval", duration(t.delay_abort_eval)}});
        }
      }
      thresholds[group.selector.key()] = std::move(list);
    }
    out["thresholds"] = std::move(thresholds);
  }
  return out;
}

}  // namespace loadlab::load
