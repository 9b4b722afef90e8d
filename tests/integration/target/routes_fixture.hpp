// Shared helpers of the target/downstream integration tests: start the real binary, call it,
// read JSON bodies and scraped metric values.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "exposition.hpp"
#include "http_client.hpp"

namespace loadlab::target::test {

using loadlab::testing::ChildProcess;
using loadlab::testing::HttpCall;
using loadlab::testing::HttpResult;
using std::chrono::milliseconds;
using std::chrono::seconds;

inline constexpr const char* loopback = "127.0.0.1";

inline HttpResult get(const ChildProcess& process, const std::string& target,
                      milliseconds timeout = seconds(15)) {
  return loadlab::testing::http_get(loopback, process.port(), target, timeout);
}

inline HttpResult call(const ChildProcess& process, const std::string& method,
                       const std::string& target, const std::string& body = {},
                       std::vector<std::pair<std::string, std::string>> headers = {},
                       milliseconds timeout = seconds(15)) {
  HttpCall request;
  request.method = method;
  request.target = target;
  request.body = body;
  request.headers = std::move(headers);
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  request.timeout = timeout;
  return loadlab::testing::http_request(loopback, process.port(), request);
}

inline nlohmann::json json_of(const HttpResult& result) {
  auto parsed = nlohmann::json::parse(result.body, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << "not JSON: " << result.body;
  return parsed;
}

// Asserts a 422 naming `parameter`.
inline void expect_unprocessable(const ChildProcess& process, const std::string& target,
                                 const std::string& parameter, const std::string& method = "GET") {
  const HttpResult result = call(process, method, target);
  ASSERT_TRUE(result.ok()) << target << ": " << result.error;
  EXPECT_EQ(result.status, 422) << target << ": " << result.body;
  const auto body = json_of(result);
  EXPECT_EQ(body.value("parameter", ""), parameter) << target << ": " << result.body;
}

// The value of one sample line of a /metrics scrape ("name{labels} value"), if present.
using loadlab::testing::metric_value;

inline std::optional<double> scrape(const ChildProcess& process, const std::string& series) {
  const HttpResult result = get(process, "/metrics");
  if (!result.ok() || result.status != 200) return std::nullopt;
  return metric_value(result.body, series);
}

}  // namespace loadlab::target::test
