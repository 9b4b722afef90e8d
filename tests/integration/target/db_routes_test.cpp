// The database routes of SPEC 2.2 on a real backend: tasks, the expensive query and the pool
// exhaustion route with valid and out-of-range (422) parameters; a request beyond the pool waits
// when naked and fails fast with 503 under the `timeouts` protection. Built twice (see
// CMakeLists.txt): LOADLAB_TEST_DB is "sqlite" (in memory) or "postgres" (the CTest fixture's
// cluster, its URL in LOADLAB_BINARY_DIR/postgres/url).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>

#include "routes_fixture.hpp"
#include "wait.hpp"

namespace loadlab::target::test {
namespace {

using loadlab::testing::wait_until;

std::string database_url(const std::string& backend) {
  if (backend == "sqlite") return "sqlite::memory:";
  const std::filesystem::path url_file = std::string(LOADLAB_BINARY_DIR) + "/postgres/url";
  std::ifstream in(url_file);
  std::string url;
  if (!std::getline(in, url) || url.empty()) {
    throw std::runtime_error("no PostgreSQL URL in " + url_file.string() +
                             ": run through CTest so the `postgres` fixture starts "
                             "(tests/fixtures/postgres.sh; scripts/setup.sh installs PostgreSQL)");
  }
  return url;
}

class DbRoutes : public ::testing::TestWithParam<std::string> {
 protected:
  // `loadlab serve --db <backend>` with `extra` flags; fails the test if it does not start.
  std::unique_ptr<ChildProcess> serve(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--db", database_url(GetParam()), "--drain-timeout",
                                  "5s",   "--drain-grace",          "0s"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<ChildProcess>(loadlab::testing::start_loadlab_serve(args));
  }
};

double pool_gauge(const ChildProcess& target, const std::string& state) {
  return scrape(target, R"(db_pool_connections{state=")" + state + R"("})").value_or(-1);
}

// Flags of a pool with exactly two connections.
const std::vector<std::string> two_connections{"--db-pool-size", "2", "--db-pool-overflow", "0"};

TEST_P(DbRoutes, CreateAndListTasks) {
  const auto target = serve();
  const auto created =
      call(*target, "POST", "/api/tasks?title=write%20tests&description=on%20" + GetParam());
  ASSERT_EQ(created.status, 200) << created.body;
  const auto task = json_of(created);
  EXPECT_EQ(task["title"], "write tests");
  EXPECT_EQ(task["description"], "on " + GetParam());
  EXPECT_FALSE(task["created_at"].get<std::string>().empty());
  const long long id = task["id"].get<long long>();
  EXPECT_GT(id, 0);
  const auto untitled_description = call(*target, "POST", "/api/tasks?title=t");
  ASSERT_EQ(untitled_description.status, 200) << untitled_description.body;
  EXPECT_EQ(json_of(untitled_description)["description"], "");

  const auto listed = get(*target, "/api/tasks?limit=1000");
  ASSERT_EQ(listed.status, 200) << listed.body;
  const auto list = json_of(listed);
  ASSERT_GE(list["count"].get<int>(), 2);
  EXPECT_EQ(list["count"].get<std::size_t>(), list["tasks"].size());
  bool found = false;
  for (const auto& row : list["tasks"]) found = found || row["id"].get<long long>() == id;
  EXPECT_TRUE(found) << "task " << id << " not listed";
  const auto newest = json_of(get(*target, "/api/tasks?limit=1"));
  EXPECT_EQ(newest["count"], 1);
  const auto first_page = get(*target, "/api/tasks");  // default limit 10
  ASSERT_EQ(first_page.status, 200);
  EXPECT_LE(json_of(first_page)["count"].get<int>(), 10);

  expect_unprocessable(*target, "/api/tasks", "title", "POST");
  expect_unprocessable(*target, "/api/tasks?title=", "title", "POST");
  expect_unprocessable(*target, "/api/tasks?title=" + std::string(201, 'x'), "title", "POST");
  expect_unprocessable(*target, "/api/tasks?title=t&description=" + std::string(2001, 'x'),
                       "description", "POST");
  expect_unprocessable(*target, "/api/tasks?limit=0", "limit");
  expect_unprocessable(*target, "/api/tasks?limit=1001", "limit");
  expect_unprocessable(*target, "/api/tasks?limit=x", "limit");
  EXPECT_EQ(call(*target, "PUT", "/api/tasks").status, 405);
}

TEST_P(DbRoutes, ExpensiveQuery) {
  const auto target = serve();
  const auto query = get(*target, "/api/expensive-query?iterations=10");
  ASSERT_EQ(query.status, 200) << query.body;
  const auto body = json_of(query);
  EXPECT_EQ(body["iterations"], 10);
  // The inserts are rolled back (the table must not grow over a load test): each call counts
  // only its own rows.
  EXPECT_EQ(body["count"], 10);
  const auto again = json_of(get(*target, "/api/expensive-query?iterations=5"));
  EXPECT_EQ(again["count"], 5);
  expect_unprocessable(*target, "/api/expensive-query?iterations=0", "iterations");
  expect_unprocessable(*target, "/api/expensive-query?iterations=10001", "iterations");
  expect_unprocessable(*target, "/api/expensive-query?iterations=many", "iterations");
}

TEST_P(DbRoutes, PoolExhaustWithinThePool) {
  const auto target = serve();
  const auto exhaust = get(*target, "/api/db-pool-exhaust?concurrent_queries=3&hold=0.05");
  ASSERT_EQ(exhaust.status, 200) << exhaust.body;
  const auto body = json_of(exhaust);
  EXPECT_EQ(body["completed"], 3);
  EXPECT_EQ(body["failed"], 0);
  EXPECT_EQ(body["pool"]["in_use"], 0);
  expect_unprocessable(*target, "/api/db-pool-exhaust?concurrent_queries=0", "concurrent_queries");
  expect_unprocessable(*target, "/api/db-pool-exhaust?concurrent_queries=51", "concurrent_queries");
  expect_unprocessable(*target, "/api/db-pool-exhaust?hold=-1", "hold");
  expect_unprocessable(*target, "/api/db-pool-exhaust?hold=31", "hold");
}

// Naked (the seed): a query beyond the pool waits for a connection, however long.
TEST_P(DbRoutes, RequestBeyondThePoolWaits) {
  const auto target = serve(two_connections);
  auto holder = std::async(std::launch::async, [&target] {
    return get(*target, "/api/db-pool-exhaust?concurrent_queries=2&hold=1.5");
  });
  ASSERT_TRUE(wait_until([&] { return pool_gauge(*target, "in_use") == 2; }, seconds(10)));
  auto beyond =
      std::async(std::launch::async, [&target] { return get(*target, "/api/tasks?limit=1"); });
  EXPECT_TRUE(wait_until([&] { return pool_gauge(*target, "waiting") == 1; }, seconds(10)))
      << "the request beyond the pool did not wait for a connection";
  const auto held = holder.get();
  ASSERT_EQ(held.status, 200) << held.body;
  EXPECT_EQ(json_of(held)["completed"], 2);
  const auto waited = beyond.get();
  EXPECT_EQ(waited.status, 200) << waited.body;
  EXPECT_EQ(pool_gauge(*target, "waiting"), 0);

  // Inside one request: three queries on two connections run in two waves of `hold`.
  const auto waves = get(*target, "/api/db-pool-exhaust?concurrent_queries=3&hold=0.5");
  ASSERT_EQ(waves.status, 200) << waves.body;
  EXPECT_EQ(json_of(waves)["completed"], 3);
  EXPECT_GE(json_of(waves)["duration_ms"].get<double>(), 1000.0);
  EXPECT_EQ(scrape(*target, "db_pool_acquire_timeouts_total"), 0.0);
}

// With `timeouts` the wait for a connection is bounded (1 s by default): a 503 while the pool
// is still held, not an answer after it is released.
TEST_P(DbRoutes, PoolTimeoutFailsFastUnderTimeoutsProtection) {
  std::vector<std::string> flags = two_connections;
  flags.insert(flags.end(), {"--protect", "timeouts"});
  const auto target = serve(flags);
  auto holder = std::async(std::launch::async, [&target] {
    return get(*target, "/api/db-pool-exhaust?concurrent_queries=2&hold=4");
  });
  ASSERT_TRUE(wait_until([&] { return pool_gauge(*target, "in_use") == 2; }, seconds(10)));
  const auto refused = get(*target, "/api/tasks?limit=1");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(json_of(refused)["kind"], "pool_timeout") << refused.body;
  EXPECT_EQ(pool_gauge(*target, "in_use"), 2) << "the 503 came only after the pool was released";
  EXPECT_EQ(scrape(*target, "db_pool_acquire_timeouts_total"), 1.0);
  const auto held = holder.get();
  ASSERT_EQ(held.status, 200) << held.body;

  // Inside one request: the query beyond the pool gives up, the two others complete.
  const auto partial = get(*target, "/api/db-pool-exhaust?concurrent_queries=3&hold=2");
  EXPECT_EQ(partial.status, 503) << partial.body;
  const auto body = json_of(partial);
  EXPECT_EQ(body["completed"], 2);
  EXPECT_EQ(body["failed"], 1);
  ASSERT_EQ(body["failures"].size(), 1u) << partial.body;
  EXPECT_EQ(body["failures"][0]["kind"], "pool_timeout");
  EXPECT_EQ(scrape(*target, "db_pool_acquire_timeouts_total"), 2.0);
}

INSTANTIATE_TEST_SUITE_P(Backend, DbRoutes, ::testing::Values(std::string(LOADLAB_TEST_DB)),
                         [](const ::testing::TestParamInfo<std::string>& backend) {
                           return backend.param;
                         });

}  // namespace
}  // namespace loadlab::target::test
