// What every Database backend must do, as value-parameterised tests over a --db URL. Included by
// the SQLite unit tests and by the PostgreSQL integration tests (URL "postgres-fixture").
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "db/database.hpp"
#include "metrics/registry.hpp"

namespace loadlab::db::contract {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// "postgres-fixture": the URL the CTest fixture wrote; "sqlite-file": a fresh file per test.
inline std::string resolve_url(const std::string& parameter) {
  if (parameter == "postgres-fixture") {
    std::ifstream in(std::string(LOADLAB_BINARY_DIR) + "/postgres/url");
    std::string url;
    std::getline(in, url);
    if (url.empty())
      ADD_FAILURE() << "no PostgreSQL fixture URL in " LOADLAB_BINARY_DIR "/postgres/url";
    return url;
  }
  if (parameter == "sqlite-file") {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "-" + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    const std::filesystem::path dir = std::filesystem::path(LOADLAB_BINARY_DIR) / "db-tests";
    std::filesystem::create_directories(dir);
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(dir / (name + ".sqlite" + suffix));
    }
    return "sqlite:" + (dir / (name + ".sqlite")).string();
  }
  return parameter;
}

class DatabaseContract : public ::testing::TestWithParam<std::string> {
 protected:
  Database& open(int size = 5, int overflow = 10,
                 std::optional<std::chrono::milliseconds> acquire_timeout = std::nullopt) {
    PoolOptions options;
    options.size = size;
    options.overflow = overflow;
    options.acquire_timeout = acquire_timeout;
    database =
        open_database(resolve_url(GetParam()), options, registry, core::SteadyClock::instance());
    return *database;
  }

  // Runs `task` to completion on the test's io_context and returns its result.
  template <class T>
  T run(asio::awaitable<T> task) {
    std::optional<T> result;
    std::exception_ptr failure;
    asio::co_spawn(io, store(std::move(task), result), [&](std::exception_ptr e) { failure = e; });
    io.restart();
    io.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*result);
  }
  // co_spawn needs a default-constructible result; core::Expected is not.
  template <class T>
  static asio::awaitable<void> store(asio::awaitable<T> task, std::optional<T>& result) {
    result.emplace(co_await std::move(task));
  }

  std::string unique(const std::string& what) const {
    return what + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" +
           std::to_string(::getpid());
  }

  void TearDown() override {
    if (database) database->close();
    io.restart();
    io.run();
    database.reset();
  }

  asio::io_context io;
  metrics::Registry registry;
  std::unique_ptr<Database> database;
};

inline asio::awaitable<std::vector<core::Expected<Task, DbError>>> create_three(
    Database& db, std::string prefix) {
  std::vector<core::Expected<Task, DbError>> created;
  for (int i = 0; i < 3; ++i) {
    created.push_back(co_await db.create_task(prefix + "-" + std::to_string(i), "description"));
  }
  co_return created;
}

TEST_P(DatabaseContract, CreatedTasksAreListedNewestFirst) {
  Database& db = open();
  const std::string prefix = unique("task");
  auto created = run(create_three(db, prefix));
  for (const auto& task : created) ASSERT_TRUE(task) << task.error().message;
  EXPECT_LT(created[0]->id, created[1]->id);
  EXPECT_EQ(created[2]->title, prefix + "-2");
  EXPECT_EQ(created[2]->description, "description");
  EXPECT_EQ(created[2]->created_at.size(), 24u) << created[2]->created_at;  // ...T..:..:..sssZ
  EXPECT_EQ(created[2]->created_at.back(), 'Z');

  auto listed = run(db.list_tasks(1000));
  ASSERT_TRUE(listed) << listed.error().message;
  std::vector<std::int64_t> ours;
  for (const Task& task : *listed) {
    if (task.title.rfind(prefix, 0) == 0) ours.push_back(task.id);
  }
  EXPECT_EQ(ours, (std::vector<std::int64_t>{created[2]->id, created[1]->id, created[0]->id}));
  auto one = run(db.list_tasks(1));
  ASSERT_TRUE(one);
  EXPECT_EQ(one->size(), 1u);
}

TEST_P(DatabaseContract, ExpensiveQueryCountsItsOwnInsertsEveryTime) {
  Database& db = open();
  for (int round = 0; round < 2; ++round) {
    auto count = run(db.expensive_query(250));
    ASSERT_TRUE(count) << count.error().message;
    EXPECT_EQ(*count, 250);
  }
  auto none = run(db.expensive_query(0));
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);
}

inline asio::awaitable<void> count_into(Database& db, int iterations,
                                        std::vector<core::Expected<std::int64_t, DbError>>& out) {
  out.push_back(co_await db.expensive_query(iterations));
}

inline asio::awaitable<std::vector<core::Expected<std::int64_t, DbError>>> concurrent_counts(
    Database& db, int callers, int iterations) {
  std::vector<core::Expected<std::int64_t, DbError>> results;
  auto executor = co_await asio::this_coro::executor;
  for (int i = 0; i < callers; ++i) {
    asio::co_spawn(executor, count_into(db, iterations, results), asio::detached);
  }
  asio::steady_timer tick(executor);
  while (static_cast<int>(results.size()) < callers) {
    tick.expires_after(5ms);
    co_await tick.async_wait(asio::use_awaitable);
  }
  co_return results;
}

TEST_P(DatabaseContract, ConcurrentExpensiveQueriesEachCountOnlyTheirOwnRows) {
  Database& db = open(4, 0);
  const auto results = run(concurrent_counts(db, 4, 200));
  ASSERT_EQ(results.size(), 4u);
  for (const auto& count : results) {
    ASSERT_TRUE(count) << count.error().message;
    EXPECT_EQ(*count, 200);
  }
}

// Starts `sleepers` sleep queries at once and samples the pool until they are all done.
struct SleepObservation {
  int completed = 0;
  int max_in_use = 0;
  int max_waiting = 0;
  int timer_ticks_while_sleeping = 0;
  std::vector<core::Expected<double, DbError>> results;
};

inline asio::awaitable<void> one_sleep(Database& db, std::chrono::milliseconds duration,
                                       SleepObservation& seen) {
  seen.results.push_back(co_await db.sleep_query(duration));
  ++seen.completed;
}

inline asio::awaitable<SleepObservation> sleep_and_sample(Database& db, int sleepers,
                                                          std::chrono::milliseconds duration) {
  SleepObservation seen;
  auto executor = co_await asio::this_coro::executor;
  for (int i = 0; i < sleepers; ++i)
    asio::co_spawn(executor, one_sleep(db, duration, seen), asio::detached);
  asio::steady_timer tick(executor);
  while (seen.completed < sleepers) {
    tick.expires_after(5ms);
    co_await tick.async_wait(asio::use_awaitable);
    const PoolStats stats = db.stats();
    seen.max_in_use = std::max(seen.max_in_use, stats.in_use);
    seen.max_waiting = std::max(seen.max_waiting, stats.waiting);
    if (seen.completed == 0) ++seen.timer_ticks_while_sleeping;
  }
  co_return seen;
}

TEST_P(DatabaseContract, SleepQueriesHoldConnectionsSoTheThirdWaits) {
  Database& db = open(2, 0);
  const SleepObservation seen = run(sleep_and_sample(db, 3, 300ms));
  ASSERT_EQ(seen.results.size(), 3u);
  for (const auto& result : seen.results) {
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_DOUBLE_EQ(*result, 0.3);
  }
  EXPECT_EQ(seen.max_in_use, 2);
  EXPECT_EQ(seen.max_waiting, 1);
  const PoolStats stats = db.stats();
  EXPECT_EQ(stats.in_use, 0);
  EXPECT_EQ(stats.waiting, 0);
  EXPECT_EQ(stats.idle, 2);
  EXPECT_EQ(stats.max, 2);
}

TEST_P(DatabaseContract, IoThreadKeepsRunningWhileASleepQueryRuns) {
  Database& db = open(1, 0);
  const SleepObservation seen = run(sleep_and_sample(db, 1, 600ms));
  ASSERT_TRUE(seen.results.at(0)) << seen.results.at(0).error().message;
  // A blocked I/O thread would let the 5 ms timer fire at most once before the query ended
  // (about 120 ticks when nothing blocks; the margin absorbs a loaded CI machine).
  EXPECT_GE(seen.timer_ticks_while_sleeping, 5);
}

inline asio::awaitable<void> store_sleep(Database& db, std::chrono::milliseconds duration,
                                         std::optional<core::Expected<double, DbError>>& out) {
  out.emplace(co_await db.sleep_query(duration));
}

inline asio::awaitable<std::pair<core::Expected<double, DbError>, core::Expected<Task, DbError>>>
sleep_then_starve(Database& db) {
  auto executor = co_await asio::this_coro::executor;
  std::optional<core::Expected<double, DbError>> slow;
  asio::co_spawn(executor, store_sleep(db, 600ms, slow), asio::detached);
  asio::steady_timer settle(executor, 50ms);  // let the sleeper take the only connection
  co_await settle.async_wait(asio::use_awaitable);
  auto starved = co_await db.create_task("starved", "");
  while (!slow) {
    settle.expires_after(10ms);
    co_await settle.async_wait(asio::use_awaitable);
  }
  co_return std::make_pair(std::move(*slow), std::move(starved));
}

TEST_P(DatabaseContract, AcquireTimeoutYieldsPoolTimeout) {
  Database& db = open(1, 0, 100ms);
  auto [slow, starved] = run(sleep_then_starve(db));
  ASSERT_TRUE(slow) << slow.error().message;
  ASSERT_FALSE(starved);
  EXPECT_EQ(starved.error().kind, DbErrorKind::pool_timeout);
  EXPECT_EQ(db.stats().acquire_timeouts, 1u);
  EXPECT_NE(registry.expose().find("\ndb_pool_acquire_timeouts_total 1\n"), std::string::npos);
}

inline asio::awaitable<std::string> abandon_sleep_then_query(Database& db) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer deadline(co_await asio::this_coro::executor, 100ms);
  std::optional<core::Expected<double, DbError>> slept;
  auto first = co_await (store_sleep(db, 30s, slept) || deadline.async_wait(asio::use_awaitable));
  if (first.index() == 0) co_return "the sleep was not abandoned";
  // With one connection and a 5 s acquire timeout, a leaked connection shows as pool_timeout.
  auto next = co_await db.create_task("after-cancel", "");
  co_return next ? std::string("ok") : next.error().message;
}

TEST_P(DatabaseContract, CallerDeadlineMidQueryFreesTheConnection) {
  Database& db = open(1, 0, 5000ms);
  EXPECT_EQ(run(abandon_sleep_then_query(db)), "ok");
  EXPECT_EQ(db.stats().in_use, 0);
  EXPECT_EQ(db.stats().acquire_timeouts, 0u);
}

inline asio::awaitable<void> busy_caller(Database& db, int caller, std::atomic<int>& succeeded) {
  auto created = co_await db.create_task("caller-" + std::to_string(caller), "");
  auto listed = co_await db.list_tasks(5);
  auto slept = co_await db.sleep_query(5ms);
  auto counted = co_await db.expensive_query(3);
  if (created && listed && slept && counted && *counted == 3) ++succeeded;
}

TEST_P(DatabaseContract, ManyCallersOnSeveralIoThreadsShareThePool) {
  Database& db = open(3, 2);
  constexpr int kCallers = 40;
  std::atomic<int> succeeded{0};
  for (int caller = 0; caller < kCallers; ++caller) {
    asio::co_spawn(io, busy_caller(db, caller, succeeded), asio::detached);
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back([this] { io.run(); });
  io.run();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), kCallers);
  const PoolStats stats = db.stats();
  EXPECT_EQ(stats.in_use, 0);
  EXPECT_EQ(stats.waiting, 0);
  EXPECT_LE(stats.idle, 3);
  EXPECT_EQ(stats.acquire_timeouts, 0u);
}

TEST_P(DatabaseContract, ClosedDatabaseRefusesWithShuttingDown) {
  Database& db = open();
  db.close();
  auto refused = run(db.list_tasks(10));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, DbErrorKind::shutting_down);
}

TEST_P(DatabaseContract, PoolMetricsAreExposed) {
  Database& db = open(3, 4);
  ASSERT_TRUE(run(db.list_tasks(1)));
  const std::string text = registry.expose();
  EXPECT_NE(text.find("db_pool_connections{state=\"max\"} 7"), std::string::npos) << text;
  EXPECT_NE(text.find("db_pool_connections{state=\"idle\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("db_pool_connections{state=\"in_use\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("db_pool_acquire_seconds_count 1"), std::string::npos) << text;
}

}  // namespace loadlab::db::contract
