// Costs of the database layer: an uncontended pool acquire/release, and a SQLite round trip
// (pool + hop to the blocking thread pool and back) for an insert and a tiny sleep query.
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "db/connection_pool.hpp"
#include "db/database.hpp"
#include "metrics/registry.hpp"

namespace {

namespace asio = boost::asio;
using loadlab::db::ConnectionFactory;
using loadlab::db::ConnectionPool;
using loadlab::db::DbError;
using loadlab::db::PooledConnection;

class InstantFactory : public ConnectionFactory {
 public:
  asio::awaitable<loadlab::core::Expected<std::unique_ptr<PooledConnection>, DbError>> open()
      override {
    co_return std::make_unique<PooledConnection>();
  }
  void discard(std::unique_ptr<PooledConnection>) override {}
};

asio::awaitable<void> acquire_release_loop(ConnectionPool& pool, benchmark::State& state) {
  for (auto _ : state) {
    auto lease = co_await pool.acquire();
    benchmark::DoNotOptimize(lease);
  }
}

void BM_PoolAcquireRelease(benchmark::State& state) {
  asio::io_context io;
  InstantFactory factory;
  loadlab::metrics::Registry registry;
  ConnectionPool pool({}, factory, registry, loadlab::core::SteadyClock::instance());
  asio::co_spawn(io, acquire_release_loop(pool, state), asio::detached);
  io.run();
}
BENCHMARK(BM_PoolAcquireRelease);

asio::awaitable<void> create_task_loop(loadlab::db::Database& db, benchmark::State& state) {
  for (auto _ : state) {
    auto task = co_await db.create_task("bench", "");
    if (!task) state.SkipWithError(task.error().message.c_str());
  }
}

void BM_SqliteMemoryCreateTask(benchmark::State& state) {
  asio::io_context io;
  loadlab::metrics::Registry registry;
  auto db = loadlab::db::open_database("sqlite::memory:", {}, registry,
                                       loadlab::core::SteadyClock::instance());
  asio::co_spawn(io, create_task_loop(*db, state), asio::detached);
  io.run();
}
BENCHMARK(BM_SqliteMemoryCreateTask);

asio::awaitable<void> zero_sleep_loop(loadlab::db::Database& db, benchmark::State& state) {
  for (auto _ : state) {
    auto slept = co_await db.sleep_query(std::chrono::milliseconds(0));
    if (!slept) state.SkipWithError(slept.error().message.c_str());
  }
}

void BM_SqliteMemoryZeroSleepQuery(benchmark::State& state) {
  asio::io_context io;
  loadlab::metrics::Registry registry;
  auto db = loadlab::db::open_database("sqlite::memory:", {}, registry,
                                       loadlab::core::SteadyClock::instance());
  asio::co_spawn(io, zero_sleep_loop(*db, state), asio::detached);
  io.run();
}
BENCHMARK(BM_SqliteMemoryZeroSleepQuery);

}  // namespace

BENCHMARK_MAIN();
