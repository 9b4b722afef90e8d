// `loadlab run` against the real `loadlab serve`: open-model request counts, a stall that
// http_req_latency shows and http_req_duration does not (coordinated omission corrected),
// and the median of /api/slow.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "exposition.hpp"
#include "http_client.hpp"
#include "load_fixtures.hpp"
#include "wait.hpp"

namespace loadlab::testing {
namespace {

using namespace std::chrono_literals;

// GET /healthz requests the server has answered (all 200), from its own http_requests_total.
double healthz_requests(const ChildProcess& server) {
  const auto scrape = http_get(server.host(), server.port(), "/metrics", 2s);
  return metric_value(scrape.body,
                      R"(http_requests_total{method="GET",path="/healthz",status="200"})")
      .value_or(0);
}

TEST(RunAgainstServe, OpenModelSendsTheScheduledNumberOfRequests) {
  auto server = start_loadlab_serve({"--protect", "naked"});
  TempDir dir;
  const auto json = dir.file("open.json");
  const auto run = run_loadlab({"run", server.base_url() + "/healthz", "-R", "2000", "-d", "10s",
                                "-c", "50", "-t", "1", "-q", "--out", "json=" + json},
                               json, 60s);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NEAR(summary_value(run.result, "http_reqs", "count"), 20'000, 200) << run.output;
  EXPECT_EQ(summary_value(run.result, "http_req_failed", "rate"), 0) << run.output;
}

TEST(RunAgainstServe, AStallShowsInLatencyNotInDuration) {
  auto server = start_loadlab_serve({"--threads", "1", "--model", "async", "--protect", "naked"});
  TempDir dir;
  const auto json = dir.file("stall.json");
  // 500/s for 6 s over 10 connections; in the middle one request blocks the server's only
  // thread for a second. Requests due meanwhile wait for a connection (wrk2's model).
  std::thread stall([&server] {
    // Place the stall inside the run: once about a second of its requests (500) has reached the
    // server, as its own request counter says.
    const bool running =
        wait_until([&server] { return healthz_requests(server) >= 500; }, 30s, 20ms);
    if (running) (void)http_get(server.host(), server.port(), "/api/blocking?duration=1", 10s);
  });
  const auto run = run_loadlab({"run", server.base_url() + "/healthz", "-R", "500", "-d", "6s",
                                "-c", "10", "-t", "1", "-q", "--out", "json=" + json},
                               json, 60s);
  stall.join();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const double latency_p99 = summary_value(run.result, "http_req_latency", "p(99)");
  const double duration_p99 = summary_value(run.result, "http_req_duration", "p(99)");
  // About 500 requests fall due during the stall (1/6 of the run): their latency from the
  // intended start spreads over 0..1000 ms, so p99 is near a second.
  EXPECT_GT(latency_p99, 500) << run.output;
  // At most the 10 requests in flight when it began (0.3 %) waited out the stall on the wire.
  EXPECT_LT(duration_p99, 250) << run.output;
}

TEST(RunAgainstServe, SlowRouteMedianIsItsDelay) {
  auto server = start_loadlab_serve({"--protect", "naked"});
  TempDir dir;
  const auto json = dir.file("slow.json");
  const auto run = run_loadlab({"run", server.base_url() + "/api/slow?delay=0.05", "-c", "10", "-d",
                                "3s", "-t", "1", "-q", "--out", "json=" + json},
                               json, 60s);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const double median = summary_value(run.result, "http_req_duration", "med");
  EXPECT_GE(median, 50) << run.output;
  EXPECT_LE(median, 55) << run.output;
}

TEST(RunAgainstServe, AnIterationLastsFromItsFirstSendToTheEndOfItsLastPause) {
  // A sequence of 50 ms and 30 ms requests with a 20 ms pause after the first and 100 ms at the
  // end of the iteration: iteration_duration is the sum, about 200 ms. The iteration's start is
  // its first exchange's start and its end the last answer (or pause) without a clock reading of
  // its own, so a mix-up of those shared readings shows here: started at a later step, an
  // iteration is 130 ms; started at an earlier iteration's reading, 400 ms or more. The bounds
  // are those, not a speed expectation: the sleeps set the floor, one iteration the ceiling.
  auto server = start_loadlab_serve({"--protect", "naked"});
  TempDir dir;
  const auto path = dir.file("journey.yaml");
  std::ofstream(path)
      << "scenarios:\n  journey:\n    executor: per-vu-iterations\n    vus: 2\n"
         "    iterations: 3\n    mix: sequence\n    thinkTime: 100ms\n"
         "    requests:\n      - url: /api/slow?delay=0.05\n        thinkTime: 20ms\n"
         "      - url: /api/slow?delay=0.03\n";
  const auto json = dir.file("journey.json");
  const auto run = run_loadlab(
      {"run", path, "--target", server.base_url(), "-t", "1", "-q", "--out", "json=" + json}, json,
      60s);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(summary_value(run.result, "iterations", "count"), 6) << run.output;
  EXPECT_EQ(summary_value(run.result, "http_reqs", "count"), 12) << run.output;
  EXPECT_GE(summary_value(run.result, "iteration_duration", "min"), 200) << run.output;
  EXPECT_LT(summary_value(run.result, "iteration_duration", "max"), 400) << run.output;
}

TEST(RunAgainstServe, ClosedModelIterationsUnderWayFinishWithinGracefulStop) {
  // k6: when a constant-vus or ramping-vus scenario ends, iterations under way may finish within
  // gracefulStop. Each VU starts its second 700 ms iteration at 0.7 s, before the 1 s end; with
  // gracefulStop both finish (4 iterations), without it both are interrupted at the end.
  auto server = start_loadlab_serve({"--protect", "naked"});
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> executors{
      {"constant", "    executor: constant-vus\n    vus: 2\n    duration: 1s\n"},
      {"ramping",
       "    executor: ramping-vus\n    startVUs: 2\n    stages: [{ duration: 1s, target: 2 }]\n"}};
  for (const auto& [name, executor] : executors) {
    for (const std::string grace : {"5s", "0s"}) {
      const auto path = dir.file(name + grace + ".yaml");
      std::ofstream(path) << "scenarios:\n  main:\n" + executor + "    gracefulStop: " + grace +
                                 "\n    requests:\n      - url: /api/slow?delay=0.7\n";
      const auto json = dir.file(name + grace + ".json");
      const auto run = run_loadlab(
          {"run", path, "--target", server.base_url(), "-t", "1", "-q", "--out", "json=" + json},
          json, 60s);
      ASSERT_EQ(run.exit_code, 0) << run.output;
      const double done = summary_value(run.result, "iterations", "count");
      const double cut = summary_value(run.result, "iterations_interrupted", "count");
      EXPECT_EQ(done, grace == "5s" ? 4 : 2) << name << " " << grace << "\n" << run.output;
      EXPECT_EQ(cut, grace == "5s" ? 0 : 2) << name << " " << grace << "\n" << run.output;
    }
  }
}

TEST(RunAgainstServe, ARequestTimesOutAtItsTimeoutNotAtTheNextSweep) {
  // Deadlines used to be checked only by the 100 ms housekeeping pass: a 50 ms timeout fired
  // after 84 to 150 ms. The worker's deadline alarm now wakes the sweep when one passes.
  auto server = start_loadlab_serve({"--protect", "naked"});
  TempDir dir;
  const auto json = dir.file("timeout.json");
  const auto run =
      run_loadlab({"run", server.base_url() + "/api/slow?delay=3", "-c", "4", "-d", "1s",
                   "--timeout", "50ms", "-t", "1", "-q", "--out", "json=" + json},
                  json, 60s);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_TRUE(run.result.is_object()) << run.output;
  EXPECT_GE(summary_value(run.result, "http_reqs", "count"), 40) << run.output;
  EXPECT_EQ(summary_value(run.result, "http_req_failed", "rate"), 1) << run.output;
  EXPECT_LT(summary_value(run.result, "http_req_duration", "max"), 80) << run.output;
  EXPECT_EQ(summary_value(run.result, "http_reqs{error_code:1050}", "count"),
            summary_value(run.result, "http_reqs", "count"))
      << run.output;
}

}  // namespace
}  // namespace loadlab::testing
