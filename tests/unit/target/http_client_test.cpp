// The outbound client against an in-process server on 127.0.0.1:0: keep-alive reuse, the pool
// bound, deadlines, body limit, refused and reset connections, URL parsing.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/client.hpp"
#include "http/params.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/server_state.hpp"
#include "metrics/registry.hpp"

namespace loadlab::http {
namespace {

using std::chrono::milliseconds;
using Result = core::Expected<ClientResponse, ClientError>;

asio::awaitable<Response> answer_after(asio::any_io_executor executor, long long ms,
                                       std::string body, bool keep_alive, unsigned version) {
  asio::steady_timer timer(executor, milliseconds(ms));
  co_await timer.async_wait(asio::use_awaitable);
  Response response{Status::ok, version};
  response.set(beast::http::field::content_type, "text/plain");
  response.body() = std::move(body);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  co_return response;
}

long long int_param(const RequestContext& context, const char* name, long long fallback) {
  return parse_int_param(context.query, name, fallback, 0, 100'000'000).value_or(fallback);
}

// GET /echo?ms=&bytes=&close=1: waits ms, answers `bytes` bytes (or the target), optionally
// closing the connection afterwards.
class ClientTestServer {
 public:
  ClientTestServer() {
    router_.get("/echo", [](RequestContext& context) {
      const long long bytes = int_param(context, "bytes", -1);
      std::string body = bytes >= 0 ? std::string(static_cast<std::size_t>(bytes), 'x')
                                    : std::string(context.request.target());
      return answer_after(context.executor, int_param(context, "ms", 0), std::move(body),
                          int_param(context, "close", 0) == 0, context.request.version());
    });
    router_.get("/header", [](RequestContext& context) {
      // The value of the request header named by ?name=, or "(none)".
      const auto* name = context.query.find("name");
      const auto it = context.request.find(name != nullptr ? *name : std::string{});
      std::string value = it == context.request.end() ? "(none)" : std::string(it->value());
      return answer_after(context.executor, 0, std::move(value), true, context.request.version());
    });
    router_.post("/echo", [](RequestContext& context) {
      return answer_after(context.executor, 0, context.request.body(), true,
                          context.request.version());
    });
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 1;
    options.drain_timeout = milliseconds(2'000);
    server_ = std::make_unique<Server>(options, router_, registry_, core::SteadyClock::instance(),
                                       state_);
    server_->start();
  }
  ~ClientTestServer() { server_->stop(); }
  [[nodiscard]] std::uint16_t port() const { return server_->local_endpoint().port(); }
  [[nodiscard]] std::int64_t open_connections() const { return state_.open_connections(); }

 private:
  metrics::Registry registry_;
  Router router_;
  ServerState state_;
  std::unique_ptr<Server> server_;
};

// The client's sockets live on their own I/O thread; calls are made from a second context,
// as a handler on another executor would.
class ClientHarness {
 public:
  explicit ClientHarness(ClientOptions options = {})
      : work_(asio::make_work_guard(io_)),
        client_(std::make_unique<HttpClient>(io_.get_executor(), options)),
        thread_([this] { io_.run(); }) {}
  ~ClientHarness() {
    client_->stop();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  HttpClient& client() { return *client_; }

  Result get(std::uint16_t port, const std::string& target, std::optional<milliseconds> timeout) {
    return run(client_->get(origin(port), target, timeout));
  }
  Result run(asio::awaitable<Result> call) {
    asio::io_context caller;
    auto future = asio::co_spawn(caller, optional_of(std::move(call)), asio::use_future);
    caller.run();
    return std::move(future.get().value());
  }
  // use_future needs a default-constructible result.
  static asio::awaitable<std::optional<Result>> optional_of(asio::awaitable<Result> call) {
    co_return co_await std::move(call);
  }
  static Origin origin(std::uint16_t port) {
    return Origin::parse("http://127.0.0.1:" + std::to_string(port)).value();
  }

 private:
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<HttpClient> client_;
  std::thread thread_;
};

TEST(Origin, ParsesHostPortAndBasePath) {
  auto plain = Origin::parse("http://127.0.0.1:8001");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 8001);
  EXPECT_EQ(plain->base_path, "");
  EXPECT_EQ(plain->authority(), "127.0.0.1:8001");
  auto named = Origin::parse("http://downstream/api/");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->host, "downstream");
  EXPECT_EQ(named->port, 80);
  EXPECT_EQ(named->base_path, "/api");
  auto ipv6 = Origin::parse("http://[::1]:9000");
  ASSERT_TRUE(ipv6);
  EXPECT_EQ(ipv6->host, "::1");
  EXPECT_EQ(ipv6->authority(), "[::1]:9000");
}

TEST(Origin, RejectsWhatItCannotServe) {
  for (const char* url :
       {"https://example.com", "ftp://x", "127.0.0.1:8001", "http://:80", "http://host:0",
        "http://host:70000", "http://host:80?x=1", "http://user@host", "not a url"}) {
    EXPECT_FALSE(Origin::parse(url)) << url;
  }
}

TEST(HttpClient, GetsStatusHeadersAndBody) {
  ClientTestServer server;
  ClientHarness harness;
  const auto result = harness.get(server.port(), "/echo?bytes=5", milliseconds(5'000));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->status, 200u);
  EXPECT_EQ(result->body, "xxxxx");
  EXPECT_EQ(result->headers[beast::http::field::content_type], "text/plain");
  EXPECT_FALSE(result->reused_connection);
}

TEST(HttpClient, PostsABody) {
  ClientTestServer server;
  ClientHarness harness;
  const auto result =
      harness.run(harness.client().send(Verb::post, ClientHarness::origin(server.port()), "/echo",
                                        R"({"a":1})", milliseconds(5'000)));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->body, R"({"a":1})");
}

TEST(HttpClient, SendsExtraHeaderFields) {
  ClientTestServer server;
  ClientHarness harness;
  const auto with = harness.run(harness.client().get(
      ClientHarness::origin(server.port()), "/header?name=X-Request-Timeout-Ms",
      milliseconds(5'000), HeaderList{{"X-Request-Timeout-Ms", "1234"}}));
  ASSERT_TRUE(with) << with.error().message;
  EXPECT_EQ(with->body, "1234");
  const auto without =
      harness.get(server.port(), "/header?name=X-Request-Timeout-Ms", milliseconds(5'000));
  ASSERT_TRUE(without) << without.error().message;
  EXPECT_EQ(without->body, "(none)");
}

TEST(HttpClient, ReusesKeepAliveConnections) {
  ClientTestServer server;
  ClientHarness harness;
  for (int i = 0; i < 5; ++i) {
    const auto result =
        harness.get(server.port(), "/echo?n=" + std::to_string(i), milliseconds(5'000));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->body, "/echo?n=" + std::to_string(i));
    EXPECT_EQ(result->reused_connection, i > 0);
  }
  const auto stats = harness.client().pool_stats();
  EXPECT_EQ(stats.created, 1u);
  EXPECT_EQ(stats.reused, 4u);
  EXPECT_EQ(stats.idle, 1u);
}

TEST(HttpClient, DoesNotReuseClosedConnections) {
  ClientTestServer server;
  ClientHarness harness;
  ASSERT_TRUE(harness.get(server.port(), "/echo?close=1", milliseconds(5'000)));
  ASSERT_TRUE(harness.get(server.port(), "/echo?close=1", milliseconds(5'000)));
  EXPECT_EQ(harness.client().pool_stats().created, 2u);
  EXPECT_EQ(harness.client().pool_stats().idle, 0u);
}

TEST(HttpClient, TimesOutAtTheDeadline) {
  ClientTestServer server;
  ClientHarness harness;
  const auto result = harness.get(server.port(), "/echo?ms=3000", milliseconds(100));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ClientErrorKind::timeout);
  // The timed-out connection is not reused: the next call opens a fresh one and succeeds.
  const auto next = harness.get(server.port(), "/echo", milliseconds(5'000));
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_FALSE(next->reused_connection);
}

TEST(HttpClient, RefusedConnectionIsAConnectError) {
  std::uint16_t closed_port = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = acceptor.local_endpoint().port();
  }
  ClientHarness harness;
  const auto result = harness.get(closed_port, "/", milliseconds(5'000));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ClientErrorKind::connect);
}

TEST(HttpClient, OversizedBodyIsAProtocolError) {
  ClientTestServer server;
  ClientOptions options;
  options.max_response_body_bytes = 1024;
  ClientHarness harness(options);
  const auto small = harness.get(server.port(), "/echo?bytes=1024", milliseconds(5'000));
  ASSERT_TRUE(small) << small.error().message;
  const auto large = harness.get(server.port(), "/echo?bytes=1025", milliseconds(5'000));
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error().kind, ClientErrorKind::protocol);
}

TEST(HttpClient, PeerClosingWithoutAnswerIsAReset) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = acceptor.local_endpoint().port();
  std::thread peer([&] {
    // One accept: a failure on a fresh connection is never retried.
    boost::system::error_code ec;
    asio::ip::tcp::socket socket(io);
    acceptor.accept(socket, ec);
    if (ec) return;
    std::array<char, 1024> buffer{};
    socket.read_some(asio::buffer(buffer), ec);
    socket.set_option(asio::socket_base::linger(true, 0), ec);
    socket.close(ec);
  });
  ClientHarness harness;
  const auto result = harness.get(port, "/", milliseconds(5'000));
  peer.join();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ClientErrorKind::reset);
}

TEST(HttpClient, PoolBoundMakesCallersWaitForAConnection) {
  ClientTestServer server;
  ClientOptions options;
  options.pool.max_connections_per_host = 1;
  ClientHarness harness(options);
  const Origin origin = ClientHarness::origin(server.port());
  asio::io_context caller;
  auto first = asio::co_spawn(
      caller,
      ClientHarness::optional_of(harness.client().get(origin, "/echo?ms=200", milliseconds(5'000))),
      asio::use_future);
  auto second = asio::co_spawn(
      caller,
      ClientHarness::optional_of(harness.client().get(origin, "/echo?ms=0", milliseconds(5'000))),
      asio::use_future);
  caller.run();
  const Result a = std::move(first.get().value());
  const Result b = std::move(second.get().value());
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(harness.client().pool_stats().created, 1u);  // one connection served both in turn
  EXPECT_EQ(server.open_connections(), 1);
}

TEST(HttpClient, WaitingForAPooledConnectionRespectsTheDeadline) {
  ClientTestServer server;
  ClientOptions options;
  options.pool.max_connections_per_host = 1;
  ClientHarness harness(options);
  const Origin origin = ClientHarness::origin(server.port());
  asio::io_context caller;
  auto slow = asio::co_spawn(caller,
                             ClientHarness::optional_of(harness.client().get(
                                 origin, "/echo?ms=1000", milliseconds(5'000))),
                             asio::use_future);
  auto impatient = asio::co_spawn(
      caller, ClientHarness::optional_of(harness.client().get(origin, "/echo", milliseconds(50))),
      asio::use_future);
  caller.run();
  ASSERT_TRUE(slow.get().value());
  const Result result = std::move(impatient.get().value());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ClientErrorKind::timeout);
  EXPECT_EQ(harness.client().pool_stats().waiting, 0u);
}

TEST(HttpClient, StoppedClientFailsFast) {
  ClientTestServer server;
  ClientHarness harness;
  harness.client().stop();
  const auto result = harness.get(server.port(), "/echo", milliseconds(5'000));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ClientErrorKind::connect);
}

}  // namespace
}  // namespace loadlab::http
