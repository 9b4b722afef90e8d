// The HTTP server in-process on port 0: keep-alive, pipelining, limits, timeouts, connection cap,
// request ids and metrics, both execution models.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "http_client.hpp"
#include "raw_socket.hpp"
#include "test_server.hpp"
#include "wait.hpp"

namespace loadlab::http::test {
namespace {

using loadlab::testing::body_of;
using loadlab::testing::HttpCall;
using loadlab::testing::HttpConnection;
using loadlab::testing::RawSocket;
using loadlab::testing::status_of;
using loadlab::testing::wait_until;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* host = "127.0.0.1";

TEST(Server, KeepAliveServesSeveralRequestsOnOneConnection) {
  TestServer server;
  HttpConnection connection(host, server.port());
  ASSERT_TRUE(connection.connected());
  for (int i = 0; i < 5; ++i) {
    const auto result = connection.get("/fast?n=" + std::to_string(i));
    ASSERT_TRUE(result.ok()) << result.error;
    EXPECT_EQ(result.status, 200);
    EXPECT_EQ(nlohmann::json::parse(result.body)["n"], std::to_string(i));
    EXPECT_TRUE(connection.connected());
  }
  EXPECT_EQ(server.state().open_connections(), 1);
}

TEST(Server, EveryResponseCarriesRequestIdAndProcessTime) {
  TestServer server;
  HttpConnection connection(host, server.port());
  const auto generated = connection.get("/fast");
  EXPECT_EQ(generated.header("x-request-id").size(), 16u);
  EXPECT_GE(std::stod(generated.header("x-process-time")), 0.0);
  const auto missing = connection.get("/missing");
  EXPECT_FALSE(missing.header("x-request-id").empty());
  EXPECT_FALSE(missing.header("x-process-time").empty());

  HttpCall call;
  call.target = "/fast";
  call.headers = {{"X-Request-ID", "abc-123"}};
  EXPECT_EQ(connection.request(call).header("x-request-id"), "abc-123");
  EXPECT_NE(connection.get("/fast").header("x-request-id"), generated.header("x-request-id"));
}

TEST(Server, PipelinedRequestsAreAnsweredInOrder) {
  TestServer server;
  RawSocket socket(host, server.port());
  ASSERT_TRUE(socket.connected());
  // The first request is the slowest: answers must still come back in request order.
  ASSERT_TRUE(
      socket.send("GET /slow?ms=200&n=1 HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /fast?n=2 HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /slow?ms=0&n=3 HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n"));
  for (const char* expected : {"1", "2", "3"}) {
    const auto response = socket.read_response(seconds(10));
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(status_of(*response), 200);
    EXPECT_EQ(nlohmann::json::parse(body_of(*response))["n"], expected);
  }
  const auto last = socket.read_response(seconds(10));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(status_of(*last), 404);
}

// Checks a response of /big?head_kb=N&body_kb=M read until the end of the stream, and returns
// what followed it.
std::string expect_big_response(const std::string& received, std::size_t head_kb,
                                std::size_t body_kb) {
  EXPECT_EQ(status_of(received), 200) << received.substr(0, 300);
  const std::size_t body = received.find("\r\n\r\n") + 4;
  if (body < 4) return {};
  const std::string_view head(received.data(), body);
  std::size_t fields = 0;
  for (std::size_t at = head.find("\r\nX-Big-"); at != std::string_view::npos;
       at = head.find("\r\nX-Big-", at + 1)) {
    ++fields;
  }
  EXPECT_EQ(fields, head_kb);
  EXPECT_NE(head.find("\r\nX-Big-" + std::to_string(head_kb - 1) + ": " +
                      std::string(1024 - 16, 'h') + "\r\n"),
            std::string_view::npos);
  const std::size_t body_size = body_kb << 10;
  EXPECT_GE(received.size(), body + body_size);
  const std::size_t end = body + body_size;
  EXPECT_EQ(received.find_first_not_of('b', body), end < received.size() ? end : std::string::npos)
      << "the body is " << body_size << " bytes of 'b'";
  return received.substr(std::min(received.size(), body + (body_kb << 10)));
}

TEST(Server, AResponseTheSocketCannotTakeAtOnceIsWrittenWholeAndTheConnectionGoesOn) {
  ServerOptions options = small_limits();
  options.io_threads = 1;  // every connection on one thread, sharing its scratch buffers
  // A response must be written within idle_timeout (2 s in small_limits): 64 MiB through the
  // sanitizer build beside other tests took longer in CI, and the server rightly cut it off.
  // The write deadline is not what this test is about.
  options.idle_timeout = seconds(30);
  TestServer server(options);
  RawSocket socket(host, server.port());
  ASSERT_TRUE(socket.connected());
  // 16 MiB of head and 16 MiB of body: more than loopback's socket buffers hold, so the server
  // waits for the socket while still in the head. The second request follows on the connection.
  ASSERT_TRUE(
      socket.send("GET /big?head_kb=16384&body_kb=16384 HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /fast?n=after HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  std::this_thread::sleep_for(milliseconds(200));  // let the server fill the buffers and wait
  // Meanwhile another connection's answers (one with a bigger head still) are rendered in the
  // same thread: the waiting session must not depend on anything they reuse.
  EXPECT_EQ(loadlab::testing::http_get(host, server.port(), "/fast?n=other").status, 200);
  RawSocket other(host, server.port());
  ASSERT_TRUE(other.connected());
  ASSERT_TRUE(other.send(
      "GET /big?head_kb=32768&body_kb=0 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  std::this_thread::sleep_for(milliseconds(200));

  const std::string rest = expect_big_response(socket.read_until_closed(seconds(30)), 16384, 16384);
  EXPECT_EQ(status_of(rest), 200);
  EXPECT_EQ(nlohmann::json::parse(body_of(rest))["n"], "after");
  expect_big_response(other.read_until_closed(seconds(30)), 32768, 0);
}

TEST(Server, AClientThatStopsReadingIsCutOffAtTheWriteDeadline) {
  const ServerOptions options = small_limits();  // idle_timeout 2 s: also the write deadline
  TestServer server(options);
  RawSocket socket(host, server.port());
  ASSERT_TRUE(socket.connected());
  // 32 MiB that the client never reads: more than loopback's socket buffers hold, so the write
  // cannot finish, and the server gives up at the deadline instead of waiting forever.
  ASSERT_TRUE(wait_until([&] { return server.state().open_connections() == 1; }, seconds(10)));
  const auto sent = std::chrono::steady_clock::now();  // the deadline counts from later still
  ASSERT_TRUE(socket.send("GET /big?head_kb=0&body_kb=32768 HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_TRUE(wait_until([&] { return server.state().open_connections() == 0; }, seconds(30)));
  EXPECT_GE(std::chrono::steady_clock::now() - sent, options.idle_timeout)
      << "closed before the deadline";
}

TEST(Server, RequestsSplitAnywhereAreReadWhole) {
  TestServer server;
  RawSocket socket(host, server.port());
  ASSERT_TRUE(socket.connected());
  // A head that arrives whole with part of its body; then the rest of the body together with the
  // start of a pipelined request; then the end of that request.
  ASSERT_TRUE(socket.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  std::this_thread::sleep_for(milliseconds(50));
  ASSERT_TRUE(socket.send("defghijGET /fast?n=se"));
  std::this_thread::sleep_for(milliseconds(50));
  ASSERT_TRUE(socket.send("cond HTTP/1.1\r\nHost: t\r\n\r\n"));
  const auto echoed = socket.read_response(seconds(10));
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(nlohmann::json::parse(body_of(*echoed))["n"], "10");
  const auto second = socket.read_response(seconds(10));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(nlohmann::json::parse(body_of(*second))["n"], "second");
}

TEST(Server, UnknownRouteAndWrongMethodAreJson) {
  TestServer server;
  HttpConnection connection(host, server.port());
  const auto not_found = connection.get("/nope?x=1");
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.header("content-type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(not_found.body)["path"], "/nope");

  HttpCall call;
  call.method = "DELETE";
  call.target = "/fast";
  const auto wrong = connection.request(call);
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("allow"), "GET, HEAD");
  EXPECT_EQ(nlohmann::json::parse(wrong.body)["error"], "method not allowed");
}

// RFC 9112 §3.2.2: a server must accept a target in absolute form; it routes by the path.
TEST(Server, AnAbsoluteFormTargetIsRoutedByItsPath) {
  TestServer server;
  RawSocket socket(host, server.port());
  socket.send("GET http://example.com/fast?n=absolute HTTP/1.1\r\nHost: example.com\r\n\r\n");
  const auto absolute = socket.read_response(seconds(10));
  ASSERT_TRUE(absolute.has_value());
  EXPECT_EQ(status_of(*absolute), 200) << *absolute;
  EXPECT_EQ(nlohmann::json::parse(body_of(*absolute))["n"], "absolute");

  socket.send("GET HTTPS://Example.com:8443/fast HTTP/1.1\r\nHost: example.com\r\n\r\n");
  const auto upper_case = socket.read_response(seconds(10));
  ASSERT_TRUE(upper_case.has_value());
  EXPECT_EQ(status_of(*upper_case), 200) << *upper_case;

  socket.send("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n");
  const auto no_path = socket.read_response(seconds(10));
  ASSERT_TRUE(no_path.has_value());
  EXPECT_EQ(status_of(*no_path), 404);
  EXPECT_EQ(nlohmann::json::parse(body_of(*no_path))["path"], "/");

  // The asterisk form names no resource here: a JSON miss, and the connection goes on.
  socket.send("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto asterisk = socket.read_response(seconds(10));
  ASSERT_TRUE(asterisk.has_value());
  EXPECT_EQ(status_of(*asterisk), 404) << *asterisk;
  EXPECT_EQ(nlohmann::json::parse(body_of(*asterisk))["path"], "*");
  socket.send("GET /fast?n=after HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto after = socket.read_response(seconds(10));
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(status_of(*after), 200);
}

// Sends HEAD, then (after a pause, so the HEAD is answered alone) the same GET on one
// connection; returns everything the server wrote.
std::string head_then_get(std::uint16_t port, const std::string& target) {
  RawSocket socket(host, port);
  socket.send("HEAD " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(milliseconds(200));
  socket.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  return socket.read_until_closed(seconds(10));
}

// HEAD is GET without the body (RFC 9110 §9.3.2): same status and Content-Length, and the next
// bytes on the connection are the next response.
void expect_head_answered_like_get(std::uint16_t port, const std::string& target) {
  const std::string both = head_then_get(port, target);
  const std::size_t head_end = both.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << both;
  const std::string head = both.substr(0, head_end + 4);
  const std::string get = both.substr(head_end + 4);
  EXPECT_EQ(status_of(head), 200) << both;
  EXPECT_EQ(get.rfind("HTTP/1.1 200", 0), 0u) << target << ": a body followed the HEAD head\n"
                                              << both;
  const auto length_of = [](const std::string& text) {
    const std::size_t at = text.find("Content-Length: ");
    return at == std::string::npos ? std::string{}
                                   : text.substr(at + 16, text.find("\r\n", at) - at - 16);
  };
  EXPECT_FALSE(length_of(head).empty()) << head;
  EXPECT_EQ(length_of(head), length_of(get));
  EXPECT_EQ(std::to_string(body_of(get).size()), length_of(get));
}

TEST(Server, HeadIsAnsweredByTheGetRouteWithoutItsBody) {
  TestServer server;
  expect_head_answered_like_get(server.port(), "/fast?n=head");
  expect_head_answered_like_get(server.port(), "/big?body_kb=1");  // an immediate route
  const std::string text = server.registry().expose();
  EXPECT_NE(text.find(R"(http_requests_total{method="HEAD",path="/fast",status="200"} 1)"),
            std::string::npos)
      << text;
}

TEST(Server, InTheThreadedModelHeadIsAnsweredWithoutTheBodyToo) {
  ServerOptions options = small_limits();
  options.model = ExecutionModel::threaded;
  options.workers = 1;
  TestServer server(options);
  expect_head_answered_like_get(server.port(), "/fast?n=head");
  expect_head_answered_like_get(server.port(), "/control-now");
}

// RFC 9110 §15.6.2: a method the server does not recognise is 501, not 405.
TEST(Server, AnUnknownMethodIs501WithJson) {
  TestServer server;
  RawSocket socket(host, server.port());
  socket.send("FOO /fast HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto answer = socket.read_response(seconds(10));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(status_of(*answer), 501) << *answer;
  const auto body = nlohmann::json::parse(body_of(*answer));
  EXPECT_EQ(body["error"], "method not implemented");
  EXPECT_EQ(body["method"], "FOO");
}

TEST(Server, AWrongMethodOnAKnownPathIsCountedUnderItsRoute) {
  TestServer server;
  HttpConnection connection(host, server.port());
  HttpCall call;
  call.method = "POST";
  call.target = "/fast";
  EXPECT_EQ(connection.request(call).status, 405);
  const std::string text = server.registry().expose();
  EXPECT_NE(text.find(R"(http_requests_total{method="POST",path="/fast",status="405"} 1)"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find(R"(path="<unmatched>",status="405")"), std::string::npos) << text;
}

TEST(Server, HandlerExceptionBecomes500) {
  TestServer server;
  const auto result = loadlab::testing::http_get(host, server.port(), "/throw");
  EXPECT_EQ(result.status, 500);
  EXPECT_EQ(nlohmann::json::parse(result.body)["error"], "internal error");
}

TEST(Server, AnImmediateRouteAnswersOnTheIoThreadWithTheUsualHeaders) {
  TestServer server;
  HttpConnection connection(host, server.port());
  const auto first = connection.get("/thread-now");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.header("x-request-id").size(), 16u);
  EXPECT_FALSE(first.header("x-process-time").empty());
  // Same connection, same I/O thread; and /thread (a coroutine route) runs there too.
  EXPECT_EQ(connection.get("/thread-now").body, first.body);
  EXPECT_EQ(connection.get("/thread").body, first.body);

  const auto thrown = connection.get("/throw-now");
  EXPECT_EQ(thrown.status, 500);
  EXPECT_EQ(nlohmann::json::parse(thrown.body)["detail"], "immediate handler failed");
  EXPECT_EQ(connection.get("/thread-now").status, 200);  // the connection goes on
}

TEST(Server, OversizedHeaderGets431AndClose) {
  TestServer server;
  RawSocket socket(host, server.port());
  ASSERT_TRUE(socket.send("GET /fast HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(4000, 'a') +
                          "\r\n\r\n"));
  const std::string answer = socket.read_until_closed(seconds(10));
  EXPECT_EQ(status_of(answer), 431);
  EXPECT_EQ(nlohmann::json::parse(body_of(answer))["error"], "request header fields too large");
}

TEST(Server, OversizedBodyGets413AndClose) {
  TestServer server;
  RawSocket socket(host, server.port());
  ASSERT_TRUE(socket.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10000\r\n\r\n" +
                          std::string(10000, 'b')));
  const std::string answer = socket.read_until_closed(seconds(10));
  EXPECT_EQ(status_of(answer), 413);
  EXPECT_EQ(nlohmann::json::parse(body_of(answer))["error"], "request body too large");
}

TEST(Server, AnExpectedContinueIsSentBeforeTheBodyIsRead) {
  // curl sends `Expect: 100-continue` with bodies over 1 KiB and holds the body back for a
  // second unless told to go on: every such POST took a second longer.
  TestServer server;
  RawSocket socket(host, server.port());
  ASSERT_TRUE(socket.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n"));
  const auto interim = socket.read_response(seconds(10));
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(*interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(socket.send("hello"));
  const auto answer = socket.read_response(seconds(10));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(status_of(*answer), 200) << *answer;
  EXPECT_EQ(nlohmann::json::parse(body_of(*answer))["n"], "5");

  // A body over the limit is refused at once, without inviting it.
  RawSocket big(host, server.port());
  ASSERT_TRUE(big.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10000\r\nExpect: 100-continue\r\n\r\n"));
  const std::string refused = big.read_until_closed(seconds(10));
  EXPECT_EQ(status_of(refused), 413) << refused;
  EXPECT_EQ(refused.find("100 Continue"), std::string::npos) << refused;
}

TEST(Server, A413ReachesAClientStillSendingItsBody) {
  // The server answers 413 after the head and closes. Closing with the body still arriving
  // made the kernel send a RST, which could destroy the 413 before the client read it; the
  // server now half-closes and reads the rest away (lingering close).
  TestServer server;
  for (int attempt = 0; attempt < 5; ++attempt) {
    RawSocket socket(host, server.port());
    ASSERT_TRUE(socket.connected());
    const std::string body(4 * 1024 * 1024, 'b');
    const bool sent = socket.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                                  std::to_string(body.size()) + "\r\n\r\n" + body);
    EXPECT_TRUE(sent) << "the connection was reset while the body was on its way";
    const std::string answer = socket.read_until_closed(seconds(10));
    ASSERT_EQ(status_of(answer), 413) << "attempt " << attempt << ": '" << answer << "'";
  }
}

TEST(Server, BodyWithinLimitIsRead) {
  TestServer server;
  HttpCall call;
  call.method = "POST";
  call.target = "/echo";
  call.body = std::string(4000, 'c');
  const auto result = loadlab::testing::http_request(host, server.port(), call);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(nlohmann::json::parse(result.body)["n"], "4000");
}

TEST(Server, MalformedRequestGets400AndClose) {
  TestServer server;
  for (const char* garbage :
       {"GARBAGE\r\n\r\n", "GET /fast HTTP/9.9\r\n\r\n", "GET /fast HTTP/1.1\r\nBad Header\r\n\r\n",
        "POST /echo HTTP/1.1\r\nContent-Length: x\r\n\r\n"}) {
    RawSocket socket(host, server.port());
    ASSERT_TRUE(socket.send(garbage));
    const std::string answer = socket.read_until_closed(seconds(10));
    EXPECT_EQ(status_of(answer), 400) << garbage;
    EXPECT_EQ(nlohmann::json::parse(body_of(answer))["error"], "malformed request");
  }
}

TEST(Server, ATransferCodingThatIsNotFinallyChunkedGets400AndItsBodyIsNeverServed) {
  // The body of such a request has no knowable end (RFC 9112 §6.3): read as a bodiless request,
  // it would be served as a second, smuggled request.
  TestServer server;
  for (const char* coding : {"gzip", "chunked, gzip", "identity"}) {
    RawSocket socket(host, server.port());
    ASSERT_TRUE(socket.send(std::string("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: ") +
                            coding + "\r\n\r\nGET /fast HTTP/1.1\r\nHost: t\r\n\r\n"));
    const std::string answer = socket.read_until_closed(seconds(10));
    EXPECT_EQ(status_of(answer), 400) << coding << ": " << answer;
    EXPECT_EQ(answer.find("HTTP/1.1", 1), std::string::npos) << coding << ": " << answer;
  }
  // A chunked body (possibly after other codings) is still read.
  RawSocket socket(host, server.port());
  ASSERT_TRUE(socket.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
  const auto answer = socket.read_response(seconds(10));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(status_of(*answer), 200) << *answer;
}

TEST(Server, SlowlorisConnectionIsClosed) {
  TestServer server;  // header_read_timeout 400 ms
  RawSocket socket(host, server.port());
  ASSERT_TRUE(socket.send("GET /fast HTTP/1.1\r\nHost: t\r\n"));
  // Keep trickling header lines, as slowloris does, until the server hangs up.
  bool closed = false;
  for (int i = 0; i < 200 && !closed; ++i) {
    socket.send("X-Trickle: " + std::to_string(i) + "\r\n");
    closed = socket.wait_closed_by_peer(milliseconds(50));
  }
  EXPECT_TRUE(closed);
  EXPECT_TRUE(wait_until([&] { return server.state().open_connections() == 0; }, seconds(10)));
}

TEST(Server, SilentConnectionIsClosedAfterHeaderTimeout) {
  TestServer server;
  RawSocket socket(host, server.port());
  EXPECT_TRUE(socket.wait_closed_by_peer(seconds(10)));
}

TEST(Server, ClientDisconnectMidRequestIsHarmless) {
  TestServer server;
  {
    RawSocket partial_head(host, server.port());
    ASSERT_TRUE(partial_head.send("GET /fast HTTP/1.1\r\nHo"));
    partial_head.close(/*reset=*/true);
  }
  {
    RawSocket partial_body(host, server.port());
    ASSERT_TRUE(
        partial_body.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nab"));
    partial_body.close();
  }
  {
    RawSocket during_handler(host, server.port());
    ASSERT_TRUE(during_handler.send("GET /slow?ms=300 HTTP/1.1\r\nHost: t\r\n\r\n"));
    ASSERT_TRUE(wait_until([&] { return server.state().inflight() == 1; }, seconds(10)));
    during_handler.close(/*reset=*/true);
  }
  EXPECT_TRUE(wait_until(
      [&] { return server.state().open_connections() == 0 && server.state().inflight() == 0; },
      seconds(10)));
  EXPECT_EQ(loadlab::testing::http_get(host, server.port(), "/fast").status, 200);
}

TEST(Server, ConnectionsOverTheCapGet503) {
  ServerOptions options = small_limits();
  options.max_connections = 2;
  options.header_read_timeout = seconds(30);
  TestServer server(options);
  RawSocket first(host, server.port());
  RawSocket second(host, server.port());
  ASSERT_TRUE(wait_until([&] { return server.state().open_connections() == 2; }, seconds(10)));
  RawSocket third(host, server.port());
  const std::string answer = third.read_until_closed(seconds(10));
  EXPECT_EQ(status_of(answer), 503);
  EXPECT_EQ(nlohmann::json::parse(body_of(answer))["error"], "too many open connections");
  first.close();
  ASSERT_TRUE(wait_until([&] { return server.state().open_connections() == 1; }, seconds(10)));
  EXPECT_EQ(loadlab::testing::http_get(host, server.port(), "/fast").status, 200);
}

TEST(Server, RecordsRequestMetricsWithRouteTemplates) {
  TestServer server;
  HttpConnection connection(host, server.port());
  connection.get("/fast?n=1");
  connection.get("/fast?n=2");
  connection.get("/no/such/path");
  const std::string text = server.registry().expose();
  EXPECT_NE(text.find(R"(http_requests_total{method="GET",path="/fast",status="200"} 2)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(http_requests_total{method="GET",path="<unmatched>",status="404"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(http_request_duration_seconds_count{method="GET",path="/fast"} 2)"),
            std::string::npos);
  EXPECT_EQ(text.find("/no/such/path"), std::string::npos);  // never a raw path as a label
  EXPECT_NE(text.find("http_inflight_requests 0"), std::string::npos);
}

TEST(Server, ThreadedModelRunsHandlersOnWorkersInFifo) {
  ServerOptions options = small_limits();
  options.model = ExecutionModel::threaded;
  options.workers = 1;
  TestServer server(options);
  // One worker: a slow request holds it; the others queue behind it and still succeed.
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] {
      const auto result = loadlab::testing::http_get(
          host, server.port(), "/slow?ms=100&n=" + std::to_string(i), seconds(20));
      if (result.status == 200) ok.fetch_add(1);
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(ok.load(), 4);

  std::set<std::string> threads;
  HttpConnection connection(host, server.port());
  for (int i = 0; i < 3; ++i) {
    threads.insert(nlohmann::json::parse(connection.get("/thread").body)["n"].get<std::string>());
  }
  threads.insert(nlohmann::json::parse(connection.get("/thread-now").body)["n"].get<std::string>());
  EXPECT_EQ(threads.size(), 1u);  // always the single worker, immediate routes too
  // The worker marks itself idle just after handing its answer back, so the client may read
  // the response a moment before the gauge moves: wait for it (bounded) instead of racing it.
  std::string text;
  EXPECT_TRUE(wait_until(
      [&] {
        text = server.registry().expose();
        return text.find(R"(http_worker_threads{state="idle"} 1)") != std::string::npos;
      },
      seconds(10)))
      << text;
  EXPECT_NE(text.find("http_worker_queue_length 0"), std::string::npos);
}

TEST(Server, InTheThreadedModelControlRoutesDoNotWaitForABusyWorker) {
  ServerOptions options = small_limits();
  options.model = ExecutionModel::threaded;
  options.workers = 1;
  TestServer server(options);
  // The only worker is busy for 3 s.
  std::thread holder(
      [&] { (void)loadlab::testing::http_get(host, server.port(), "/slow?ms=3000", seconds(20)); });
  EXPECT_TRUE(wait_until(
      [&] {
        return server.registry().expose().find(R"(http_worker_threads{state="busy"} 1)") !=
               std::string::npos;
      },
      seconds(10)));
  // Probes and scrapes answer at once; an ordinary immediate route waits for the worker.
  EXPECT_EQ(loadlab::testing::http_get(host, server.port(), "/control-now", seconds(1)).status,
            200);
  EXPECT_EQ(loadlab::testing::http_get(host, server.port(), "/control", seconds(1)).status, 200);
  EXPECT_NE(
      loadlab::testing::http_get(host, server.port(), "/thread-now", milliseconds(300)).status,
      200);
  holder.join();
}

}  // namespace
}  // namespace loadlab::http::test
