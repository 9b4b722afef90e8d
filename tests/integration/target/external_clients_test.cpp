// Outside HTTP clients against `loadlab serve`: Debian's wrk and hey hammer /api/fast over
// loopback and must see no socket error and nothing but 200s, and the server's own request
// counter must agree with what they report.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <sstream>

#include "external_tools.hpp"
#include "routes_fixture.hpp"

namespace loadlab::target::test {
namespace {

constexpr const char* fast_series = R"(http_requests_total{method="GET",path="/api/fast",status=")";

// /api/fast answers per status code in a /metrics scrape.
std::map<std::string, double> fast_answers_by_status(const ChildProcess& target) {
  const HttpResult scraped = get(target, "/metrics");
  EXPECT_EQ(scraped.status, 200) << scraped.error;
  std::map<std::string, double> by_status;
  std::istringstream lines(scraped.body);
  std::string line;
  const std::string prefix = fast_series;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    const std::size_t quote = line.find('"', prefix.size());
    by_status[line.substr(prefix.size(), quote - prefix.size())] =
        std::stod(line.substr(line.rfind(' ') + 1));
  }
  return by_status;
}

// "  [200]\t2000 responses" lines of hey's "Status code distribution:" block.
std::map<int, long long> hey_status_counts(const std::string& report) {
  std::map<int, long long> counts;
  const std::size_t block = report.find("Status code distribution:");
  if (block == std::string::npos) return counts;
  std::istringstream lines(report.substr(block));
  std::string line;
  std::getline(lines, line);  // the heading
  static const std::regex entry(R"(^\s*\[(\d+)\]\s+(\d+) responses)");
  while (std::getline(lines, line)) {
    std::smatch match;
    if (!std::regex_search(line, match, entry)) break;
    counts[std::stoi(match[1].str())] = std::stoll(match[2].str());
  }
  return counts;
}

TEST(ExternalClients, WrkOnFastRouteSeesNoErrors) {
  const std::string wrk = find_on_path("wrk");
  ASSERT_FALSE(wrk.empty()) << "wrk is not on PATH: " << setup_hint;
  auto target = loadlab::testing::start_loadlab_serve({"--drain-timeout", "2s"});

  const ToolRun run = run_tool(
      {wrk, "-t1", "-c20", "-d2s", "--latency", target.base_url() + "/api/fast"}, seconds(30));
  ASSERT_EQ(run.exit_status, 0) << run.output;
  const auto requests = number_after(run.output, R"((\d+) requests in )");
  ASSERT_TRUE(requests) << run.output;
  EXPECT_GT(*requests, 0) << run.output;
  EXPECT_EQ(run.output.find("Socket errors"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("Non-2xx"), std::string::npos) << run.output;
  const auto per_second = number_after(run.output, R"(Requests/sec:\s+([\d.]+))");
  ASSERT_TRUE(per_second) << run.output;
  std::cout << "wrk: " << *requests << " requests, " << *per_second << " req/s\n";

  // The server answered at least every request wrk counted (wrk drops the ones in flight at
  // the end), and only with 200.
  const auto answered = fast_answers_by_status(target);
  ASSERT_EQ(answered.size(), 1u) << "statuses other than 200 on /api/fast";
  ASSERT_TRUE(answered.contains("200"));
  EXPECT_GE(answered.at("200"), *requests);
}

TEST(ExternalClients, HeyOnFastRouteGetsOnly200s) {
  const std::string hey = find_on_path("hey");
  ASSERT_FALSE(hey.empty()) << "hey is not on PATH: " << setup_hint;
  auto target = loadlab::testing::start_loadlab_serve({"--drain-timeout", "2s"});

  const ToolRun run =
      run_tool({hey, "-n", "2000", "-c", "20", target.base_url() + "/api/fast"}, seconds(30));
  ASSERT_EQ(run.exit_status, 0) << run.output;
  EXPECT_EQ(hey_status_counts(run.output), (std::map<int, long long>{{200, 2000}})) << run.output;
  EXPECT_EQ(run.output.find("Error distribution"), std::string::npos) << run.output;
  if (const auto per_second = number_after(run.output, R"(Requests/sec:\s+([\d.]+))")) {
    std::cout << "hey: 2000 requests, " << *per_second << " req/s\n";
  }
  // hey sends exactly -n requests: the server counted each of them once.
  EXPECT_EQ(fast_answers_by_status(target), (std::map<std::string, double>{{"200", 2000.0}}));
}

}  // namespace
}  // namespace loadlab::target::test
