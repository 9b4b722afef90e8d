// The asynchronous pool on a real io_context: hand-over to waiters, acquire timeouts with real
// timers, cancelled waiters, close(), broken connections and the pool metrics.
#include "db/connection_pool.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "metrics/registry.hpp"

namespace loadlab::db {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct NumberedConnection : PooledConnection {
  explicit NumberedConnection(int n) : number(n) {}
  int number;
};

class CountingFactory : public ConnectionFactory {
 public:
  asio::awaitable<core::Expected<std::unique_ptr<PooledConnection>, DbError>> open() override {
    if (fail_next) {
      fail_next = false;
      co_return core::unexpected(DbError{DbErrorKind::connection_failed, "refused"});
    }
    co_return std::unique_ptr<PooledConnection>(std::make_unique<NumberedConnection>(++opened));
  }
  void discard(std::unique_ptr<PooledConnection> connection) override {
    if (connection) ++discarded;
  }
  int opened = 0;
  int discarded = 0;
  bool fail_next = false;
};

std::string metric_line(const metrics::Registry& registry, const std::string& prefix) {
  const std::string text = registry.expose();
  const auto at = text.find("\n" + prefix + " ");
  if (at == std::string::npos) return "missing " + prefix;
  return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

class ConnectionPoolTest : public ::testing::Test {
 protected:
  ConnectionPool& make_pool(int size, int overflow,
                            std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    PoolOptions options;
    options.size = size;
    options.overflow = overflow;
    options.acquire_timeout = timeout;
    pool.emplace(options, factory, registry, core::SteadyClock::instance());
    return *pool;
  }

  asio::io_context io;
  CountingFactory factory;
  metrics::Registry registry;
  std::optional<ConnectionPool> pool;
};

// Acquires, records which connection it got, holds it until `gate` is cancelled.
asio::awaitable<void> hold(ConnectionPool& pool, std::vector<std::string>& log, std::string name,
                           asio::steady_timer& gate) {
  auto lease = co_await pool.acquire();
  if (!lease) {
    log.push_back(name + ":error:" + lease.error().message);
    co_return;
  }
  log.push_back(name + ":got:" + std::to_string(lease->as<NumberedConnection>().number));
  co_await gate.async_wait(asio::as_tuple(asio::use_awaitable));
  log.push_back(name + ":release");
}

TEST_F(ConnectionPoolTest, WaiterGetsTheReleasedConnectionInArrivalOrder) {
  auto& p = make_pool(1, 0);
  std::vector<std::string> log;
  asio::steady_timer gate_a(io, asio::steady_timer::time_point::max());
  asio::steady_timer gate_b(io, asio::steady_timer::time_point::max());
  asio::steady_timer gate_c(io, asio::steady_timer::time_point::max());
  asio::co_spawn(io, hold(p, log, "a", gate_a), asio::detached);
  asio::co_spawn(io, hold(p, log, "b", gate_b), asio::detached);
  asio::co_spawn(io, hold(p, log, "c", gate_c), asio::detached);
  io.poll();
  EXPECT_EQ(log, (std::vector<std::string>{"a:got:1"}));
  EXPECT_EQ(p.stats().waiting, 2);
  EXPECT_EQ(p.stats().in_use, 1);

  gate_a.cancel();
  io.poll();
  EXPECT_EQ(log, (std::vector<std::string>{"a:got:1", "a:release", "b:got:1"}));
  gate_b.cancel();
  io.poll();
  gate_c.cancel();
  io.poll();
  EXPECT_EQ(log.back(), "c:release");
  EXPECT_EQ(factory.opened, 1);
  const PoolStats stats = p.stats();
  EXPECT_EQ(stats.in_use, 0);
  EXPECT_EQ(stats.idle, 1);
  EXPECT_EQ(stats.waiting, 0);
  EXPECT_EQ(metric_line(registry, "db_pool_connections{state=\"idle\"}"),
            "db_pool_connections{state=\"idle\"} 1");
  EXPECT_EQ(metric_line(registry, "db_pool_acquire_seconds_count"),
            "db_pool_acquire_seconds_count 3");
}

TEST_F(ConnectionPoolTest, OverflowOpensExtraConnectionsAndClosesThemOnReturn) {
  auto& p = make_pool(1, 1);
  std::vector<std::string> log;
  asio::steady_timer gate(io, asio::steady_timer::time_point::max());
  for (const char* name : {"a", "b", "c"})
    asio::co_spawn(io, hold(p, log, name, gate), asio::detached);
  io.poll();
  EXPECT_EQ(factory.opened, 2);
  EXPECT_EQ(p.stats().waiting, 1);
  EXPECT_EQ(metric_line(registry, "db_pool_connections{state=\"in_use\"}"),
            "db_pool_connections{state=\"in_use\"} 2");
  EXPECT_EQ(metric_line(registry, "db_pool_connections{state=\"waiting\"}"),
            "db_pool_connections{state=\"waiting\"} 1");
  EXPECT_EQ(metric_line(registry, "db_pool_connections{state=\"max\"}"),
            "db_pool_connections{state=\"max\"} 2");
  gate.expires_at(asio::steady_timer::time_point::min());  // opens the gate for late comers too
  io.run();
  EXPECT_EQ(p.stats().idle, 1);
  EXPECT_EQ(p.stats().size, 1);
  EXPECT_EQ(factory.discarded, 1);
}

asio::awaitable<void> acquire_once(ConnectionPool& pool, std::optional<DbError>& error) {
  auto lease = co_await pool.acquire();
  if (!lease) error = lease.error();
}

TEST_F(ConnectionPoolTest, AcquireTimeoutYieldsPoolTimeoutAndIsCounted) {
  auto& p = make_pool(1, 0, 20ms);
  std::vector<std::string> log;
  asio::steady_timer gate(io, asio::steady_timer::time_point::max());
  asio::co_spawn(io, hold(p, log, "holder", gate), asio::detached);
  std::optional<DbError> error;
  asio::co_spawn(io, acquire_once(p, error), [&](std::exception_ptr) { gate.cancel(); });
  io.run();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, DbErrorKind::pool_timeout);
  EXPECT_EQ(p.stats().acquire_timeouts, 1u);
  EXPECT_EQ(p.stats().waiting, 0);
  EXPECT_EQ(metric_line(registry, "db_pool_acquire_timeouts_total"),
            "db_pool_acquire_timeouts_total 1");
}

asio::awaitable<void> acquire_and_keep(ConnectionPool& pool, std::optional<Lease>& kept) {
  auto lease = co_await pool.acquire();
  if (lease) kept.emplace(std::move(lease).value());
}

asio::awaitable<void> acquire_or_give_up(ConnectionPool& pool, std::string& outcome) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer deadline(co_await asio::this_coro::executor, 10ms);
  std::optional<Lease> kept;
  auto result = co_await (acquire_and_keep(pool, kept) || deadline.async_wait(asio::use_awaitable));
  outcome = result.index() == 0 ? "acquired" : "gave up";
}

TEST_F(ConnectionPoolTest, CancelledWaiterLeavesTheQueueWithoutCountingATimeout) {
  auto& p = make_pool(1, 0);
  std::vector<std::string> log;
  asio::steady_timer gate(io, asio::steady_timer::time_point::max());
  asio::co_spawn(io, hold(p, log, "holder", gate), asio::detached);
  std::string outcome;
  asio::co_spawn(io, acquire_or_give_up(p, outcome), [&](std::exception_ptr) { gate.cancel(); });
  io.run();
  EXPECT_EQ(outcome, "gave up");
  EXPECT_EQ(p.stats().waiting, 0);
  EXPECT_EQ(p.stats().acquire_timeouts, 0u);
  EXPECT_EQ(p.stats().idle, 1);
}

TEST_F(ConnectionPoolTest, CloseWakesWaitersWithShuttingDown) {
  auto& p = make_pool(1, 0);
  std::vector<std::string> log;
  asio::steady_timer gate(io, asio::steady_timer::time_point::max());
  asio::co_spawn(io, hold(p, log, "holder", gate), asio::detached);
  std::optional<DbError> error;
  asio::co_spawn(io, acquire_once(p, error), asio::detached);
  io.poll();
  ASSERT_EQ(p.stats().waiting, 1);
  p.close();
  io.poll();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, DbErrorKind::shutting_down);
  gate.cancel();
  io.run();
  EXPECT_EQ(p.stats().in_use, 0);
  EXPECT_EQ(p.stats().idle, 0);
  EXPECT_EQ(factory.discarded, 1);
}

asio::awaitable<void> hold_and_break(ConnectionPool& pool, asio::steady_timer& gate) {
  auto lease = co_await pool.acquire();
  co_await gate.async_wait(asio::as_tuple(asio::use_awaitable));
  lease->mark_broken();
}

TEST_F(ConnectionPoolTest, BrokenConnectionIsDiscardedAndTheWaiterOpensAFreshOne) {
  auto& p = make_pool(1, 0);
  std::vector<std::string> log;
  asio::steady_timer gate(io, asio::steady_timer::time_point::max());
  asio::steady_timer never(io, asio::steady_timer::time_point::max());
  asio::co_spawn(io, hold_and_break(p, gate), asio::detached);
  asio::co_spawn(io, hold(p, log, "next", never), asio::detached);
  io.poll();
  gate.cancel();
  io.poll();
  EXPECT_EQ(log, (std::vector<std::string>{"next:got:2"}));
  EXPECT_EQ(factory.discarded, 1);
  never.cancel();
  io.run();
}

TEST_F(ConnectionPoolTest, FailedOpenReportsConnectionFailedAndFreesTheSlot) {
  auto& p = make_pool(1, 0);
  factory.fail_next = true;
  std::optional<DbError> error;
  asio::co_spawn(io, acquire_once(p, error), asio::detached);
  io.run();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, DbErrorKind::connection_failed);
  EXPECT_EQ(p.stats().in_use, 0);
  io.restart();
  error.reset();
  asio::co_spawn(io, acquire_once(p, error), asio::detached);
  io.run();
  EXPECT_FALSE(error);
}

}  // namespace
}  // namespace loadlab::db
