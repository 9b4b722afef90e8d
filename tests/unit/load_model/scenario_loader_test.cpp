// The scenario loader: every field, errors with field paths, every file in scenarios/ loads.
#include "load/scenario_loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace loadlab::load {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

LoadOptions no_env() {
  LoadOptions options;
  options.env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "TOKEN") return std::string("abc");
    return std::nullopt;
  };
  return options;
}

TestPlan load_ok(std::string_view text) {
  auto plan = load_plan_text(text, "", no_env());
  EXPECT_TRUE(plan.has_value()) << (plan ? "" : plan.error());
  return plan ? *plan : TestPlan{};
}

std::string load_error(std::string_view text) {
  auto plan = load_plan_text(text, "", no_env());
  EXPECT_FALSE(plan.has_value()) << text;
  return plan ? std::string() : plan.error();
}

constexpr std::string_view kFull = R"(
description: every field
baseUrl: http://127.0.0.1:${__ENV.PORT:-8000}
env: { PORT: "9000", NAME: x }
insecureSkipTLSVerify: true
defaults:
  headers: { Authorization: "Bearer ${__ENV.TOKEN}" }
  timeout: 5s
  expect: { status: [200, 201] }
scenarios:
  open:
    executor: ramping-arrival-rate
    startRate: 2.5
    timeUnit: 1m
    preAllocatedVUs: 5
    maxVUs: 10
    startTime: 10s
    gracefulStop: 5s
    stages:
      - { duration: 30s, target: 7.5 }
      - { duration: 1m, target: 0 }
    tags: { kind: open }
    mix: weighted
    thinkTime: { min: 100ms, max: 300ms }
    requests:
      - name: create
        method: POST
        url: /api/tasks?title=t${seq}
        headers: { X-Id: "${uuid}" }
        body: { title: "t${vu}", n: 1 }
        timeout: 2s
        weight: 3
        thinkTime: 50ms
        expect: { status: 201, bodyContains: [id, title] }
        tags: { op: write }
      - { url: 'http://other:1/x', weight: 1, expect: { statusNot: [500, 502] } }
  closed:
    executor: constant-vus
    vus: 3
    duration: 1m30s
    mix: sequence
    requests: [{ url: /a }, { url: /b }]
  ramp:
    executor: ramping-vus
    startVUs: 2
    gracefulRampDown: 3s
    stages: [{ duration: 10s, target: 4 }]
    requests: [{ url: /r }]
  rate:
    executor: constant-arrival-rate
    rate: 100
    duration: 10s
    preAllocatedVUs: 20
    requests: [{ url: /c }]
  each:
    executor: per-vu-iterations
    vus: 2
    iterations: 5
    maxDuration: 1m
    requests: [{ url: /e }]
  shared:
    executor: shared-iterations
    vus: 2
    iterations: 9
    requests: [{ url: /s }]
thresholds:
  http_req_duration: ['p(95)<500', { threshold: 'p(99.9)<2000', abortOnFail: true, delayAbortEval: 10s }]
  http_req_duration{scenario:open}: 'avg<100'
  http_req_failed: ['rate<0.01']
  http_reqs: ['count>100']
)";

TEST(ScenarioLoader, ReadsEveryField) {
  const TestPlan plan = load_ok(kFull);
  ASSERT_EQ(plan.scenarios.size(), 6U);
  EXPECT_EQ(plan.base_url, "http://127.0.0.1:9000");  // file env fills what the process lacks
  EXPECT_EQ(plan.env.at("NAME"), "x");
  EXPECT_TRUE(plan.insecure_skip_tls_verify);

  const Scenario& open = *plan.find_scenario("open");
  EXPECT_EQ(open.executor, Executor::ramping_arrival_rate);
  EXPECT_DOUBLE_EQ(open.start_rate, 2.5);
  EXPECT_EQ(open.time_unit, seconds{60});
  EXPECT_EQ(open.pre_allocated_vus, 5);
  EXPECT_EQ(open.max_vus, 10);
  EXPECT_EQ(open.start_time, seconds{10});
  EXPECT_EQ(open.graceful_stop, seconds{5});
  ASSERT_EQ(open.stages.size(), 2U);
  EXPECT_DOUBLE_EQ(open.stages[0].target, 7.5);
  EXPECT_EQ(open.stages[1].duration, seconds{60});
  EXPECT_EQ(open.tags.at("kind"), "open");
  EXPECT_EQ(open.mix, MixMode::weighted);
  EXPECT_EQ(open.think_time.min, milliseconds{100});
  EXPECT_EQ(open.think_time.max, milliseconds{300});
  ASSERT_EQ(open.requests.size(), 2U);

  const RequestSpec& create = open.requests[0];
  EXPECT_EQ(create.name, "create");
  EXPECT_EQ(create.method, "POST");
  EXPECT_EQ(create.url.source(), "/api/tasks?title=t${seq}");
  EXPECT_EQ(create.timeout, seconds{2});
  EXPECT_DOUBLE_EQ(create.weight, 3);
  EXPECT_EQ(create.think_time.min, milliseconds{50});
  EXPECT_EQ(create.expect.statuses, std::vector<int>{201});
  EXPECT_EQ(create.expect.body_contains, (std::vector<std::string>{"id", "title"}));
  EXPECT_EQ(create.tags.at("op"), "write");
  Random random;
  TemplateContext context{random, 1, 4, 0};
  EXPECT_EQ(create.body.render(context), R"({"n":1,"title":"t4"})");
  std::map<std::string, std::string> headers;
  for (const auto& h : create.headers) headers[h.name] = h.value.render(context);
  EXPECT_EQ(headers.at("Authorization"), "Bearer abc");
  EXPECT_EQ(headers.at("Content-Type"), "application/json");
  EXPECT_EQ(headers.at("X-Id").size(), 36U);

  const RequestSpec& other = open.requests[1];
  EXPECT_EQ(other.name, "GET http://other:1/x");
  EXPECT_EQ(other.timeout, seconds{5});  // from defaults
  EXPECT_EQ(other.expect.excluded_statuses, (std::vector<int>{500, 502}));
  EXPECT_TRUE(other.expect.status_expected(503));
  EXPECT_FALSE(other.expect.status_expected(502));

  const Scenario& closed = *plan.find_scenario("closed");
  EXPECT_EQ(closed.vus, 3);
  EXPECT_EQ(closed.duration, seconds{90});
  EXPECT_EQ(closed.mix, MixMode::sequence);
  EXPECT_EQ(closed.requests[0].expect.statuses, (std::vector<int>{200, 201}));  // defaults
  EXPECT_EQ(plan.find_scenario("ramp")->graceful_ramp_down, seconds{3});
  EXPECT_EQ(plan.find_scenario("ramp")->start_vus, 2);
  EXPECT_EQ(plan.find_scenario("rate")->max_vus, 20);  // defaults to preAllocatedVUs
  EXPECT_EQ(plan.find_scenario("each")->iterations, 5);
  EXPECT_EQ(plan.find_scenario("each")->max_duration, seconds{60});
  EXPECT_EQ(plan.find_scenario("shared")->max_duration, std::chrono::minutes{10});

  ASSERT_EQ(plan.thresholds.size(), 4U);
  const MetricThresholds& duration = plan.thresholds[0];
  EXPECT_EQ(duration.selector.key(), "http_req_duration");
  ASSERT_EQ(duration.thresholds.size(), 2U);
  EXPECT_TRUE(duration.thresholds[1].abort_on_fail);
  EXPECT_EQ(duration.thresholds[1].delay_abort_eval, seconds{10});
  EXPECT_EQ(plan.thresholds[1].selector.key(), "http_req_duration{scenario:open}");
  EXPECT_EQ(plan.end_time(false), std::chrono::minutes{10});  // shared: maxDuration
}

TEST(ScenarioLoader, PlanRoundTripsThroughItsJsonForm) {
  const TestPlan plan = load_ok(kFull);
  auto again = load_plan_json(plan_to_json(plan), no_env());
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_EQ(*again, plan);
  EXPECT_EQ(plan_to_json(*again), plan_to_json(plan));
}

TEST(ScenarioLoader, JsonFilesAndK6Shortcuts) {
  const TestPlan json = load_ok(R"({"vus": 5, "duration": "30s", "requests": [{"url": "/x"}]})");
  ASSERT_EQ(json.scenarios.size(), 1U);
  EXPECT_EQ(json.scenarios[0].name, "default");
  EXPECT_EQ(json.scenarios[0].executor, Executor::constant_vus);
  EXPECT_EQ(json.scenarios[0].vus, 5);

  const TestPlan stages = load_ok(
      "stages: [{duration: 30s, target: 20}, {duration: 1m, target: 50}]\n"
      "requests: [{url: /}]\n");
  EXPECT_EQ(stages.scenarios[0].executor, Executor::ramping_vus);
  EXPECT_EQ(stages.scenarios[0].stages.size(), 2U);

  const TestPlan shared = load_ok("iterations: 10\nvus: 2\nrequests: [{url: /}]\n");
  EXPECT_EQ(shared.scenarios[0].executor, Executor::shared_iterations);
}

TEST(ScenarioLoader, ErrorsNameTheFieldPath) {
  const std::string head =
      "scenarios:\n  cpu:\n    executor: ramping-vus\n    requests: [{url: /}]\n";
  EXPECT_EQ(
      load_error(head + "    stages: [{duration: 1s, target: 1}, {duration: 1s, target: -3}]\n"),
      "scenarios.cpu.stages[1].target: expected a non-negative integer");
  EXPECT_EQ(load_error(head + "    stages: [{duration: 1s, target: 1.5}]\n"),
            "scenarios.cpu.stages[0].target: expected a non-negative integer");
  EXPECT_EQ(load_error(head + "    stages: [{duration: soon, target: 1}]\n")
                .rfind("scenarios.cpu.stages[0].duration: ", 0),
            0U);
  EXPECT_NE(load_error(head + "    stages: [{duration: 1s, target: 1}]\n    rate: 5\n")
                .find("scenarios.cpu.rate: unknown field for ramping-vus"),
            std::string::npos);
  EXPECT_EQ(load_error(head), "scenarios.cpu.stages: missing (required by ramping-vus)");
  EXPECT_EQ(load_error("insecureSkipTLSVerify: yes please\n" + head),
            "insecureSkipTLSVerify: expected true or false");
  EXPECT_NE(load_error("scenarios:\n  a:\n    executor: warp\n    requests: [{url: /}]\n")
                .find("scenarios.a.executor: unknown executor 'warp'"),
            std::string::npos);
  EXPECT_EQ(load_error("scenarios:\n  a:\n    executor: constant-vus\n    duration: 1s\n"),
            "scenarios.a.requests: missing (a scenario needs at least one request)");
  EXPECT_NE(load_error("scenarios:\n  a:\n    executor: constant-vus\n    duration: 1s\n    "
                       "requests: [{url: x}]\n")
                .find("scenarios.a.requests[0].url: expected a path"),
            std::string::npos);
  EXPECT_NE(load_error("scenarios:\n  a:\n    executor: constant-vus\n    duration: 1s\n    "
                       "requests: [{url: /, methd: GET}]\n")
                .find("scenarios.a.requests[0].methd: unknown field"),
            std::string::npos);
  EXPECT_NE(load_error("scenarios:\n  a:\n    executor: constant-vus\n    duration: 1s\n    "
                       "requests: [{url: '/${nope}'}]\n")
                .find("scenarios.a.requests[0].url: unknown placeholder"),
            std::string::npos);
  EXPECT_EQ(
      load_error(
          "scenarios:\n  a:\n    executor: constant-arrival-rate\n    rate: 0\n    duration: 1s\n"
          "    preAllocatedVUs: 1\n    requests: [{url: /}]\n"),
      "scenarios.a.rate: expected a positive number");
  EXPECT_NE(
      load_error(
          "scenarios:\n  a:\n    executor: constant-arrival-rate\n    rate: 1\n    duration: 1s\n"
          "    preAllocatedVUs: 5\n    maxVUs: 2\n    requests: [{url: /}]\n")
          .find("scenarios.a.maxVUs: must be at least preAllocatedVUs"),
      std::string::npos);
  EXPECT_NE(load_error("scenarios:\n  a:\n    executor: constant-vus\n    duration: 1s\n    "
                       "requests: [{url: /, expect: {status: 99}}]\n")
                .find("scenarios.a.requests[0].expect.status: expected an HTTP status"),
            std::string::npos);
  EXPECT_NE(load_error("scenarios:\n  a:\n    executor: constant-vus\n    duration: 1s\n    mix: "
                       "random\n    requests: [{url: /}]\n")
                .find("scenarios.a.mix: expected 'weighted' or 'sequence'"),
            std::string::npos);
  EXPECT_NE(load_error("scenarios:\n  a:\n    executor: constant-vus\n    duration: 1s\n    "
                       "thinkTime: {min: 2s, max: 1s}\n    requests: [{url: /}]\n")
                .find("scenarios.a.thinkTime.max: must not be less than min"),
            std::string::npos);
  EXPECT_NE(load_error("scenarios:\n  a:\n    executor: shared-iterations\n    vus: 5\n    "
                       "iterations: 2\n    requests: [{url: /}]\n")
                .find("scenarios.a.iterations: must be at least vus"),
            std::string::npos);
  EXPECT_NE(load_error("scenario: {}\n").find("scenario: unknown field"), std::string::npos);
  EXPECT_NE(load_error("{}").find("scenarios: missing"), std::string::npos);
  EXPECT_NE(load_error("baseUrl: ftp://x\nvus: 1\nduration: 1s\nrequests: [{url: /}]\n")
                .find("baseUrl: expected an absolute"),
            std::string::npos);
}

TEST(ScenarioLoader, ShortcutOptionsBesideScenariosAreErrorsNamingTheField) {
  const std::string scenarios =
      "scenarios:\n  a:\n    executor: constant-vus\n    duration: 1s\n    requests: [{url: /}]\n";
  for (const std::string field :
       {"thinkTime: 1s", "mix: sequence", "vus: 2", "duration: 5s", "iterations: 3"}) {
    const std::string error = load_error(field + "\n" + scenarios);
    const std::string name = field.substr(0, field.find(':'));
    EXPECT_EQ(error.rfind(name + ": ", 0), 0U) << error;
    EXPECT_NE(error.find("not allowed beside 'scenarios'"), std::string::npos) << error;
  }
}

TEST(ScenarioLoader, AnyMethodTokenIsSentAsWritten) {
  const std::string head = "scenarios:\n  a:\n    executor: constant-vus\n    duration: 1s\n";
  for (const std::string method : {"PURGE", "get", "M-SEARCH", "GET"}) {
    const TestPlan plan = load_ok(head + "    requests: [{url: /, method: " + method + "}]\n");
    ASSERT_EQ(plan.scenarios.size(), 1U);
    EXPECT_EQ(plan.scenarios[0].requests[0].method, method);
  }
  for (const std::string method : {"'GE T'", "'GET\\r\\n'", "''", "'GET/1'"}) {
    EXPECT_EQ(load_error(head + "    requests: [{url: /, method: " + method + "}]\n")
                  .rfind("scenarios.a.requests[0].method: expected an HTTP method", 0),
              0U)
        << method;
  }
}

TEST(QuickPlan, ACustomMethodRoundTripsThroughTheResultsConfig) {
  // `run URL -m PURGE --shard 1/2` results used to be refused by `loadlab merge`.
  QuickOptions quick;
  quick.url = "http://127.0.0.1:8000/cache";
  for (const std::string method : {"PURGE", "delete"}) {
    quick.method = method;
    const TestPlan plan = quick_plan(quick);
    auto again = load_plan_json(plan_to_json(plan), no_env());
    ASSERT_TRUE(again.has_value()) << again.error();
    EXPECT_EQ(*again, plan);
  }
}

TEST(HttpToken, AcceptsRfc9110TokensOnly) {
  EXPECT_TRUE(is_http_token("GET"));
  EXPECT_TRUE(is_http_token("X-Custom_1.2~!#$%&'*+^`|"));
  EXPECT_FALSE(is_http_token(""));
  EXPECT_FALSE(is_http_token("X A"));
  EXPECT_FALSE(is_http_token("X:A"));
  EXPECT_FALSE(is_http_token("X\r\nY"));
  EXPECT_FALSE(is_http_token("caf\xc3\xa9"));
}

TEST(ScenarioLoader, HeadersAreTokensWithoutFramingOrLineBreaks) {
  const std::string head = "scenarios:\n  a:\n    executor: constant-vus\n    duration: 1s\n";
  const auto header_error = [&head](const std::string& header) {
    return load_error(head + "    requests: [{url: /, headers: {" + header + "}}]\n");
  };
  EXPECT_EQ(header_error("'Content-Length': '99'"),
            "scenarios.a.requests[0].headers.Content-Length: is computed from the body by "
            "loadlab; remove it");
  EXPECT_EQ(header_error("'transfer-encoding': chunked"),
            "scenarios.a.requests[0].headers.transfer-encoding: is computed from the body by "
            "loadlab; remove it");
  EXPECT_EQ(header_error("'X A': '1'"),
            "scenarios.a.requests[0].headers.X A: not a valid header name");
  EXPECT_EQ(header_error("'X-A': \"1\\r\\nX-Injected: 2\""),
            "scenarios.a.requests[0].headers.X-A: header values must not contain line breaks");
  EXPECT_EQ(load_error("defaults: {headers: {'Content-Length': '5'}}\n" + head +
                       "    requests: [{url: /}]\n")
                .rfind("scenarios.a.requests[0].headers.Content-Length: is computed", 0),
            0U);
  const TestPlan plan = load_ok(head + "    requests: [{url: /, headers: {Host: example.com}}]\n");
  EXPECT_EQ(plan.scenarios[0].requests[0].headers[0].name, "Host");
  EXPECT_EQ(header_error("Host: a.example, host: b.example"),
            "scenarios.a.requests[0].headers.host: Host given twice (header names are "
            "case-insensitive)");
}

TEST(ScenarioLoader, ThresholdErrorsNameTheMetric) {
  const std::string head = "vus: 1\nduration: 1s\nrequests: [{url: /}]\nthresholds:\n";
  EXPECT_NE(load_error(head + "  http_req_duration: ['p(95<500']\n")
                .find("thresholds.http_req_duration[0]: threshold 'p(95<500'"),
            std::string::npos);
  EXPECT_NE(load_error(head + "  http_req_durations: ['p(95)<500']\n")
                .find("thresholds.http_req_durations: unknown metric"),
            std::string::npos);
  EXPECT_NE(load_error(head + "  http_reqs: ['p(95)<500']\n")
                .find("thresholds.http_reqs[0]: 'p(95)<500': p(95) is not available on http_reqs"),
            std::string::npos);
  EXPECT_NE(load_error(head + "  http_reqs: [{threshold: 'count>1', abortOnFail: yes}]\n")
                .find("abortOnFail: expected true or false"),
            std::string::npos);
  EXPECT_NE(load_error(head + "  http_reqs: [{threshhold: 'count>1'}]\n")
                .find("threshhold: unknown field"),
            std::string::npos);
}

TEST(ScenarioLoader, ThresholdsSelectTheTagsTheScenariosDeclare) {
  const std::string scenarios =
      "scenarios:\n"
      "  a:\n    executor: constant-vus\n    vus: 1\n    duration: 1s\n"
      "    tags: {team: core}\n"
      "    requests: [{url: /, tags: {type: api}}]\n";
  const TestPlan plan = load_ok(scenarios +
                                "thresholds:\n  'http_req_duration{type:api}': ['p(95)<500']\n"
                                "  'iterations{team:core}': ['count>0']\n");
  ASSERT_EQ(plan.thresholds.size(), 2U);
  EXPECT_EQ(plan.thresholds[0].selector.key(), "http_req_duration{type:api}");
  EXPECT_NE(load_error(scenarios + "thresholds:\n  'http_reqs{kind:api}': ['count>0']\n")
                .find("thresholds.http_reqs{kind:api}: metric 'http_reqs{kind:api}': tag 'kind' "
                      "is not recorded"),
            std::string::npos);
  // loadlab's own tag names cannot be redefined: a request's name field groups its URLs.
  EXPECT_NE(load_error("scenarios:\n  a:\n    executor: constant-vus\n    vus: 1\n"
                       "    duration: 1s\n    requests: [{url: /, tags: {name: x}}]\n")
                .find("scenarios.a.requests[0].tags.name: 'name' is a tag loadlab records itself"),
            std::string::npos);
  EXPECT_NE(load_error("scenarios:\n  a:\n    executor: constant-vus\n    vus: 1\n"
                       "    duration: 1s\n    tags: {'a:b': x}\n    requests: [{url: /}]\n")
                .find("scenarios.a.tags.a:b: a tag name may not"),
            std::string::npos);
}

TEST(ScenarioLoader, ASecondDocumentOrADuplicateJsonKeyIsAnError) {
  // Both used to lose settings without a word: the second YAML document, the first JSON value.
  const std::string plan = "vus: 1\nduration: 1s\nrequests: [{url: /}]\n";
  EXPECT_NE(load_error(plan + "---\nvus: 5\n").find("a second YAML document"), std::string::npos);
  EXPECT_EQ(load_ok("---\n" + plan + "---\n").scenarios.size(), 1U);  // empty documents are fine
  EXPECT_NE(
      load_error(plan + "---\n---\nvus: 5\n").find("line 6, column 1: a second YAML document"),
      std::string::npos);
  // yaml-cpp reports empty documents without end after these ten bytes (found by the fuzzer):
  // YAML::LoadAll never returned. Whatever the verdict, the loader must give one.
  const std::string endless("\x2c\x7b\x01\x00\x61\x5a\x00\xf1\x62\x19", 10);
  (void)load_plan_text(endless, "", no_env());
  EXPECT_NE(load_error(R"({"vus": 1, "duration": "1s", "vus": 5, "requests": [{"url": "/"}]})")
                .find("duplicate key 'vus'"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"vus": 1, "duration": "1s", "requests": [{"url": "/", "url": "/b"}]})")
                .find("duplicate key 'url'"),
            std::string::npos);
  // The same key in two objects is no duplicate.
  EXPECT_EQ(load_ok(R"({"vus": 1, "duration": "1s", "requests": [{"url": "/a"}, {"url": "/b"}]})")
                .scenarios[0]
                .requests.size(),
            2U);
}

TEST(ScenarioLoader, ABaseUrlWithAQueryIsAnError) {
  EXPECT_NE(load_error("baseUrl: http://h:1/?a=1\nvus: 1\nduration: 1s\nrequests: [{url: /}]\n")
                .find("baseUrl: 'http://h:1/?a=1' has a query or fragment"),
            std::string::npos);
  LoadOptions options = no_env();
  options.base_url_override = "http://h:1#top";  // --target and BASE_URL alike
  const auto plan = load_plan_text("vus: 1\nduration: 1s\nrequests: [{url: /}]\n", "", options);
  ASSERT_FALSE(plan.has_value());
  EXPECT_NE(plan.error().find("has a query or fragment"), std::string::npos) << plan.error();
}

TEST(ScenarioLoader, SyntaxErrorsCarryAPosition) {
  EXPECT_NE(load_error("scenarios:\n  a: [\n").find("invalid YAML: line"), std::string::npos);
  EXPECT_NE(load_error("{\"scenarios\": }").find("invalid JSON"), std::string::npos);
  EXPECT_NE(load_error("a: 1\na: 2\n").find("duplicate key 'a'"), std::string::npos);
  EXPECT_NE(load_error("- 1\n- 2\n").find("expected a mapping"), std::string::npos);
  EXPECT_NE(load_error("vus: 1\nduration: 1s\nrequests: [{ url: /a?b=1 }]\n")
                .find("quote values containing '?'"),
            std::string::npos);
}

TEST(ScenarioLoader, BaseUrlOverrideWins) {
  LoadOptions options = no_env();
  options.base_url_override = "http://10.0.0.1:80";
  auto plan = load_plan_text("baseUrl: http://x\nvus: 1\nduration: 1s\nrequests: [{url: /}]\n", "",
                             options);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->base_url, "http://10.0.0.1:80");
}

TEST(ScenarioLoader, EveryFileInScenariosLoadsAndRoundTrips) {
  const std::filesystem::path dir = std::filesystem::path(LOADLAB_SOURCE_DIR) / "scenarios";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto ext = entry.path().extension();
    if (ext != ".yaml" && ext != ".yml" && ext != ".json") continue;
    ++files;
    auto plan = load_plan_file(entry.path().string(), no_env());
    ASSERT_TRUE(plan.has_value()) << plan.error();
    EXPECT_FALSE(plan->scenarios.empty()) << entry.path();
    EXPECT_EQ(plan->base_url, "http://127.0.0.1:8000") << entry.path();
    auto again = load_plan_json(plan_to_json(*plan), no_env());
    ASSERT_TRUE(again.has_value()) << entry.path() << ": " << again.error();
    EXPECT_EQ(*again, *plan) << entry.path();
  }
  EXPECT_GE(files, 10);
}

TEST(ScenarioLoader, SeedScriptsKeepTheirExecutorsAndStages) {
  const std::string dir = std::string(LOADLAB_SOURCE_DIR) + "/scenarios/";
  auto cpu = load_plan_file(dir + "cpu-stress.yaml", no_env());
  ASSERT_TRUE(cpu.has_value());
  EXPECT_EQ(cpu->scenarios[0].executor, Executor::constant_arrival_rate);
  EXPECT_DOUBLE_EQ(cpu->scenarios[0].rate, 50);
  EXPECT_EQ(cpu->scenarios[0].max_vus, 100);
  auto cascade = load_plan_file(dir + "cascade-failure.yaml", no_env());
  ASSERT_TRUE(cascade.has_value());
  const Scenario& c = *cascade->find_scenario("cascade");
  EXPECT_EQ(c.executor, Executor::ramping_arrival_rate);
  EXPECT_DOUBLE_EQ(c.start_rate, 10);
  EXPECT_EQ(c.stages, (std::vector<Stage>{{std::chrono::minutes{2}, 50},
                                          {std::chrono::minutes{3}, 100},
                                          {std::chrono::minutes{2}, 50}}));
  auto soak = load_plan_file(dir + "soak.yaml", no_env());
  ASSERT_TRUE(soak.has_value());
  EXPECT_EQ(soak->scenarios[0].stages[1].duration, std::chrono::hours{8});
}

TEST(QuickPlan, ClosedAndOpenModels) {
  QuickOptions quick;
  quick.url = "http://127.0.0.1:8000/api/fast";
  quick.connections = 50;
  quick.duration = seconds{30};
  TestPlan closed = quick_plan(quick);
  ASSERT_EQ(closed.scenarios.size(), 1U);
  EXPECT_EQ(closed.scenarios[0].executor, Executor::constant_vus);
  EXPECT_EQ(closed.scenarios[0].vus, 50);
  EXPECT_EQ(closed.scenarios[0].requests[0].name, "GET http://127.0.0.1:8000/api/fast");

  quick.rate = 2000;
  quick.method = "POST";
  quick.headers = {{"X-A", "1"}};
  quick.body = "{\"a\":\"$x\"}";
  TestPlan open = quick_plan(quick);
  const Scenario& s = open.scenarios[0];
  EXPECT_EQ(s.executor, Executor::constant_arrival_rate);
  EXPECT_DOUBLE_EQ(s.rate, 2000);
  EXPECT_EQ(s.pre_allocated_vus, 50);
  EXPECT_EQ(s.max_vus, 50);
  EXPECT_EQ(s.requests[0].method, "POST");
  auto again = load_plan_json(plan_to_json(open), no_env());
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_EQ(*again, open);
  Random random;
  TemplateContext context{random};
  EXPECT_EQ(again->scenarios[0].requests[0].body.render(context), "{\"a\":\"$x\"}");
}

}  // namespace
}  // namespace loadlab::load

namespace loadlab::load {
namespace {

TEST(ScenarioLoader, EquivalentThresholdKeysMergeInCanonicalOrder) {
  auto plan = load_plan_text(
      "vus: 1\nduration: 1s\nrequests: [{url: /}]\nthresholds:\n"
      "  'http_reqs{status:200,name:a}': ['count>1']\n"
      "  'http_reqs{name:a, status:200}': ['count>2']\n"
      "  ' checks': ['rate>0.5']\n",
      "", {});
  ASSERT_TRUE(plan.has_value()) << plan.error();
  ASSERT_EQ(plan->thresholds.size(), 2U);
  EXPECT_EQ(plan->thresholds[0].selector.key(), "checks");
  EXPECT_EQ(plan->thresholds[1].thresholds.size(), 2U);
  auto again = load_plan_json(plan_to_json(*plan), {});
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_EQ(*again, *plan);
}

TEST(ScenarioLoader, ResolvedBaseUrlKeepsDollarSigns) {
  LoadOptions options;
  options.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto plan = load_plan_text(
      "env: {A: '${'}\nbaseUrl: 'http://h/${__ENV.A}'\nvus: 1\nduration: 1s\nrequests: [{url: "
      "/}]\n",
      "", options);
  ASSERT_TRUE(plan.has_value()) << plan.error();
  EXPECT_EQ(plan->base_url, "http://h/${");
  auto again = load_plan_json(plan_to_json(*plan), options);
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_EQ(*again, *plan);
}

TEST(ScenarioLoader, MissingFileIsAnError) {
  auto plan = load_plan_file("/nonexistent/plan.yaml");
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error(), "/nonexistent/plan.yaml: cannot open the file");
}

}  // namespace
}  // namespace loadlab::load
