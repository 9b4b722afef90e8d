// An in-process server on 127.0.0.1:0 with a few test routes, for the server's unit tests.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "http/params.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/server_state.hpp"
#include "metrics/registry.hpp"

namespace loadlab::http::test {

// GET /fast?n=..: {"n":..}; GET /slow?ms=..&n=..: waits ms on the handler's executor;
// POST /echo: {"bytes":N}; GET /thread: {"thread":"<id of the handler's thread>"};
// GET /throw: the handler throws.
inline asio::awaitable<Response> answer_fast(std::string n, unsigned version) {
  co_return json_response(Status::ok, nlohmann::json{{"n", n}}, version);
}

inline asio::awaitable<Response> answer_slow(asio::any_io_executor executor, long long ms,
                                             std::string n, unsigned version) {
  asio::steady_timer timer(executor);
  timer.expires_after(std::chrono::milliseconds(ms));
  co_await timer.async_wait(asio::use_awaitable);
  co_return json_response(Status::ok, nlohmann::json{{"n", n}, {"slept_ms", ms}}, version);
}

inline asio::awaitable<Response> answer_thrown(unsigned /*version*/) {
  throw std::runtime_error("boom");
  co_return Response{};
}

inline std::string query_text(const RequestContext& context, const char* name) {
  const std::string* value = context.query.find(name);
  return value == nullptr ? std::string{} : *value;
}

inline void add_test_routes(Router& router) {
  router.get("/fast", [](RequestContext& context) {
    return answer_fast(query_text(context, "n"), context.request.version());
  });
  router.get("/slow", [](RequestContext& context) -> asio::awaitable<Response> {
    const auto ms = parse_int_param(context.query, "ms", 100, 0, 60'000);
    if (!ms) {
      return
          [](Response r) -> asio::awaitable<Response> { co_return r; }(unprocessable(ms.error()));
    }
    return answer_slow(context.executor, *ms, query_text(context, "n"), context.request.version());
  });
  router.post("/echo", [](RequestContext& context) {
    return answer_fast(std::to_string(context.request.body().size()), context.request.version());
  });
  router.get("/thread", [](RequestContext& context) {
    std::ostringstream id;
    id << std::this_thread::get_id();
    return answer_fast(id.str(), context.request.version());
  });
  router.get("/throw",
             [](RequestContext& context) { return answer_thrown(context.request.version()); });
  // Immediate routes: plain calls in the async model, run on a worker in the threaded one.
  router.get("/thread-now", ImmediateHandler([](RequestContext& context) {
               std::ostringstream id;
               id << std::this_thread::get_id();
               return json_response(Status::ok, nlohmann::json{{"n", id.str()}},
                                    context.request.version());
             }));
  // A response bigger than the socket buffers: the server must wait for the socket mid-head.
  router.get("/big", ImmediateHandler([](RequestContext& context) {
               const auto head_kb = parse_int_param(context.query, "head_kb", 0, 0, 65'536);
               const auto body_kb = parse_int_param(context.query, "body_kb", 0, 0, 65'536);
               if (!head_kb || !body_kb) return unprocessable(ParamError{"kb", "out of range"});
               Response response(Status::ok, context.request.version());
               const std::string kib(1024 - 16, 'h');  // each field line is about 1 KiB
               for (long long i = 0; i < *head_kb; ++i) {
                 response.insert("X-Big-" + std::to_string(i), kib);
               }
               response.body() = std::string(static_cast<std::size_t>(*body_kb) * 1024, 'b');
               response.prepare_payload();
               return response;
             }));
  router.get("/throw-now", ImmediateHandler([](RequestContext&) -> Response {
               throw std::runtime_error("immediate handler failed");
             }));
  // Control routes (like probes and /metrics): on the I/O thread in both models.
  router.get("/control-now", ImmediateHandler([](RequestContext& context) {
               return json_response(Status::ok, nlohmann::json{{"n", "control"}},
                                    context.request.version());
             }));
  router.get("/control", [](RequestContext& context) {
    return answer_fast("control", context.request.version());
  });
  router.mark_control_routes([](std::string_view path) { return path.starts_with("/control"); });
}

// The I/O backend of the test servers: epoll, or what LOADLAB_TEST_IO_BACKEND names (CTest runs
// the server tests a second time with io_uring; where the kernel refuses it, epoll again).
inline PollerBackend test_io_backend() {
  const char* name = std::getenv("LOADLAB_TEST_IO_BACKEND");
  if (name == nullptr) return PollerBackend::epoll;
  const auto backend = choose_poller_backend(name);
  if (backend == PollerBackend::io_uring && !io_uring_available()) return PollerBackend::epoll;
  return backend.value_or(PollerBackend::epoll);
}

inline ServerOptions small_limits() {
  ServerOptions options;
  options.io_backend = test_io_backend();
  options.host = "127.0.0.1";
  options.port = 0;
  options.io_threads = 2;
  options.max_header_bytes = 2048;
  options.max_body_bytes = 4096;
  options.header_read_timeout = std::chrono::milliseconds(400);
  options.idle_timeout = std::chrono::milliseconds(2'000);
  options.drain_grace = std::chrono::milliseconds(100);
  options.drain_timeout = std::chrono::milliseconds(10'000);
  return options;
}

// Owns everything a server needs; started in the constructor, stopped in the destructor.
class TestServer {
 public:
  explicit TestServer(ServerOptions options = small_limits()) {
    server_ = std::make_unique<Server>(options, router_, registry_, core::SteadyClock::instance(),
                                       state_);
    add_test_routes(router_);
    server_->start();
  }
  ~TestServer() { server_->stop(); }

  [[nodiscard]] std::uint16_t port() const { return server_->local_endpoint().port(); }
  Server& server() { return *server_; }
  ServerState& state() { return state_; }
  metrics::Registry& registry() { return registry_; }

 private:
  metrics::Registry registry_;
  Router router_;
  ServerState state_;
  std::unique_ptr<Server> server_;
};

}  // namespace loadlab::http::test
