// One client connection: a coroutine that reads requests under deadlines and size limits,
// dispatches them in order (so pipelined requests are answered in order) and writes responses.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "http/message.hpp"
#include "http/readiness_poller.hpp"
#include "http/server_options.hpp"

namespace loadlab::http {

namespace asio = boost::asio;
class Router;
class RequestMetrics;
class ServerState;
class WorkerPool;
struct Connection;
struct RequestState;

// Everything a session needs from its server; owned by the Server, outlives every session.
class RequestGate;

struct SessionEnvironment {
  const ServerOptions* options = nullptr;
  const Router* router = nullptr;
  RequestMetrics* metrics = nullptr;
  core::Clock* clock = nullptr;
  ServerState* state = nullptr;
  WorkerPool* workers = nullptr;               // null in the async model
  std::function<void()> on_connection_closed;  // called after the connection count dropped
  RequestGate* gate = nullptr;                 // null: every routed request is admitted
  const std::vector<Handler>* gated_handlers = nullptr;  // by route index, when gate is set
};

// One I/O thread's io_context and the connections living on it (touched only on that thread).
struct IoShard {
  explicit IoShard(PollerBackend backend);
  // After the thread stopped: sessions suspended in a poller wait belong to their connection's
  // waiting handler, which Asio does not hold; they are released here, as io_context's own
  // destructor releases the operations it holds.
  ~IoShard();
  IoShard(const IoShard&) = delete;
  IoShard& operator=(const IoShard&) = delete;
  // Request states not in use (session.cpp): as many as the shard's peak of concurrent requests.
  // Declared first so that it outlives the context: a session frame destroyed with the context
  // gives its state back here.
  std::vector<std::unique_ptr<RequestState>> spare_requests;
  asio::io_context context;
  ReadinessPoller poller;  // the sessions' sockets, once they left Asio's reactor
  std::list<Connection*> connections;
  bool closing_idle = false;  // drain: idle keep-alive connections close instead of waiting
  // Reused by every session of the shard, one at a time (see session.cpp): the first read of a
  // request, and the head of the response being written.
  std::vector<char> input_scratch = std::vector<char>(64 * 1024);
  std::string output_scratch;
};

// The connection must already be counted in state->open_connections().
asio::awaitable<void> run_session(asio::ip::tcp::socket socket, SessionEnvironment* environment,
                                  IoShard* shard);

// Drain: closes connections waiting for their next request; busy ones close after answering.
// Must run on the shard's thread.
void close_idle_connections(IoShard& shard);

// Over the connection cap: a best-effort 503 JSON answer without waiting, then close.
void reject_connection(asio::ip::tcp::socket socket);

}  // namespace loadlab::http
