// SIGTERM on the real binary with 20 slow requests in flight: readiness fails at once, every
// request completes with 200, and the process exits (status 0) within the drain timeout.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "child_process.hpp"
#include "http_client.hpp"
#include "wait.hpp"

namespace loadlab::testing {
namespace {

using std::chrono::seconds;

// The number of in-flight requests according to the server's own gauge.
int inflight(const ChildProcess& server) {
  const auto metrics = http_get(server.host(), server.port(), "/metrics", seconds(5));
  const std::string key = "\nhttp_inflight_requests ";
  const std::size_t at = metrics.body.find(key);
  if (at == std::string::npos) return -1;
  return static_cast<int>(std::stod(metrics.body.substr(at + key.size())) + 0.5) -
         1;  // minus the scrape
}

void drain_twenty_slow_requests(const std::vector<std::string>& model_args) {
  std::vector<std::string> args{"--drain-grace", "3s", "--drain-timeout", "20s"};
  args.insert(args.end(), model_args.begin(), model_args.end());
  ChildProcess server = start_loadlab_serve(args);
  ASSERT_EQ(http_get(server.host(), server.port(), "/readiness").status, 200);

  constexpr int in_flight = 20;
  std::vector<HttpResult> results(in_flight);
  std::vector<std::thread> clients;
  for (int i = 0; i < in_flight; ++i) {
    clients.emplace_back([&, i] {
      results[i] = http_get(server.host(), server.port(), "/api/slow?delay=2", seconds(30));
    });
  }
  ASSERT_TRUE(wait_until([&] { return inflight(server) == in_flight; }, seconds(20)));

  server.send_signal(SIGTERM);
  // Readiness fails at once, asked on a new connection while the 3 s grace period keeps the
  // listener open (idle keep-alive connections are closed by the drain, so none is reused).
  EXPECT_TRUE(wait_until(
      [&] {
        return http_get(server.host(), server.port(), "/readiness", seconds(1)).status == 503;
      },
      seconds(2)));
  const auto status = server.wait_exit(seconds(25));
  for (auto& client : clients) client.join();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
  for (const auto& result : results) {
    EXPECT_EQ(result.status, 200) << result.error;
  }
}

TEST(DrainBinary, AsyncModelCompletesTwentyInFlightRequests) {
  drain_twenty_slow_requests({});
}

TEST(DrainBinary, ThreadedModelCompletesTwentyInFlightRequests) {
  drain_twenty_slow_requests({"--model", "threaded", "--workers", "24"});
}

TEST(DrainBinary, SecondConnectionAfterGraceIsRefused) {
  ChildProcess server = start_loadlab_serve({"--drain-grace", "0s"});
  const std::uint16_t port = server.port();
  server.send_signal(SIGINT);
  ASSERT_TRUE(server.wait_exit(seconds(20)).has_value());
  EXPECT_FALSE(http_get("127.0.0.1", port, "/readiness", seconds(2)).ok());
}

}  // namespace
}  // namespace loadlab::testing
