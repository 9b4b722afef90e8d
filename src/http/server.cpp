// Listener, I/O threads and graceful drain (see server.hpp).
#include "http/server.hpp"

#include <pthread.h>
#include <sched.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <stdexcept>

#include "http/request_gate.hpp"
#include "http/request_metrics.hpp"
#include "http/router.hpp"
#include "http/server_state.hpp"
#include "http/worker_pool.hpp"

namespace loadlab::http {

using tcp = asio::ip::tcp;

int usable_cpu_count() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count > 0) return count;
  }
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware > 0 ? static_cast<int>(hardware) : 1;
}

Server::Server(ServerOptions options, Router& router, metrics::Registry& registry,
               core::Clock& clock, ServerState& state)
    : options_(std::move(options)),
      router_(router),
      registry_(registry),
      clock_(clock),
      state_(state) {
  const int threads = options_.io_threads > 0 ? options_.io_threads : usable_cpu_count();
  for (int i = 0; i < threads; ++i)
    shards_.push_back(std::make_unique<IoShard>(options_.io_backend));
  grace_timer_ = std::make_unique<asio::steady_timer>(shards_.front()->context);
}

Server::~Server() {
  stop();
}

asio::any_io_executor Server::executor() noexcept {
  return shards_.front()->context.get_executor();
}

namespace {

// A route handler behind RequestGate::on_start: the last check before any work begins. Used in
// the threaded model, where the check runs on the worker (the async model makes it in
// RequestDispatch).
struct GatedHandler {
  RequestGate* gate;
  const Handler* inner;  // points into the router's stable route table
  asio::awaitable<Response> operator()(RequestContext& context) const {
    return run(gate, inner, context);
  }
  static asio::awaitable<Response> run(RequestGate* gate, const Handler* inner,
                                       RequestContext& context) {
    if (auto early = gate->on_start(context)) co_return std::move(*early);
    co_return co_await (*inner)(context);
  }
};

}  // namespace

void Server::set_gate(RequestGate* gate) {
  gate_ = gate;
  gated_handlers_.clear();
  if (gate == nullptr) return;
  for (std::size_t i = 0; i < router_.route_count(); ++i) {
    gated_handlers_.emplace_back(GatedHandler{gate, &router_.route(i).handler});
  }
}

void Server::start() {
  metrics_ = std::make_unique<RequestMetrics>(registry_, router_);  // the route table is final
  if (options_.model == ExecutionModel::threaded) {
    workers_ = std::make_unique<WorkerPool>(options_.workers, registry_);
  }
  environment_ = SessionEnvironment{
      &options_, &router_, metrics_.get(), &clock_, &state_, workers_.get(), [this] {
        connection_closed();
      }};
  if (!gated_handlers_.empty()) {
    environment_.gate = gate_;
    environment_.gated_handlers = &gated_handlers_;
  }

  const std::string where = options_.host + ":" + std::to_string(options_.port);
  try {
    tcp::resolver resolver(shards_.front()->context);
    const auto results = resolver.resolve(options_.host, std::to_string(options_.port),
                                          tcp::resolver::numeric_service);
    const tcp::endpoint endpoint = results.begin()->endpoint();
    acceptor_ = std::make_unique<tcp::acceptor>(shards_.front()->context);
    acceptor_->open(endpoint.protocol());
    acceptor_->set_option(tcp::acceptor::reuse_address(true));
    acceptor_->bind(endpoint);
    acceptor_->listen(asio::socket_base::max_listen_connections);
    endpoint_ = acceptor_->local_endpoint();
  } catch (const boost::system::system_error& error) {
    // Not what(): it appends Boost's source location, which tells an operator nothing.
    throw std::runtime_error("cannot listen on " + where + ": " + error.code().message());
  }

  asio::co_spawn(shards_.front()->context, accept_connections(this), asio::detached);
  for (auto& shard : shards_) {
    IoShard* raw = shard.get();
    threads_.emplace_back([raw] {
      // Named, so `top -H` and `ps -T` tell the I/O threads from the compute pool's.
      ::pthread_setname_np(::pthread_self(), "loadlab-io");
      auto guard = asio::make_work_guard(raw->context);
      raw->context.run();
    });
  }
}

asio::awaitable<void> Server::accept_connections(Server* self) {
  std::size_t next = 0;
  asio::steady_timer backoff(self->shards_.front()->context);
  const auto limit = static_cast<std::int64_t>(self->options_.max_connections);
  for (;;) {
    IoShard& shard = *self->shards_[next++ % self->shards_.size()];
    auto [error, socket] =
        co_await self->acceptor_->async_accept(shard.context, asio::as_tuple(asio::use_awaitable));
    if (error) {
      if (error == asio::error::operation_aborted || !self->acceptor_->is_open()) co_return;
      // Out of descriptors or memory: wait a little instead of spinning on the same error.
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (!self->state_.try_open_connection(limit)) {
      self->metrics_->rejected_connections().inc();
      reject_connection(std::move(socket));
      continue;
    }
    asio::co_spawn(shard.context, run_session(std::move(socket), &self->environment_, &shard),
                   asio::detached);
  }
}

void Server::begin_drain() {
  if (!state_.begin_draining()) return;
  {
    std::lock_guard lock(drain_mutex_);
    drain_started_ = true;
    drain_deadline_ = std::chrono::steady_clock::now() + options_.drain_timeout;
  }
  drain_changed_.notify_all();
  asio::post(shards_.front()->context, [this] {
    grace_timer_->expires_after(options_.drain_grace);
    grace_timer_->async_wait([this](const boost::system::error_code&) { finish_grace_period(); });
  });
}

void Server::finish_grace_period() {
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
  }
  for (auto& shard : shards_) {
    IoShard* raw = shard.get();
    asio::post(raw->context, [raw] { close_idle_connections(*raw); });
  }
  {
    std::lock_guard lock(drain_mutex_);
    acceptor_closed_ = true;
  }
  drain_changed_.notify_all();
}

void Server::connection_closed() {
  if (!state_.draining()) return;
  std::lock_guard lock(drain_mutex_);
  drain_changed_.notify_all();
}

void Server::abandon_drain() {
  {
    std::lock_guard lock(drain_mutex_);
    abandoned_ = true;
  }
  drain_changed_.notify_all();
}

bool Server::wait_drained() {
  std::unique_lock lock(drain_mutex_);
  drain_changed_.wait(lock, [this] { return drain_started_ || stopped_ || abandoned_; });
  if (stopped_ || abandoned_) return false;
  const bool drained = drain_changed_.wait_until(lock, drain_deadline_, [this] {
    return stopped_ || abandoned_ || (acceptor_closed_ && state_.open_connections() == 0);
  });
  return drained && !stopped_ && !abandoned_;
}

void Server::stop() {
  {
    std::lock_guard lock(drain_mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  drain_changed_.notify_all();
  for (auto& shard : shards_) shard->context.stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  if (workers_) workers_->stop();
}

}  // namespace loadlab::http
