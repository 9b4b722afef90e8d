// Request errors: k6's codes, JSON names, the error_code sub-metric, the summary's causes.
#include "load/request_error.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "load/recorder.hpp"
#include "load/result.hpp"
#include "load/summary_text.hpp"
#include "recorder_fixtures.hpp"

namespace loadlab::load {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RequestError, NetworkErrorsHaveK6sCodes) {
  EXPECT_EQ(k6_error_code(RequestError::none), 0);
  EXPECT_EQ(k6_error_code(RequestError::request_timeout), 1050);
  EXPECT_EQ(k6_error_code(RequestError::connect_refused), 1212);
  EXPECT_EQ(k6_error_code(RequestError::connect_timeout), 1211);
  EXPECT_EQ(k6_error_code(RequestError::connect_failed), 1210);
  EXPECT_EQ(k6_error_code(RequestError::reset), 1220);
  EXPECT_EQ(k6_error_code(RequestError::broken_pipe), 1201);
  EXPECT_EQ(k6_error_code(RequestError::tls_failed), 1300);
  EXPECT_EQ(k6_error_code(RequestError::closed), 1000);
  EXPECT_EQ(k6_error_code(RequestError::interrupted), 0);
}

TEST(RequestError, HttpErrorsAreOneThousandPlusTheStatus) {
  EXPECT_EQ(request_error_code(503, RequestError::none), 1503);
  EXPECT_EQ(request_error_code(404, RequestError::none), 1404);
  EXPECT_EQ(request_error_code(200, RequestError::none), 0);
  EXPECT_EQ(request_error_code(302, RequestError::none), 0);
  EXPECT_EQ(request_error_code(0, RequestError::request_timeout), 1050);
  EXPECT_EQ(describe_failure(503, RequestError::none), "HTTP 503");
  EXPECT_EQ(describe_failure(0, RequestError::connect_refused), "connection refused");
}

TEST(RequestError, JsonNamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(RequestError::interrupted); ++i) {
    const auto error = static_cast<RequestError>(i);
    EXPECT_EQ(request_error_from_json_name(json_name(error)), error) << json_name(error);
    EXPECT_NE(to_string(error), "");
  }
  EXPECT_EQ(request_error_from_json_name("timeout"), std::nullopt);
}

// 10 s of one request: 90 answered 200, 6 answered 503, 3 timed out, 1 refused.
MetricsData mixed_failures() {
  Recorder recorder(testing::two_scenarios(), testing::kRunStart);
  for (int i = 0; i < 100; ++i) {
    RequestSample s;
    s.status = i < 90 ? 200 : i < 96 ? 503 : 0;
    s.error = i < 96   ? RequestError::none
              : i < 99 ? RequestError::request_timeout
                       : RequestError::connect_refused;
    s.failed = s.status != 200;
    s.duration = microseconds{1000 + i};
    s.latency = s.duration;
    recorder.record_request(s, testing::kRunStart + milliseconds{i * 100});
  }
  return recorder.take();
}

double count_of(const MetricsData& data, const std::string& selector) {
  const auto parsed = MetricSelector::parse(selector, {});
  EXPECT_TRUE(parsed.has_value()) << selector;
  const auto values = data.resolve(*parsed, seconds{10});
  return values ? values->count : -1.0;
}

TEST(RequestError, ErrorCodeSelectsTheFailuresOfOneCause) {
  const MetricsData data = mixed_failures();
  EXPECT_EQ(count_of(data, "http_reqs{error_code:1050}"), 3);
  EXPECT_EQ(count_of(data, "http_reqs{error_code:1212}"), 1);
  EXPECT_EQ(count_of(data, "http_reqs{error_code:1503}"), 6);
  EXPECT_EQ(count_of(data, "http_reqs{status:0}"), 4);  // status 0 still covers both
  EXPECT_EQ(count_of(data, "http_req_duration{error_code:1050}"), 3);
  EXPECT_EQ(count_of(data, "http_reqs{error_code:0}"), -1);  // success has no code, as in k6
  EXPECT_EQ(count_of(data, "http_reqs{error_code:1211}"), -1);
  const auto seen = error_codes_seen(data);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], (ErrorCodeSeen{1050, "request timeout"}));
  EXPECT_EQ(seen[1], (ErrorCodeSeen{1212, "connection refused"}));
  EXPECT_EQ(seen[2], (ErrorCodeSeen{1503, "HTTP 503"}));
}

TEST(RequestError, SeveralCausesOfTheGenericCodeAreNamedTogether) {
  Recorder recorder(testing::two_scenarios(), testing::kRunStart);
  for (const auto error : {RequestError::closed, RequestError::protocol}) {
    RequestSample s;
    s.error = error;
    s.failed = true;
    recorder.record_request(s, testing::kRunStart);
  }
  const auto seen = error_codes_seen(recorder.take());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], (ErrorCodeSeen{1000, "bad response, connection closed early"}));
}

TEST(RequestError, ErrorsSurviveJsonAndMerge) {
  const MetricsData data = mixed_failures();
  const nlohmann::json json = data.to_json();
  bool found = false;
  for (const auto& entry : json["requests"]) {
    if (entry.value("error", "") == "request_timeout") {
      found = true;
      EXPECT_EQ(entry["error_code"], 1050);
      EXPECT_EQ(entry["status"], 0);
      EXPECT_EQ(entry["requests"], 3);
    }
  }
  EXPECT_TRUE(found) << json["requests"].dump();
  const MetricsData again = MetricsData::from_json(json);
  EXPECT_EQ(again, data);
  MetricsData merged = again;
  merged.merge(data);
  EXPECT_EQ(count_of(merged, "http_reqs{error_code:1050}"), 6);
}

TEST(RequestError, JsonReaderNamesBadErrorFields) {
  const nlohmann::json good = mixed_failures().to_json();
  std::size_t index = 0;
  while (good["requests"][index].value("error", "") != "request_timeout") ++index;
  const std::string path = "metrics.requests[" + std::to_string(index) + "]";
  auto expect_error = [&](const nlohmann::json& json, const std::string& field,
                          const std::string& words) {
    try {
      (void)MetricsData::from_json(json);
      ADD_FAILURE() << "accepted " << json["requests"][index].dump();
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(path + "." + field), std::string::npos) << what;
      EXPECT_NE(what.find(words), std::string::npos) << what;
    }
  };
  auto json = good;
  json["requests"][index]["error"] = "timeout";
  expect_error(json, "error", "unknown request error");
  json = good;
  json["requests"][index]["error_code"] = 1212;
  expect_error(json, "error_code", "not the code of error request_timeout");
  json = good;
  json["requests"][index]["status"] = 200;
  expect_error(json, "error", "status 0");
  // Results written before errors were recorded have neither field: a plain status 0.
  json = good;
  json["requests"][index].erase("error");
  json["requests"][index].erase("error_code");
  const MetricsData old = MetricsData::from_json(json);
  EXPECT_EQ(count_of(old, "http_reqs{error_code:1050}"), -1);
  EXPECT_EQ(count_of(old, "http_reqs{status:0}"), 4);
}

TEST(RequestError, SummaryCountsEachCode) {
  RunResult result;
  result.info.elapsed = seconds{10};
  result.metrics = mixed_failures();
  const nlohmann::json summary = summary_json(result.metrics, result.info.elapsed);
  EXPECT_EQ(summary["http_reqs{error_code:1050}"]["count"], 3);
  EXPECT_EQ(summary["http_reqs{error_code:1212}"]["count"], 1);
  EXPECT_EQ(summary["http_reqs{error_code:1503}"]["count"], 6);
  EXPECT_FALSE(summary.contains("http_reqs{error_code:1000}"));
  const std::string text = summary_text(result);
  EXPECT_NE(text.find("{ error_code:1050 }"), std::string::npos) << text;
  EXPECT_NE(text.find("request timeout"), std::string::npos) << text;
  EXPECT_NE(text.find("connection refused"), std::string::npos) << text;
  EXPECT_NE(text.find("HTTP 503"), std::string::npos) << text;
}

}  // namespace
}  // namespace loadlab::load
