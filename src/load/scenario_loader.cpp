// Reading scenario files: JSON/YAML document -> validated TestPlan, errors naming field paths.
#include "load/scenario_loader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/duration.hpp"
#include "load/field_reader.hpp"
#include "load/metric_catalog.hpp"
#include "load/threshold_reader.hpp"
#include "load/yaml_json.hpp"

namespace loadlab::load {

namespace {

using Json = nlohmann::json;
using namespace fields;  // NOLINT(google-build-using-namespace): the reader is all field reads

class PlanReader {
 public:
  PlanReader(const LoadOptions& options, std::map<std::string, std::string> file_env)
      : options_(options), file_env_(std::move(file_env)) {
    env_ = [this](std::string_view name) -> std::optional<std::string> {
      const EnvLookup& outer = options_.env ? options_.env : process_lookup_;
      if (auto value = outer(name)) return value;
      if (auto it = file_env_.find(std::string(name)); it != file_env_.end()) return it->second;
      return std::nullopt;
    };
  }

  TestPlan read(const Json& document) {
    if (!document.is_object()) fail("(top level)", "expected a mapping with 'scenarios'");
    static const std::vector<std::string_view> kTop{
        "description", "baseUrl", "env", "insecureSkipTLSVerify", "defaults", "scenarios",
        "thresholds",
        // k6's shortcut options (one scenario named "default"):
        "vus", "duration", "stages", "iterations", "requests", "mix", "thinkTime"};
    check_keys(document, "", kTop);
    TestPlan plan;
    plan.env = file_env_;
    if (document.contains("description") && !document.at("description").is_string()) {
      fail("description", "expected a string");
    }
    if (!options_.base_url_override.empty()) {
      plan.base_url = options_.base_url_override;
    } else if (document.contains("baseUrl")) {
      plan.base_url = render_constant(document.at("baseUrl"), "baseUrl");
    }
    if (!plan.base_url.empty() && !plan.base_url.starts_with("http://") &&
        !plan.base_url.starts_with("https://")) {
      fail("baseUrl", "expected an absolute http:// or https:// URL, got '" + plan.base_url + "'");
    }
    // Request paths are appended to the base: a query or fragment in it would end up before
    // them (http://h/?a=1 + /api = http://h/?a=1/api).
    if (plan.base_url.find_first_of("?#") != std::string::npos) {
      fail("baseUrl",
           "'" + plan.base_url + "' has a query or fragment; put those in the requests' urls");
    }
    if (document.contains("insecureSkipTLSVerify")) {
      plan.insecure_skip_tls_verify =
          as_bool(document.at("insecureSkipTLSVerify"), "insecureSkipTLSVerify");
    }
    if (document.contains("defaults")) read_defaults(document.at("defaults"));

    // Every shortcut option, including mix and thinkTime: ignoring one beside `scenarios` would
    // silently run a different test from the one written.
    static const std::vector<std::string> kShortcutOptions{
        "vus", "duration", "stages", "iterations", "requests", "mix", "thinkTime"};
    const auto given_shortcut =
        std::find_if(kShortcutOptions.begin(), kShortcutOptions.end(),
                     [&document](const std::string& key) { return document.contains(key); });
    const bool shortcut = given_shortcut != kShortcutOptions.end();
    if (document.contains("scenarios")) {
      if (shortcut) {
        fail(*given_shortcut,
             "a shortcut option, not allowed beside 'scenarios': give either 'scenarios' or the "
             "shortcut options (vus, duration, stages, iterations, requests, mix, thinkTime), not "
             "both");
      }
      const Json& scenarios = document.at("scenarios");
      if (!scenarios.is_object() || scenarios.empty())
        fail("scenarios", "expected a mapping of scenario names to scenarios");
      for (const auto& [name, body] : scenarios.items()) {
        plan.scenarios.push_back(read_scenario(name, body, "scenarios." + name));
      }
    } else if (shortcut) {
      plan.scenarios.push_back(read_shortcut(document));
    } else {
      fail("scenarios", "missing (a plan needs at least one scenario)");
    }
    if (document.contains("thresholds"))
      plan.thresholds = read_thresholds(document.at("thresholds"), declared_tags(plan));
    return plan;
  }

 private:
  // A scenario's or request's own tags: strings, and not one of the names loadlab records itself
  // (a request's `name` field, not a `name` tag, groups its URLs).
  static std::map<std::string, std::string> read_tags(const Json& value, const std::string& path) {
    auto tags = as_string_map(value, path);
    for (const auto& [tag, ignored] : tags) {
      if (is_builtin_tag(tag)) {
        fail(sub(path, tag), "'" + tag +
                                 "' is a tag loadlab records itself (scenario, name, method, "
                                 "status, expected_response); use another name");
      }
      if (tag.empty() || tag.find_first_of("{}:,") != std::string::npos)
        fail(sub(path, tag), "a tag name may not be empty or contain { } : or ,");
    }
    return tags;
  }

  static std::vector<std::string> declared_tags(const TestPlan& plan) {
    std::set<std::string> names;
    for (const auto& scenario : plan.scenarios) {
      for (const auto& [tag, ignored] : scenario.tags) names.insert(tag);
      for (const auto& request : scenario.requests) {
        for (const auto& [tag, ignored] : request.tags) names.insert(tag);
      }
    }
    return {names.begin(), names.end()};
  }

  std::string render_constant(const Json& value, const std::string& path) {
    const Template t = compile(as_string(value, path), path);
    if (!t.is_constant()) fail(path, "only ${__ENV.X} placeholders are allowed here");
    Random unused;
    TemplateContext context{unused};
    return t.render(context);
  }

  Template compile(const std::string& source, const std::string& path) {
    auto compiled = Template::compile(source, env_);
    if (!compiled) fail(path, compiled.error());
    return std::move(*compiled);
  }

  void read_defaults(const Json& value) {
    check_keys(value, "defaults", {"headers", "timeout", "expect"});
    if (value.contains("headers"))
      default_headers_ = as_string_map(value.at("headers"), "defaults.headers");
    if (value.contains("timeout"))
      default_timeout_ = as_duration(value.at("timeout"), "defaults.timeout", true);
    if (value.contains("expect"))
      default_expect_ = read_expect(value.at("expect"), "defaults.expect");
  }

  Expectation read_expect(const Json& value, const std::string& path) {
    check_keys(value, path, {"status", "statusNot", "bodyContains"});
    Expectation expect;
    auto read_statuses = [&](const char* key, std::vector<int>& out) {
      if (!value.contains(key)) return;
      const Json& status = value.at(key);
      const std::string status_path = sub(path, key);
      auto one = [&](const Json& item, const std::string& item_path) {
        const std::int64_t code = as_count(item, item_path);
        if (code < 100 || code > 599)
          fail(item_path, "expected an HTTP status between 100 and 599");
        out.push_back(static_cast<int>(code));
      };
      if (status.is_array()) {
        if (status.empty()) fail(status_path, "expected at least one status");
        for (std::size_t i = 0; i < status.size(); ++i)
          one(status[i], status_path + "[" + std::to_string(i) + "]");
      } else {
        one(status, status_path);
      }
    };
    read_statuses("status", expect.statuses);
    read_statuses("statusNot", expect.excluded_statuses);
    if (value.contains("bodyContains")) {
      const Json& body = value.at("bodyContains");
      const std::string body_path = sub(path, "bodyContains");
      if (body.is_array()) {
        for (std::size_t i = 0; i < body.size(); ++i) {
          expect.body_contains.push_back(
              as_string(body[i], body_path + "[" + std::to_string(i) + "]"));
        }
      } else {
        expect.body_contains.push_back(as_string(body, body_path));
      }
    }
    return expect;
  }

  RequestSpec read_request(const Json& value, const std::string& path) {
    check_keys(value, path,
               {"name", "method", "url", "headers", "body", "timeout", "expect", "weight",
                "thinkTime", "tags"});
    RequestSpec request;
    if (!value.contains("url")) fail(sub(path, "url"), "missing");
    const std::string url = as_string(value.at("url"), sub(path, "url"));
    if (!url.starts_with("/") && !url.starts_with("http://") && !url.starts_with("https://") &&
        !url.starts_with("${")) {
      fail(sub(path, "url"), "expected a path starting with '/' or an absolute http(s):// URL");
    }
    request.url = compile(url, sub(path, "url"));
    if (value.contains("method")) {
      request.method = as_string(value.at("method"), sub(path, "method"));
      // Any method quick mode's -m sends (PURGE, lowercase ones) must load back from a result's
      // config or --print-config; methods are case-sensitive and sent as written (RFC 9110 9.1).
      if (!is_http_token(request.method)) {
        fail(sub(path, "method"), "expected an HTTP method (a token such as GET, POST or PURGE)");
      }
    }
    request.name = value.contains("name") ? as_string(value.at("name"), sub(path, "name"))
                                          : request.method + " " + url;
    if (request.name.empty()) fail(sub(path, "name"), "must not be empty");
    std::map<std::string, std::string> headers = default_headers_;
    if (value.contains("headers")) {
      for (auto& [k, v] : as_string_map(value.at("headers"), sub(path, "headers"))) headers[k] = v;
    }
    const bool structured_body =
        value.contains("body") && (value.at("body").is_object() || value.at("body").is_array());
    if (structured_body) {
      // A structured body is sent as JSON, as k6's JSON.stringify(...) would.
      const bool has_content_type = std::any_of(headers.begin(), headers.end(), [](const auto& h) {
        std::string lower = h.first;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        return lower == "content-type";
      });
      if (!has_content_type) headers["Content-Type"] = "application/json";
    }
    bool host_given = false;
    for (const auto& [name, text] : headers) {
      if (const auto problem = header_problem(name, text); !problem.empty()) {
        fail(sub(path, "headers") + "." + name, problem);
      }
      // 'Host' and 'host' are two keys of the mapping but one header: sending both is a 400.
      if (same_header_name(name, "Host")) {
        if (host_given) {
          fail(sub(path, "headers") + "." + name,
               "Host given twice (header names are case-insensitive)");
        }
        host_given = true;
      }
      request.headers.push_back(Header{name, compile(text, sub(path, "headers") + "." + name)});
    }
    if (value.contains("body")) {
      const Json& body = value.at("body");
      if (body.is_string()) {
        request.body = compile(body.get<std::string>(), sub(path, "body"));
      } else if (structured_body) {
        request.body = compile(body.dump(), sub(path, "body"));
      } else {
        fail(sub(path, "body"), "expected a string, a mapping or a list");
      }
    }
    request.timeout = value.contains("timeout")
                          ? as_duration(value.at("timeout"), sub(path, "timeout"), true)
                          : default_timeout_;
    request.expect = value.contains("expect") ? read_expect(value.at("expect"), sub(path, "expect"))
                                              : default_expect_;
    if (value.contains("weight"))
      request.weight = as_number(value.at("weight"), sub(path, "weight"), true);
    if (value.contains("thinkTime"))
      request.think_time = as_think_time(value.at("thinkTime"), sub(path, "thinkTime"));
    if (value.contains("tags")) request.tags = read_tags(value.at("tags"), sub(path, "tags"));
    return request;
  }

  void read_requests(Scenario& scenario, const Json& value, const std::string& path) {
    if (!value.contains("requests"))
      fail(sub(path, "requests"), "missing (a scenario needs at least one request)");
    const Json& requests = value.at("requests");
    const std::string list_path = sub(path, "requests");
    if (!requests.is_array() || requests.empty())
      fail(list_path, "expected a non-empty list of requests");
    if (requests.size() > 1000) fail(list_path, "at most 1000 requests per scenario");
    for (std::size_t i = 0; i < requests.size(); ++i) {
      scenario.requests.push_back(
          read_request(requests[i], list_path + "[" + std::to_string(i) + "]"));
    }
    if (value.contains("mix")) {
      const std::string mix = as_string(value.at("mix"), sub(path, "mix"));
      if (mix == "weighted") {
        scenario.mix = MixMode::weighted;
      } else if (mix == "sequence") {
        scenario.mix = MixMode::sequence;
      } else {
        fail(sub(path, "mix"), "expected 'weighted' or 'sequence'");
      }
    }
    if (value.contains("thinkTime"))
      scenario.think_time = as_think_time(value.at("thinkTime"), sub(path, "thinkTime"));
  }

  std::vector<Stage> read_stages(const Json& value, const std::string& path, bool vus) {
    if (!value.is_array() || value.empty())
      fail(path, "expected a non-empty list of {duration, target}");
    if (value.size() > 1000) fail(path, "at most 1000 stages");
    std::vector<Stage> stages;
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string stage_path = path + "[" + std::to_string(i) + "]";
      check_keys(value[i], stage_path, {"duration", "target"});
      if (!value[i].contains("duration")) fail(sub(stage_path, "duration"), "missing");
      if (!value[i].contains("target")) fail(sub(stage_path, "target"), "missing");
      Stage stage;
      stage.duration = as_duration(value[i].at("duration"), sub(stage_path, "duration"));
      stage.target =
          vus ? static_cast<double>(as_count(value[i].at("target"), sub(stage_path, "target")))
              : as_number(value[i].at("target"), sub(stage_path, "target"), false);
      stages.push_back(stage);
    }
    return stages;
  }

  Scenario read_scenario(const std::string& name, const Json& value, const std::string& path) {
    if (!value.is_object()) fail(path, "expected a mapping");
    if (name.empty() || name.find_first_of("{},: ") != std::string::npos) {
      fail(path, "scenario names must be non-empty without spaces, braces, commas or colons");
    }
    if (!value.contains("executor")) fail(sub(path, "executor"), "missing");
    const std::string executor_name = as_string(value.at("executor"), sub(path, "executor"));
    const auto executor = executor_from_string(executor_name);
    if (!executor) {
      fail(sub(path, "executor"),
           "unknown executor '" + executor_name +
               "' (use constant-vus, ramping-vus, constant-arrival-rate, "
               "ramping-arrival-rate, per-vu-iterations, shared-iterations)");
    }
    std::vector<std::string_view> allowed{"executor", "startTime", "gracefulStop", "tags",
                                          "requests", "mix",       "thinkTime",    "description"};
    switch (*executor) {
      case Executor::constant_vus:
        allowed.insert(allowed.end(), {"vus", "duration"});
        break;
      case Executor::ramping_vus:
        allowed.insert(allowed.end(), {"startVUs", "stages", "gracefulRampDown"});
        break;
      case Executor::constant_arrival_rate:
        allowed.insert(allowed.end(),
                       {"rate", "timeUnit", "duration", "preAllocatedVUs", "maxVUs"});
        break;
      case Executor::ramping_arrival_rate:
        allowed.insert(allowed.end(),
                       {"startRate", "timeUnit", "stages", "preAllocatedVUs", "maxVUs"});
        break;
      case Executor::per_vu_iterations:
      case Executor::shared_iterations:
        allowed.insert(allowed.end(), {"vus", "iterations", "maxDuration"});
        break;
    }
    check_keys(value, path, allowed, executor_name);

    Scenario scenario;
    scenario.name = name;
    scenario.executor = *executor;
    auto get = [&](const char* key) -> const Json* {
      return value.contains(key) ? &value.at(key) : nullptr;
    };
    auto require = [&](const char* key) -> const Json& {
      if (!value.contains(key)) fail(sub(path, key), "missing (required by " + executor_name + ")");
      return value.at(key);
    };
    if (auto* v = get("startTime")) scenario.start_time = as_duration(*v, sub(path, "startTime"));
    if (auto* v = get("gracefulStop"))
      scenario.graceful_stop = as_duration(*v, sub(path, "gracefulStop"));
    if (auto* v = get("tags")) scenario.tags = read_tags(*v, sub(path, "tags"));
    if (auto* v = get("description"); v && !v->is_string())
      fail(sub(path, "description"), "expected a string");

    switch (*executor) {
      case Executor::constant_vus:
        if (auto* v = get("vus")) scenario.vus = as_count(*v, sub(path, "vus"), 1);
        scenario.duration = as_duration(require("duration"), sub(path, "duration"), true);
        break;
      case Executor::ramping_vus:
        if (auto* v = get("startVUs")) scenario.start_vus = as_count(*v, sub(path, "startVUs"));
        if (auto* v = get("gracefulRampDown"))
          scenario.graceful_ramp_down = as_duration(*v, sub(path, "gracefulRampDown"));
        scenario.stages = read_stages(require("stages"), sub(path, "stages"), true);
        break;
      case Executor::constant_arrival_rate:
      case Executor::ramping_arrival_rate: {
        if (*executor == Executor::constant_arrival_rate) {
          scenario.rate = as_number(require("rate"), sub(path, "rate"), true);
          scenario.duration = as_duration(require("duration"), sub(path, "duration"), true);
        } else {
          if (auto* v = get("startRate"))
            scenario.start_rate = as_number(*v, sub(path, "startRate"), false);
          scenario.stages = read_stages(require("stages"), sub(path, "stages"), false);
        }
        if (auto* v = get("timeUnit"))
          scenario.time_unit = as_duration(*v, sub(path, "timeUnit"), true);
        scenario.pre_allocated_vus =
            as_count(require("preAllocatedVUs"), sub(path, "preAllocatedVUs"), 1);
        scenario.max_vus = scenario.pre_allocated_vus;
        if (auto* v = get("maxVUs")) {
          scenario.max_vus = as_count(*v, sub(path, "maxVUs"), 1);
          if (scenario.max_vus < scenario.pre_allocated_vus) {
            fail(sub(path, "maxVUs"), "must be at least preAllocatedVUs (" +
                                          std::to_string(scenario.pre_allocated_vus) + ")");
          }
        }
        break;
      }
      case Executor::per_vu_iterations:
      case Executor::shared_iterations:
        if (auto* v = get("vus")) scenario.vus = as_count(*v, sub(path, "vus"), 1);
        if (auto* v = get("iterations"))
          scenario.iterations = as_count(*v, sub(path, "iterations"), 1);
        if (auto* v = get("maxDuration"))
          scenario.max_duration = as_duration(*v, sub(path, "maxDuration"), true);
        if (*executor == Executor::shared_iterations && scenario.iterations < scenario.vus) {
          fail(sub(path, "iterations"),
               "must be at least vus (" + std::to_string(scenario.vus) + ")");
        }
        break;
    }
    read_requests(scenario, value, path);
    return scenario;
  }

  // k6's shortcuts: stages -> ramping-vus, iterations -> shared-iterations, else constant-vus.
  Scenario read_shortcut(const Json& document) {
    Scenario scenario;
    scenario.name = "default";
    if (document.contains("stages")) {
      scenario.executor = Executor::ramping_vus;
      scenario.start_vus = document.contains("vus") ? as_count(document.at("vus"), "vus") : 1;
      scenario.stages = read_stages(document.at("stages"), "stages", true);
      if (document.contains("duration") || document.contains("iterations")) {
        fail("stages", "with stages, leave out duration and iterations (as in k6)");
      }
    } else if (document.contains("iterations")) {
      scenario.executor = Executor::shared_iterations;
      scenario.iterations = as_count(document.at("iterations"), "iterations", 1);
      if (document.contains("vus")) scenario.vus = as_count(document.at("vus"), "vus", 1);
      if (document.contains("duration"))
        scenario.max_duration = as_duration(document.at("duration"), "duration", true);
      if (scenario.iterations < scenario.vus) fail("iterations", "must be at least vus");
    } else {
      scenario.executor = Executor::constant_vus;
      if (document.contains("vus")) scenario.vus = as_count(document.at("vus"), "vus", 1);
      if (!document.contains("duration"))
        fail("duration", "missing (needed with vus and no stages)");
      scenario.duration = as_duration(document.at("duration"), "duration", true);
    }
    read_requests(scenario, document, "");
    return scenario;
  }

  const LoadOptions& options_;
  std::map<std::string, std::string> file_env_;
  EnvLookup process_lookup_ = process_env();
  EnvLookup env_;
  std::map<std::string, std::string> default_headers_;
  core::Duration default_timeout_ = std::chrono::seconds{60};
  Expectation default_expect_;
};

}  // namespace

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

core::Expected<TestPlan, std::string> load_plan_json(const nlohmann::json& document,
                                                     const LoadOptions& options) {
  try {
    std::map<std::string, std::string> file_env;
    if (document.is_object() && document.contains("env"))
      file_env = as_string_map(document.at("env"), "env");
    PlanReader reader(options, std::move(file_env));
    return reader.read(document);
  } catch (const FieldError& e) {
    return core::unexpected(e.path + ": " + e.message);
  }
}

core::Expected<TestPlan, std::string> load_plan_text(std::string_view text, std::string_view origin,
                                                     const LoadOptions& options) {
  const std::string prefix = origin.empty() ? std::string() : std::string(origin) + ": ";
  if (text.size() > 4 * 1024 * 1024) return core::unexpected(prefix + "file larger than 4 MiB");
  const auto first = text.find_first_not_of(" \t\r\n");
  Json document;
  if (first != std::string_view::npos && text[first] == '{') {
    // A key given twice keeps only its last value in nlohmann's parse; as in YAML (yaml_json),
    // that is an error, since the first one's settings would vanish without a word.
    std::vector<std::set<std::string>> keys_per_object;
    std::string duplicate;
    const Json::parser_callback_t refuse_duplicate_keys = [&](int /*depth*/,
                                                              Json::parse_event_t event,
                                                              Json& parsed) {
      if (event == Json::parse_event_t::object_start) keys_per_object.emplace_back();
      if (event == Json::parse_event_t::object_end && !keys_per_object.empty())
        keys_per_object.pop_back();
      if (event == Json::parse_event_t::key && !keys_per_object.empty() &&
          !keys_per_object.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
        duplicate = parsed.get<std::string>();
      }
      return true;
    };
    try {
      document = Json::parse(text, refuse_duplicate_keys);
    } catch (const Json::exception& e) {
      return core::unexpected(prefix + "invalid JSON: " + e.what());
    }
    if (!duplicate.empty()) return core::unexpected(prefix + "duplicate key '" + duplicate + "'");
  } else {
    auto parsed = yaml_to_json(text);
    if (!parsed) return core::unexpected(prefix + "invalid YAML: " + parsed.error());
    document = std::move(*parsed);
  }
  auto plan = load_plan_json(document, options);
  if (!plan) return core::unexpected(prefix + plan.error());
  return plan;
}

core::Expected<TestPlan, std::string> load_plan_file(const std::string& path,
                                                     const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::unexpected(path + ": cannot open the file");
  std::ostringstream content;
  content << in.rdbuf();
  return load_plan_text(content.str(), path, options);
}

}  // namespace loadlab::load
