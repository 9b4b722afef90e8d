// `loadlab serve --role downstream`: the dependency's routes, /stats, and the fault-injection
// admin API (validation, effects on routes, health outside faults, bearer token off loopback).
#include <gtest/gtest.h>

#include "routes_fixture.hpp"

namespace loadlab::target::test {
namespace {

class DownstreamRole : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // A short drain: /timeout-trap and blackholed requests must not hold the exit for long.
    downstream_ = new ChildProcess(loadlab::testing::start_loadlab_serve(
        {"--role", "downstream", "--drain-timeout", "1s", "--drain-grace", "0s"}));
  }
  static void TearDownTestSuite() {
    delete downstream_;
    downstream_ = nullptr;
  }
  void TearDown() override { call(*downstream_, "DELETE", "/admin/faults"); }
  static const ChildProcess& downstream() { return *downstream_; }

 private:
  static inline ChildProcess* downstream_ = nullptr;
};

TEST_F(DownstreamRole, HealthRoutes) {
  for (const char* path : {"/", "/health", "/healthz", "/liveness", "/readiness"}) {
    const auto result = get(downstream(), path);
    ASSERT_TRUE(result.ok()) << path << result.error;
    EXPECT_EQ(result.status, 200) << path;
  }
  EXPECT_EQ(json_of(get(downstream(), "/"))["role"], "downstream");
}

TEST_F(DownstreamRole, Slow) {
  const auto result = get(downstream(), "/slow?delay=0.05");
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_DOUBLE_EQ(json_of(result)["delay"].get<double>(), 0.05);
  expect_unprocessable(downstream(), "/slow?delay=61", "delay");
  expect_unprocessable(downstream(), "/slow?delay=-1", "delay");
  expect_unprocessable(downstream(), "/slow?delay=soon", "delay");
}

TEST_F(DownstreamRole, RandomStaysInItsRange) {
  const auto result = get(downstream(), "/random?min_delay=0.01&max_delay=0.05");
  ASSERT_EQ(result.status, 200) << result.body;
  const double delay = json_of(result)["delay"].get<double>();
  EXPECT_GE(delay, 0.01);
  EXPECT_LE(delay, 0.05);
  expect_unprocessable(downstream(), "/random?min_delay=2&max_delay=1", "max_delay");
  expect_unprocessable(downstream(), "/random?min_delay=x", "min_delay");
}

TEST_F(DownstreamRole, SometimesFail) {
  EXPECT_EQ(get(downstream(), "/sometimes-fail?failure_rate=1&delay=0").status, 500);
  EXPECT_EQ(get(downstream(), "/sometimes-fail?failure_rate=0&delay=0").status, 200);
  expect_unprocessable(downstream(), "/sometimes-fail?failure_rate=1.5", "failure_rate");
  expect_unprocessable(downstream(), "/sometimes-fail?delay=61", "delay");
}

TEST_F(DownstreamRole, BurstErrorAndCascade) {
  const auto burst = get(downstream(), "/burst-error");
  EXPECT_EQ(burst.status, 503);
  EXPECT_TRUE(json_of(burst).contains("error"));
  const auto cascade = get(downstream(), "/cascade?levels=2&delay=0.01");
  ASSERT_EQ(cascade.status, 200) << cascade.body;
  EXPECT_EQ(json_of(cascade)["path"].size(), 2u);
  expect_unprocessable(downstream(), "/cascade?levels=6", "levels");
  expect_unprocessable(downstream(), "/cascade?levels=0", "levels");
}

TEST_F(DownstreamRole, TimeoutTrapOutlastsAPatientClient) {
  const auto result = get(downstream(), "/timeout-trap", milliseconds(300));
  EXPECT_FALSE(result.ok());  // no answer within the client's timeout
}

TEST_F(DownstreamRole, UpstreamRoute) {
  EXPECT_EQ(get(downstream(), "/upstream?ms=0").status, 200);
  EXPECT_EQ(get(downstream(), "/upstream?ms=0&fail_rate=1").status, 503);
  expect_unprocessable(downstream(), "/upstream?fail_rate=2", "fail_rate");
  expect_unprocessable(downstream(), "/upstream?ms=-5", "ms");
}

TEST_F(DownstreamRole, StatsCountRequestsPerRoute) {
  const double before = json_of(get(downstream(), "/stats"))["requests"]["/burst-error"];
  get(downstream(), "/burst-error");
  get(downstream(), "/burst-error");
  const auto stats = json_of(get(downstream(), "/stats"));
  EXPECT_EQ(stats["requests"]["/burst-error"].get<double>(), before + 2);
  EXPECT_TRUE(stats.contains("uptime_seconds"));
}

TEST_F(DownstreamRole, UnknownRouteAndWrongMethod) {
  const auto missing = get(downstream(), "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(json_of(missing).contains("error"));
  EXPECT_EQ(call(downstream(), "POST", "/slow").status, 405);
  EXPECT_EQ(call(downstream(), "POST", "/admin/faults").status, 405);
}

TEST_F(DownstreamRole, FaultsApiRoundTrip) {
  const auto initial = get(downstream(), "/admin/faults");
  ASSERT_EQ(initial.status, 200);
  EXPECT_EQ(json_of(initial)["latency_ms"], 0);
  const auto put =
      call(downstream(), "PUT", "/admin/faults",
           R"({"latency_ms":20,"jitter_ms":0,"error_rate":0.5,"blackhole":false,"reset_rate":0})");
  ASSERT_EQ(put.status, 200) << put.body;
  auto current = json_of(get(downstream(), "/admin/faults"));
  EXPECT_EQ(current["latency_ms"], 20);
  EXPECT_EQ(current["error_rate"], 0.5);
  // PUT replaces the whole set, PATCH changes only what it names.
  ASSERT_EQ(call(downstream(), "PATCH", "/admin/faults", R"({"error_rate":0.1})").status, 200);
  current = json_of(get(downstream(), "/admin/faults"));
  EXPECT_EQ(current["latency_ms"], 20);
  EXPECT_EQ(current["error_rate"], 0.1);
  ASSERT_EQ(call(downstream(), "PUT", "/admin/faults", R"({"jitter_ms":5})").status, 200);
  current = json_of(get(downstream(), "/admin/faults"));
  EXPECT_EQ(current["latency_ms"], 0);
  EXPECT_EQ(current["jitter_ms"], 5);
  ASSERT_EQ(call(downstream(), "DELETE", "/admin/faults").status, 200);
  EXPECT_EQ(json_of(get(downstream(), "/admin/faults"))["jitter_ms"], 0);
}

TEST_F(DownstreamRole, FaultsApiValidates) {
  for (const char* body :
       {R"({"latency_ms":"3000"})", R"({"error_rate":1.5})", R"({"blackhole":"yes"})",
        R"({"reset_rate":-0.1})", R"({"latency":5})", R"([1])"}) {
    const auto result = call(downstream(), "PUT", "/admin/faults", body);
    EXPECT_EQ(result.status, 422) << body << " -> " << result.body;
    EXPECT_TRUE(json_of(result).contains("error")) << body;
  }
  EXPECT_EQ(call(downstream(), "PUT", "/admin/faults", "{oops").status, 400);
  EXPECT_EQ(json_of(get(downstream(), "/admin/faults"))["error_rate"], 0);  // unchanged
}

TEST_F(DownstreamRole, ErrorRateFailsRoutesButNotHealth) {
  ASSERT_EQ(call(downstream(), "PUT", "/admin/faults", R"({"error_rate":1})").status, 200);
  EXPECT_EQ(get(downstream(), "/slow?delay=0").status, 503);
  EXPECT_EQ(get(downstream(), "/upstream?ms=0").status, 503);
  EXPECT_EQ(get(downstream(), "/health").status, 200);
  EXPECT_EQ(get(downstream(), "/admin/faults").status, 200);
}

TEST_F(DownstreamRole, BlackholeNeverAnswers) {
  ASSERT_EQ(call(downstream(), "PUT", "/admin/faults", R"({"blackhole":true})").status, 200);
  const auto result = get(downstream(), "/slow?delay=0", milliseconds(300));
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(get(downstream(), "/healthz").status, 200);
}

TEST_F(DownstreamRole, ResetRateFailsTheRequest) {
  ASSERT_EQ(call(downstream(), "PUT", "/admin/faults", R"({"reset_rate":1})").status, 200);
  const auto result = get(downstream(), "/slow?delay=0", seconds(5));
  // No answer at all: the connection is reset (SO_LINGER 0), not a 502.
  EXPECT_EQ(result.status, 0) << result.body;
  EXPECT_NE(result.error.find("reset"), std::string::npos) << result.error;
  ASSERT_EQ(call(downstream(), "DELETE", "/admin/faults", "").status, 200);
  EXPECT_EQ(get(downstream(), "/slow?delay=0").status, 200);
}

// X-Request-Timeout-Ms, as the target sends it: the route is cut short at the caller's deadline.
TEST_F(DownstreamRole, CallerDeadlineCutsAWaitingRouteShort) {
  const auto started = std::chrono::steady_clock::now();
  const auto result = call(downstream(), "GET", "/slow?delay=20", {},
                           {{"X-Request-Timeout-Ms", "200"}}, seconds(10));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.status, 504) << result.body;
  const auto body = json_of(result);
  EXPECT_EQ(body.value("error", ""), "deadline exceeded");
  EXPECT_EQ(body.value("reason", ""), "deadline_reached");
  EXPECT_EQ(body.value("timeout_ms", 0), 200);
  EXPECT_GE(took, milliseconds(200));
  EXPECT_LT(took, seconds(10));  // not the route's 20 s (the client's own limit is 10 s)
  // The same connection-level service goes on answering: nothing was left waiting.
  EXPECT_EQ(get(downstream(), "/slow?delay=0").status, 200);
}

TEST_F(DownstreamRole, WithinTheCallerDeadlineTheRouteAnswers) {
  for (const char* route : {"/slow?delay=0.02", "/cascade?levels=2&delay=0.01", "/upstream?ms=5"}) {
    const auto result = call(downstream(), "GET", route, {}, {{"X-Request-Timeout-Ms", "5000"}});
    EXPECT_EQ(result.status, 200) << route << ": " << result.body;
  }
}

TEST_F(DownstreamRole, BadCallerDeadlineIsUnprocessable) {
  for (const char* value : {"soon", "0", "-5", "1.5", "99999999999"}) {
    const auto result =
        call(downstream(), "GET", "/slow?delay=0", {}, {{"X-Request-Timeout-Ms", value}});
    EXPECT_EQ(result.status, 422) << value << ": " << result.body;
    EXPECT_EQ(json_of(result).value("parameter", ""), "X-Request-Timeout-Ms") << value;
  }
}

// An injected latency (the network, before the service) can use up the whole deadline: the route
// then never starts, which /stats shows.
TEST_F(DownstreamRole, WorkPastTheCallerDeadlineIsNeverStarted) {
  ASSERT_EQ(call(downstream(), "PUT", "/admin/faults", R"({"latency_ms":300})").status, 200);
  const double before = json_of(get(downstream(), "/stats"))["requests"]["/slow"];
  const auto result = call(downstream(), "GET", "/slow?delay=0", {},
                           {{"X-Request-Timeout-Ms", "100"}}, seconds(10));
  EXPECT_EQ(result.status, 504) << result.body;
  EXPECT_EQ(json_of(result).value("reason", ""), "deadline_expired");
  ASSERT_EQ(call(downstream(), "DELETE", "/admin/faults").status, 200);
  EXPECT_EQ(json_of(get(downstream(), "/stats"))["requests"]["/slow"].get<double>(), before);
}

TEST(DownstreamAdminAuth, BearerTokenRequiredOffLoopback) {
  auto process = ChildProcess::spawn_listening(
      {loadlab::testing::loadlab_binary(), "serve", "--role", "downstream", "--listen", "0.0.0.0:0",
       "--admin-token", "letmein", "--drain-timeout", "1s"});
  EXPECT_EQ(get(process, "/admin/faults").status, 401);
  EXPECT_EQ(call(process, "GET", "/admin/faults", "", {{"Authorization", "Bearer wrong"}}).status,
            401);
  EXPECT_EQ(call(process, "GET", "/admin/faults", "", {{"Authorization", "Bearer letmein"}}).status,
            200);
  EXPECT_EQ(call(process, "PUT", "/admin/faults", R"({"latency_ms":1})").status, 401);
  EXPECT_EQ(get(process, "/slow?delay=0").status, 200);  // only /admin/ is guarded
}

}  // namespace
}  // namespace loadlab::target::test
