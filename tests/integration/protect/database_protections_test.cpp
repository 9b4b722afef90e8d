// The database as a guarded dependency, on the real binary with SQLite: pool acquire timeouts
// open its breaker (then no query is issued, 503 + Retry-After), its bulkhead caps concurrent
// queries, and both stay off unless switched on.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "child_process.hpp"
#include "exposition.hpp"
#include "http_client.hpp"
#include "wait.hpp"

namespace loadlab::testing {
namespace {

using namespace std::chrono_literals;

// A target with a SQLite pool of `pool_size` connections (no overflow) and the given protections.
class DatabaseTarget {
 public:
  explicit DatabaseTarget(const std::string& protect, int pool_size = 1)
      : target_(start_loadlab_serve({"--db", "sqlite::memory:", "--db-pool-size",
                                     std::to_string(pool_size), "--db-pool-overflow", "0",
                                     "--protect", protect})) {}
  HttpResult get(const std::string& path) {
    return http_get(target_.host(), target_.port(), path, 20s);
  }
  HttpResult put(const std::string& body) {
    return http_put_json(target_.host(), target_.port(), "/admin/protections", body);
  }
  int put_protections(const nlohmann::json& body) {
    const auto answer = put(body.dump());
    EXPECT_EQ(answer.status, 200) << answer.body;
    return answer.status;
  }
  std::optional<double> metric(const std::string& series) {
    return metric_value(get("/metrics").body, series);
  }
  // One query holds the only connection for 1 s while eleven others time out waiting for it.
  HttpResult starve_the_pool() { return get("/api/db-pool-exhaust?concurrent_queries=12&hold=1"); }

 private:
  ChildProcess target_;
};

const std::string kState = "circuit_breaker_state{dependency=\"database\"}";
const std::string kAcquires = "db_pool_acquire_seconds_count";

TEST(DatabaseProtections, PoolTimeoutsOpenTheBreakerAndThenNoQueryIsIssued) {
  DatabaseTarget target("breaker,timeouts");
  ASSERT_EQ(target.put_protections({{"timeouts", {{"pool_acquire_timeout_ms", 200}}},
                                    {"breaker", {{"open_ms", 5000}}}}),
            200);
  ASSERT_EQ(target.get("/api/tasks?limit=1").status, 200);
  EXPECT_EQ(target.metric(kState), 0.0);

  const auto starved = target.starve_the_pool();
  EXPECT_EQ(starved.status, 503) << starved.body;
  EXPECT_EQ(target.metric(kState), 1.0);
  EXPECT_EQ(target.metric("circuit_breaker_transitions_total{dependency=\"database\",to=\"open\"}"),
            1.0);
  EXPECT_EQ(target.metric("circuit_breaker_state{dependency=\"downstream\"}"), 0.0);

  const double acquires_before = target.metric(kAcquires).value_or(-1);
  for (const char* path : {"/api/tasks?limit=1", "/api/expensive-query?iterations=1",
                           "/api/db-pool-exhaust?concurrent_queries=2&hold=0"}) {
    const auto refused = target.get(path);
    EXPECT_EQ(refused.status, 503) << path << ": " << refused.body;
    EXPECT_FALSE(refused.header("retry-after").empty()) << path;
    EXPECT_NE(refused.body.find("breaker_open"), std::string::npos) << refused.body;
  }
  EXPECT_EQ(target.metric(kAcquires), acquires_before) << "no query reached the pool while open";

  // After the open wait a successful probe closes it.
  EXPECT_TRUE(
      wait_until([&] { return target.get("/api/tasks?limit=1").status == 200; }, 20s, 100ms));
  EXPECT_EQ(target.metric(kState), 0.0);
}

TEST(DatabaseProtections, WithoutTheBreakerFailuresNeverBlockQueries) {
  DatabaseTarget target("timeouts");
  ASSERT_EQ(target.put_protections({{"timeouts", {{"pool_acquire_timeout_ms", 200}}}}), 200);
  EXPECT_EQ(target.starve_the_pool().status, 503);  // pool timeouts, a fast 503 each
  EXPECT_EQ(target.get("/api/tasks?limit=1").status, 200);
  EXPECT_EQ(target.metric(kState), 0.0);
}

TEST(DatabaseProtections, TheBulkheadCapsConcurrentQueries) {
  DatabaseTarget target("bulkhead", 5);
  ASSERT_EQ(target.put_protections({{"bulkhead", {{"max_concurrent", 2}}}}), 200);
  // The pool of 5 would hold them all; the bulkhead admits 2 and refuses 3 at once.
  const auto answer = target.get("/api/db-pool-exhaust?concurrent_queries=5&hold=1");
  EXPECT_EQ(answer.status, 503) << answer.body;
  EXPECT_FALSE(answer.header("retry-after").empty());
  const auto body = nlohmann::json::parse(answer.body);
  EXPECT_EQ(body.at("completed"), 2);
  EXPECT_EQ(body.at("failed"), 3);
  for (const auto& failure : body.at("failures")) EXPECT_EQ(failure.at("reason"), "bulkhead_full");
  EXPECT_EQ(target.metric("bulkhead_rejected_total{dependency=\"database\"}"), 3.0);
  EXPECT_EQ(target.metric("bulkhead_rejected_total{dependency=\"downstream\"}"), 0.0);
  EXPECT_EQ(target.get("/api/db-pool-exhaust?concurrent_queries=2&hold=0").status, 200);
}

TEST(DatabaseProtections, TheDatabaseCanHaveABulkheadOfItsOwn) {
  DatabaseTarget target("bulkhead", 5);
  ASSERT_EQ(target.put_protections(
                {{"dependencies", {{"database", {{"bulkhead", {{"max_concurrent", 3}}}}}}}}),
            200);
  const auto settings = nlohmann::json::parse(target.get("/admin/protections").body);
  EXPECT_EQ(settings.at("dependencies").at("database").at("bulkhead").at("max_concurrent"), 3);
  EXPECT_EQ(settings.at("dependencies").at("downstream"), nlohmann::json::object());
  EXPECT_EQ(settings.at("bulkhead").at("max_concurrent"), 10);  // the shared cap is untouched

  const auto answer = target.get("/api/db-pool-exhaust?concurrent_queries=5&hold=1");
  EXPECT_EQ(answer.status, 503) << answer.body;
  const auto body = nlohmann::json::parse(answer.body);
  EXPECT_EQ(body.at("completed"), 3);
  EXPECT_EQ(body.at("failed"), 2);
  EXPECT_EQ(target.metric("bulkhead_rejected_total{dependency=\"database\"}"), 2.0);

  // An unknown dependency is refused with the reason, and nothing changes.
  const auto refused =
      target.put(R"({"dependencies":{"cache":{"bulkhead":{"max_concurrent":1}}}})");
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("unknown dependency 'cache'"), std::string::npos) << refused.body;
  EXPECT_EQ(target.get("/api/db-pool-exhaust?concurrent_queries=3&hold=0").status, 200);
}

}  // namespace
}  // namespace loadlab::testing
