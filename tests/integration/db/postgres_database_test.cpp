// The Database contract on a real PostgreSQL (the CTest fixture's cluster), plus what only
// PostgreSQL has: start-up errors and server-side cancellation of abandoned queries.
#include <libpq-fe.h>

#include "database_contract.hpp"

namespace loadlab::db::contract {
namespace {

INSTANTIATE_TEST_SUITE_P(Postgres, DatabaseContract, ::testing::Values("postgres-fixture"),
                         [](const auto&) { return std::string("Fixture"); });

TEST(PostgresDatabase, UnreachableServerIsAStartUpError) {
  asio::io_context io;
  metrics::Registry registry;
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  EXPECT_THROW(open_database("postgresql://postgres@127.0.0.1:1/loadlab", {}, registry,
                             core::SteadyClock::instance()),
               std::runtime_error);
}

// Active server-side queries of one application_name, seen from a separate blocking session.
int active_queries(const std::string& url, const std::string& application) {
  PGconn* session = PQconnectdb(url.c_str());
  if (PQstatus(session) != CONNECTION_OK) {
    PQfinish(session);
    return -1;
  }
  const char* values[] = {application.c_str()};
  PGresult* result = PQexecParams(
      session,
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' "
      "AND pid <> pg_backend_pid()",
      1, nullptr, values, nullptr, nullptr, 0);
  const int count =
      PQresultStatus(result) == PGRES_TUPLES_OK ? std::atoi(PQgetvalue(result, 0, 0)) : -1;
  PQclear(result);
  PQfinish(session);
  return count;
}

asio::awaitable<void> store_outcome(Database& db,
                                    std::optional<core::Expected<double, DbError>>& out) {
  out.emplace(co_await db.sleep_query(30s));
}

// Returns once the server runs the query (or after 10 s): the moment to abandon it.
asio::awaitable<std::string> until_running(std::string url, std::string application) {
  asio::steady_timer tick(co_await asio::this_coro::executor);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (active_queries(url, application) == 1) co_return "abandoned";
    tick.expires_after(10ms);
    co_await tick.async_wait(asio::use_awaitable);
  }
  co_return "never ran";
}

asio::awaitable<std::string> abandon_long_sleep(Database& db, std::string url,
                                                std::string application) {
  using namespace asio::experimental::awaitable_operators;
  std::optional<core::Expected<double, DbError>> outcome;
  auto raced = co_await (store_outcome(db, outcome) || until_running(url, application));
  if (raced.index() == 0) co_return "the sleep finished";
  co_return std::get<1>(raced);
}

TEST(PostgresDatabase, AbandonedSleepIsCancelledOnTheServer) {
  const std::string application = "loadlab-cancel-" + std::to_string(::getpid());
  const std::string url = resolve_url("postgres-fixture") + "&application_name=" + application;
  asio::io_context io;
  metrics::Registry registry;
  auto db = open_database(url, {}, registry, core::SteadyClock::instance());
  std::string outcome;
  asio::co_spawn(io, abandon_long_sleep(*db, url, application),
                 [&](std::exception_ptr, std::string result) { outcome = std::move(result); });
  io.run();
  ASSERT_EQ(outcome, "abandoned");
  // PQcancel runs on the cleanup threads; wait (bounded) for the server to drop the query.
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  int active = active_queries(url, application);
  while (active != 0 && std::chrono::steady_clock::now() < give_up) {
    asio::steady_timer pause(io, 20ms);
    pause.wait();
    active = active_queries(url, application);
  }
  EXPECT_EQ(active, 0);
  EXPECT_EQ(db->stats().in_use, 0);
}

// Ends every server session of one application_name, as a server restart would.
int terminate_sessions(const std::string& url, const std::string& application) {
  PGconn* session = PQconnectdb(url.c_str());
  const char* values[] = {application.c_str()};
  PGresult* result = PQexecParams(session,
                                  "SELECT count(pg_terminate_backend(pid, 5000)) FROM "
                                  "pg_stat_activity WHERE application_name = $1 "
                                  "AND pid <> pg_backend_pid()",
                                  1, nullptr, values, nullptr, nullptr, 0);
  const int count =
      PQresultStatus(result) == PGRES_TUPLES_OK ? std::atoi(PQgetvalue(result, 0, 0)) : -1;
  PQclear(result);
  PQfinish(session);
  return count;
}

asio::awaitable<std::string> query_twice_around(Database& db, std::string url,
                                                std::string application) {
  auto first = co_await db.list_tasks(1);
  if (!first) co_return "first: " + first.error().message;
  const int terminated = terminate_sessions(url, application);
  if (terminated != 1) co_return "terminated " + std::to_string(terminated) + " sessions";
  auto second = co_await db.list_tasks(1);
  co_return second ? std::string("ok") : "second: " + second.error().message;
}

TEST(PostgresDatabase, IdleConnectionClosedByTheServerIsReplacedNotReported) {
  const std::string application = "loadlab-stale-" + std::to_string(::getpid());
  const std::string url = resolve_url("postgres-fixture") + "&application_name=" + application;
  asio::io_context io;
  metrics::Registry registry;
  PoolOptions options;
  options.size = 1;
  options.overflow = 0;
  auto db = open_database(url, options, registry, core::SteadyClock::instance());
  std::string outcome;
  asio::co_spawn(io, query_twice_around(*db, url, application),
                 [&](std::exception_ptr, std::string result) { outcome = std::move(result); });
  io.run();
  EXPECT_EQ(outcome, "ok");
  EXPECT_EQ(db->stats().size, 1);
}

}  // namespace
}  // namespace loadlab::db::contract
