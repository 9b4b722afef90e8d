// Seed 002's table replayed the seed's way: autocannon -c 3..6 against /expensive-op of a fresh
// server with CONCURRENCY 1, /readiness polled while it runs. One task runs, arrivals are
// rejected (503) once 4 wait, readiness answers 429 once more than 2 wait.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "external_tools.hpp"
#include "routes_fixture.hpp"
#include "wait.hpp"

namespace loadlab::target::test {
namespace {

using loadlab::testing::wait_until;

constexpr milliseconds task_duration{300};
constexpr int run_seconds = 3;

struct SeedRow {
  int connections;
  bool all_served;       // autocannon sees no non-2xx answer
  bool readiness_fails;  // /readiness answers 429 at least once under the load
  bool mostly_rejected;  // most answers are the queue's 503
};

std::ostream& operator<<(std::ostream& out, const SeedRow& row) {
  return out << "c=" << row.connections;
}

struct ReadinessSamples {
  std::vector<int> statuses;
  double max_queue_ratio = 0;
};

class SeedQueueAutocannon : public ::testing::TestWithParam<SeedRow> {};

TEST_P(SeedQueueAutocannon, MatchesTheSeedTable) {
  const SeedRow row = GetParam();
  const std::string autocannon = autocannon_path();
  ASSERT_FALSE(autocannon.empty()) << "no node_modules/.bin/autocannon in " << LOADLAB_SOURCE_DIR
                                   << ": run scripts/setup.sh (its npm install)";
  auto target = loadlab::testing::start_loadlab_serve(
      {"--expensive-op-concurrency", "1", "--expensive-op-duration",
       std::to_string(task_duration.count()) + "ms", "--drain-timeout", "5s", "--drain-grace",
       "0s"});

  auto load = ChildProcess::spawn({autocannon, "-c", std::to_string(row.connections), "-d",
                                   std::to_string(run_seconds), "--json",
                                   target.base_url() + "/expensive-op"});
  // Loaded: every connection's request is in the system (at most 1 running + 4 waiting).
  const double in_system = std::min(row.connections, 5);
  ASSERT_TRUE(wait_until(
      [&] {
        return scrape(target, "expensive_op_running").value_or(0) +
                   scrape(target, "expensive_op_waiting").value_or(0) >=
               in_system;
      },
      seconds(15), milliseconds(20)))
      << "the queue never held " << in_system << " tasks";

  ReadinessSamples samples;
  wait_until(
      [&] {
        if (!load.running()) return true;
        const HttpResult readiness = get(target, "/readiness", seconds(5));
        samples.statuses.push_back(readiness.status);
        samples.max_queue_ratio =
            std::max(samples.max_queue_ratio, scrape(target, "queue_ratio").value_or(0));
        return samples.statuses.size() >= 10;
      },
      seconds(10), milliseconds(100));

  const ToolRun run = run_tool(std::move(load), seconds(30));
  ASSERT_EQ(run.exit_status, 0) << run.output;
  const auto report = nlohmann::json::parse(run.output, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << "autocannon printed no JSON: " << run.output;
  const auto served = report.at("2xx").get<long long>();
  const auto not_served = report.at("non2xx").get<long long>();
  std::cout << "autocannon -c " << row.connections << ": 2xx " << served << ", non-2xx "
            << not_served << ", errors " << report.at("errors") << ", status codes "
            << report.at("statusCodeStats").dump() << "; /readiness";
  for (const int status : samples.statuses) std::cout << ' ' << status;
  std::cout << "; max queue_ratio " << samples.max_queue_ratio << "\n";

  EXPECT_EQ(report.at("errors"), 0);
  EXPECT_EQ(report.at("timeouts"), 0);
  EXPECT_GT(served, 0);
  // One worker, each task at least `task_duration`: the run cannot complete more.
  const double run_duration = report.at("duration").get<double>();
  EXPECT_LE(served, static_cast<long long>(run_duration * 1000 / task_duration.count()) + 1);
  for (const auto& [status, count] : report.at("statusCodeStats").items()) {
    EXPECT_TRUE(status == "200" || status == "503") << status;
  }
  if (row.all_served) {
    EXPECT_EQ(not_served, 0);
  }
  if (row.mostly_rejected) {
    EXPECT_GT(not_served, served);
  }

  ASSERT_GE(samples.statuses.size(), 3u) << "too few /readiness samples while loaded";
  const bool saw_429 = std::ranges::count(samples.statuses, 429) > 0;
  EXPECT_EQ(saw_429, row.readiness_fails);
  if (!row.readiness_fails) {
    EXPECT_EQ(std::ranges::count(samples.statuses, 200),
              static_cast<std::ptrdiff_t>(samples.statuses.size()));
  }
  for (const int status : samples.statuses) EXPECT_TRUE(status == 200 || status == 429) << status;
  EXPECT_LE(samples.max_queue_ratio, 4.0);  // an arrival at ratio 4 is rejected, never queued
}

INSTANTIATE_TEST_SUITE_P(Seed002, SeedQueueAutocannon,
                         ::testing::Values(SeedRow{3, true, false, false},
                                           SeedRow{4, true, true, false},
                                           SeedRow{5, true, true, false},
                                           SeedRow{6, false, true, true}),
                         [](const ::testing::TestParamInfo<SeedRow>& row) {
                           return "c" + std::to_string(row.param.connections);
                         });

}  // namespace
}  // namespace loadlab::target::test
