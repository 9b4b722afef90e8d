// The asynchronous connection pool; see connection_pool.hpp.
#include "db/connection_pool.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "metrics/registry.hpp"

namespace loadlab::db {

namespace asio = boost::asio;

namespace {

// From 100 µs (an idle connection is handed over at once) to 30 s (a starved pool).
constexpr std::array<double, 15> kAcquireBuckets = {
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0};

metrics::Family<metrics::Gauge>& connections_family(metrics::Registry& registry) {
  return registry.gauge("db_pool_connections",
                        "Database pool connections by state (in_use, idle, waiting callers, max)",
                        {"state"});
}

}  // namespace

// A suspended acquire. Every field, the timer included, is touched only under the pool's mutex,
// so a release on another thread can never race the waiter's own timer calls.
struct ConnectionPool::Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  bool wait_started = false;
  bool granted = false;  // a release handed over `connection` (or only a slot when null)
  bool shut_down = false;
  std::unique_ptr<PooledConnection> connection;
};

// Leaves the ledger consistent if the awaiting coroutine is destroyed while it waits.
class ConnectionPool::WaitGuard {
 public:
  WaitGuard(ConnectionPool& pool, WaiterId id) : pool_(pool), id_(id) {}
  WaitGuard(const WaitGuard&) = delete;
  WaitGuard& operator=(const WaitGuard&) = delete;
  void dismiss() noexcept { active_ = false; }
  ~WaitGuard() {
    if (!active_) return;
    std::unique_ptr<PooledConnection> granted;
    bool holds_slot = false;
    {
      std::lock_guard lock(pool_.mutex_);
      auto it = pool_.waiters_.find(id_);
      if (it != pool_.waiters_.end()) {
        holds_slot = it->second->granted;
        granted = std::move(it->second->connection);
        pool_.waiters_.erase(it);
      }
      if (!holds_slot) pool_.ledger_.cancel(id_);
      pool_.publish_locked();
    }
    if (holds_slot) {
      const auto health = granted ? ConnectionHealth::reusable : ConnectionHealth::broken;
      pool_.release(std::move(granted), health);
    }
  }

 private:
  ConnectionPool& pool_;
  WaiterId id_;
  bool active_ = true;
};

Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      connection_(std::move(other.connection_)),
      broken_(other.broken_) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::exchange(other.pool_, nullptr);
    connection_ = std::move(other.connection_);
    broken_ = other.broken_;
  }
  return *this;
}

Lease::~Lease() {
  release();
}

void Lease::release() noexcept {
  if (pool_ == nullptr) return;
  const bool reusable = connection_ && !broken_ && connection_->reusable();
  std::exchange(pool_, nullptr)
      ->release(std::move(connection_),
                reusable ? ConnectionHealth::reusable : ConnectionHealth::broken);
}

ConnectionPool::ConnectionPool(PoolOptions options, ConnectionFactory& factory,
                               metrics::Registry& registry, core::Clock& clock)
    : factory_(factory),
      clock_(clock),
      ledger_(options.size, options.overflow),
      acquire_timeout_(options.acquire_timeout),
      in_use_gauge_(connections_family(registry).with({"in_use"})),
      idle_gauge_(connections_family(registry).with({"idle"})),
      waiting_gauge_(connections_family(registry).with({"waiting"})),
      max_gauge_(connections_family(registry).with({"max"})),
      acquire_seconds_(registry
                           .histogram("db_pool_acquire_seconds",
                                      "Time callers waited for a database pool connection", {},
                                      kAcquireBuckets)
                           .with({})),
      acquire_timeouts_(registry
                            .counter("db_pool_acquire_timeouts_total",
                                     "Acquires that gave up waiting for a pool connection")
                            .with({})) {
  std::lock_guard lock(mutex_);
  publish_locked();
}

ConnectionPool::~ConnectionPool() {
  close();
}

asio::awaitable<core::Expected<Lease, DbError>> ConnectionPool::acquire(
    std::optional<core::TimePoint> deadline) {
  const core::TimePoint start = clock_.now();
  auto executor = co_await asio::this_coro::executor;
  std::shared_ptr<Waiter> waiter;
  PoolLedger::AcquireResult admitted;
  WaiterId id = 0;
  {
    std::lock_guard lock(mutex_);
    if (acquire_timeout_) {
      const core::TimePoint timeout_at = start + *acquire_timeout_;
      if (!deadline || timeout_at < *deadline) deadline = timeout_at;
    }
    id = next_waiter_++;
    admitted = ledger_.acquire(id, start, deadline);
    if (admitted.admission == PoolLedger::Admission::wait) {
      waiter = std::make_shared<Waiter>(executor);
      if (deadline) {
        waiter->timer.expires_after(*deadline - start);
      } else {
        waiter->timer.expires_at(asio::steady_timer::time_point::max());
      }
      waiters_.emplace(id, waiter);
    }
    publish_locked();
  }
  switch (admitted.admission) {
    case PoolLedger::Admission::closed:
      co_return core::unexpected(DbError{DbErrorKind::shutting_down, "database pool is closed"});
    case PoolLedger::Admission::timed_out:
      acquire_timeouts_.inc();
      observe_wait(start);
      co_return core::unexpected(
          DbError{DbErrorKind::pool_timeout, "deadline passed before a pool connection was free"});
    case PoolLedger::Admission::use_idle:
      observe_wait(start);
      co_return Lease(this, std::move(admitted.connection));
    case PoolLedger::Admission::open_new:
      co_return co_await open_into_slot(start);
    case PoolLedger::Admission::wait:
      break;
  }
  co_return co_await wait_for_turn(std::move(waiter), id, start);
}

asio::awaitable<core::Expected<Lease, DbError>> ConnectionPool::wait_for_turn(
    std::shared_ptr<Waiter> waiter, WaiterId id, core::TimePoint start) {
  WaitGuard guard(*this, id);
  // Named outside the co_await and capturing no owning object: GCC 12 destroys a capturing
  // lambda created inside a co_await expression twice.
  Waiter* const suspended = waiter.get();
  auto start_waiting = [this, suspended](auto handler) {
    std::lock_guard lock(mutex_);
    suspended->timer.async_wait(std::move(handler));
    suspended->wait_started = true;
    // Granted between registration and now: wake at once.
    if (suspended->granted || suspended->shut_down) suspended->timer.cancel();
  };
  auto token = asio::as_tuple(asio::use_awaitable);
  auto [ec] = co_await asio::async_initiate<decltype(token), void(boost::system::error_code)>(
      std::move(start_waiting), token);

  bool granted = false;
  bool shut_down = false;
  std::unique_ptr<PooledConnection> connection;
  {
    std::lock_guard lock(mutex_);
    guard.dismiss();
    granted = waiter->granted;
    shut_down = waiter->shut_down;
    connection = std::move(waiter->connection);
    waiters_.erase(id);
    if (!granted && !shut_down) {
      // Either our deadline passed or our caller was cancelled.
      if (!ec) {
        ledger_.time_out(id);
      } else {
        ledger_.cancel(id);
      }
    }
    publish_locked();
  }
  if (granted) {
    if (connection) {
      observe_wait(start);
      co_return Lease(this, std::move(connection));
    }
    co_return co_await open_into_slot(start);
  }
  if (shut_down) {
    co_return core::unexpected(DbError{DbErrorKind::shutting_down, "database pool is closed"});
  }
  observe_wait(start);
  if (!ec) {
    acquire_timeouts_.inc();
    co_return core::unexpected(
        DbError{DbErrorKind::pool_timeout, "timed out waiting for a database pool connection"});
  }
  co_return core::unexpected(
      DbError{DbErrorKind::pool_timeout, "caller cancelled while waiting for a pool connection"});
}

asio::awaitable<core::Expected<Lease, DbError>> ConnectionPool::open_into_slot(
    core::TimePoint start) {
  // The slot is ours until a connection fills it; give it back if opening fails or throws.
  struct SlotGuard {
    ConnectionPool& pool;
    bool active = true;
    ~SlotGuard() {
      if (active) pool.release(nullptr, ConnectionHealth::broken);
    }
  } slot{*this};
  auto opened = co_await factory_.open();
  if (!opened) co_return core::unexpected(std::move(opened).error());
  slot.active = false;
  observe_wait(start);
  co_return Lease(this, std::move(opened).value());
}

void ConnectionPool::release(std::unique_ptr<PooledConnection> connection,
                             ConnectionHealth health) {
  std::unique_ptr<PooledConnection> to_close;
  {
    std::lock_guard lock(mutex_);
    auto released = ledger_.release(std::move(connection), health);
    to_close = std::move(released.to_close);
    if (released.handoff) {
      auto it = waiters_.find(released.handoff->waiter);
      if (it != waiters_.end()) {
        Waiter& waiter = *it->second;
        waiter.granted = true;
        waiter.connection = std::move(released.handoff->connection);
        if (waiter.wait_started) waiter.timer.cancel();
      }
    }
    publish_locked();
  }
  if (to_close) factory_.discard(std::move(to_close));
}

PoolStats ConnectionPool::stats() const {
  std::lock_guard lock(mutex_);
  return ledger_.stats();
}

void ConnectionPool::set_acquire_timeout(std::optional<std::chrono::milliseconds> timeout) {
  std::lock_guard lock(mutex_);
  acquire_timeout_ = timeout;
}

void ConnectionPool::close() {
  PoolLedger::Shutdown shutdown;
  {
    std::lock_guard lock(mutex_);
    if (ledger_.closed()) return;
    shutdown = ledger_.close();
    for (WaiterId id : shutdown.waiters) {
      auto it = waiters_.find(id);
      if (it == waiters_.end()) continue;
      it->second->shut_down = true;
      if (it->second->wait_started) it->second->timer.cancel();
    }
    publish_locked();
  }
  for (auto& connection : shutdown.idle) factory_.discard(std::move(connection));
}

void ConnectionPool::observe_wait(core::TimePoint start) {
  acquire_seconds_.observe(std::chrono::duration<double>(clock_.now() - start).count());
}

void ConnectionPool::publish_locked() {
  const PoolStats stats = ledger_.stats();
  in_use_gauge_.set(stats.in_use);
  idle_gauge_.set(stats.idle);
  waiting_gauge_.set(stats.waiting);
  max_gauge_.set(stats.max);
}

}  // namespace loadlab::db
