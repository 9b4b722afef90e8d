// Graceful drain in-process: readiness state flips at once, in-flight requests all complete,
// keep-alive answers say Connection: close, and the listener goes away after the grace period.
#include <gtest/gtest.h>

#include <thread>

#include "http_client.hpp"
#include "raw_socket.hpp"
#include "test_server.hpp"
#include "wait.hpp"

namespace loadlab::http::test {
namespace {

using loadlab::testing::HttpConnection;
using loadlab::testing::wait_until;
using std::chrono::seconds;

constexpr const char* host = "127.0.0.1";

void drain_with_inflight_requests(ExecutionModel model) {
  ServerOptions options = small_limits();
  options.model = model;
  options.workers = 20;
  TestServer server(options);
  constexpr int in_flight = 20;
  std::vector<std::unique_ptr<HttpConnection>> connections;
  for (int i = 0; i < in_flight; ++i) {
    connections.push_back(std::make_unique<HttpConnection>(host, server.port()));
    ASSERT_TRUE(connections.back()->connected());
  }
  std::vector<loadlab::testing::HttpResult> results(in_flight);
  std::vector<std::thread> clients;
  for (int i = 0; i < in_flight; ++i) {
    clients.emplace_back(
        [&, i] { results[i] = connections[i]->get("/slow?ms=1500", seconds(30)); });
  }
  ASSERT_TRUE(wait_until([&] { return server.state().inflight() == in_flight; }, seconds(20)));

  server.server().begin_drain();
  EXPECT_TRUE(server.state().draining());  // readiness reads this: fails at once
  EXPECT_TRUE(server.server().wait_drained());
  for (auto& client : clients) client.join();
  for (const auto& result : results) {
    EXPECT_EQ(result.status, 200) << result.error;
    EXPECT_EQ(result.header("connection"), "close");
  }
  loadlab::testing::RawSocket late(host, server.port(), std::chrono::milliseconds(500));
  EXPECT_FALSE(late.connected());
}

TEST(Drain, AsyncModelCompletesEveryInFlightRequest) {
  drain_with_inflight_requests(ExecutionModel::async);
}

TEST(Drain, ThreadedModelCompletesEveryInFlightRequest) {
  drain_with_inflight_requests(ExecutionModel::threaded);
}

TEST(Drain, IdleKeepAliveConnectionsAreClosed) {
  TestServer server;
  HttpConnection idle(host, server.port());
  ASSERT_EQ(idle.get("/fast").status, 200);
  server.server().begin_drain();
  EXPECT_TRUE(server.server().wait_drained());
  EXPECT_EQ(server.state().open_connections(), 0);
}

TEST(Drain, TimesOutWhenRequestsOutliveTheDrainTimeout) {
  ServerOptions options = small_limits();
  options.drain_timeout = std::chrono::milliseconds(300);
  TestServer server(options);
  loadlab::testing::RawSocket socket(host, server.port());
  ASSERT_TRUE(socket.send("GET /slow?ms=30000 HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(wait_until([&] { return server.state().inflight() == 1; }, seconds(10)));
  server.server().begin_drain();
  EXPECT_FALSE(server.server().wait_drained());
}

}  // namespace
}  // namespace loadlab::http::test
