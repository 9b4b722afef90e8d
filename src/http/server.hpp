// The HTTP/1.1 server: N I/O threads (one io_context each), an acceptor, a coroutine per
// connection, the async or threaded execution model, and graceful drain.
//
// Life cycle (main thread):   Server server(options, router, registry, clock, state);
//   make_service(...)->register_routes(router);   // routes before start
//   server.start();                    // binds (throws on failure), starts the threads
//   ... begin_drain() from a signal handler or a test ...
//   server.wait_drained();             // in-flight requests done, or drain_timeout reached
//   service->stop(); server.stop();    // background work first, then the I/O threads
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "http/message.hpp"
#include "http/server_options.hpp"
#include "http/session.hpp"

namespace loadlab::metrics {
class Registry;
}

namespace loadlab::http {

class Router;
class RequestMetrics;
class ServerState;
class WorkerPool;
class RequestGate;

class Server {
 public:
  Server(ServerOptions options, Router& router, metrics::Registry& registry, core::Clock& clock,
         ServerState& state);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();  // stop()

  // For background work of the services (valid before start()).
  [[nodiscard]] asio::any_io_executor executor() noexcept;

  // Optional, after the routes are registered and before start(): every routed request passes
  // the gate (admission, deadlines) before it waits for a worker or runs. gate must outlive start.
  void set_gate(RequestGate* gate);

  // Binds host:port and starts serving. Throws std::runtime_error when the address is unusable.
  void start();
  // The bound address (the real port when options.port was 0). Valid after start().
  [[nodiscard]] asio::ip::tcp::endpoint local_endpoint() const { return endpoint_; }

  // Thread-safe and idempotent: readiness fails now (ServerState), the acceptor closes after
  // drain_grace, idle keep-alive connections close, busy ones close after their response.
  void begin_drain();
  // Blocks until a drain has finished: every connection closed (true) or drain_timeout passed
  // since begin_drain() (false). Also returns false if stop() was called.
  bool wait_drained();
  // Makes wait_drained() return false now (a second signal: stop waiting for in-flight work).
  void abandon_drain();
  // Stops the I/O threads and the workers; pending connections are dropped. Idempotent.
  void stop();

  [[nodiscard]] const ServerOptions& options() const noexcept { return options_; }

 private:
  static asio::awaitable<void> accept_connections(Server* self);
  void finish_grace_period();
  void connection_closed();

  ServerOptions options_;
  Router& router_;
  metrics::Registry& registry_;
  core::Clock& clock_;
  ServerState& state_;
  std::vector<std::unique_ptr<IoShard>> shards_;
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  asio::ip::tcp::endpoint endpoint_;
  std::unique_ptr<RequestMetrics> metrics_;
  std::unique_ptr<WorkerPool> workers_;
  SessionEnvironment environment_;
  RequestGate* gate_ = nullptr;
  std::vector<Handler> gated_handlers_;  // route handlers behind the gate's on_start check
  std::vector<std::thread> threads_;

  std::mutex drain_mutex_;
  std::condition_variable drain_changed_;
  bool drain_started_ = false;
  bool acceptor_closed_ = false;
  bool stopped_ = false;
  bool abandoned_ = false;
  std::chrono::steady_clock::time_point drain_deadline_;
  std::unique_ptr<asio::steady_timer> grace_timer_;
};

}  // namespace loadlab::http
