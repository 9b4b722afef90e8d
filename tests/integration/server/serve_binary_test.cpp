// The real `loadlab serve` binary: listening line, /metrics, request headers, protocol limits,
// configuration layering and one-line errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "child_process.hpp"
#include "http_client.hpp"
#include "raw_socket.hpp"
#include "wait.hpp"

namespace loadlab::testing {
namespace {

using std::chrono::seconds;

// Runs the binary to completion and returns {exit status, stdout}.
std::pair<int, std::string> run_to_exit(const std::vector<std::string>& args,
                                        const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv{loadlab_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess child = ChildProcess::spawn(argv, env);
  const auto status = child.wait_exit(seconds(20));
  return {status.value_or(-1), child.output()};
}

TEST(ServeBinary, ListensOnPortZeroAndServesMetrics) {
  ChildProcess server = start_loadlab_serve({"--threads", "1"});
  EXPECT_EQ(server.host(), "127.0.0.1");
  EXPECT_NE(server.port(), 0);
  HttpConnection connection(server.host(), server.port());
  ASSERT_TRUE(connection.connected());
  const auto first = connection.get("/no-such-route");
  EXPECT_EQ(first.status, 404);
  const auto metrics = connection.get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(
      metrics.body.find(R"(http_requests_total{method="GET",path="<unmatched>",status="404"} 1)"),
      std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("process_resident_memory_bytes"), std::string::npos);
  EXPECT_NE(metrics.body.find("http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_FALSE(metrics.header("x-request-id").empty());
  EXPECT_FALSE(metrics.header("x-process-time").empty());
  EXPECT_EQ(server.stop(), 0);
}

TEST(ServeBinary, BothIoBackendsServeKeepAliveAndPipelinedRequests) {
  // The binary's default is auto (io_uring where the kernel allows it); epoll is the fallback.
  for (const std::string backend : {"epoll", "auto"}) {
    ChildProcess server = start_loadlab_serve({"--threads", "1", "--io-backend", backend});
    HttpConnection connection(server.host(), server.port());
    ASSERT_TRUE(connection.connected()) << backend;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(connection.get("/api/fast").status, 200) << backend;
    RawSocket socket(server.host(), server.port());
    socket.send(
        "GET /api/fast HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const std::string answers = socket.read_until_closed(seconds(10));
    const auto first = answers.find("fast response");
    const auto second = answers.find("HTTP/1.1 200", answers.find("HTTP/1.1 200") + 1);
    EXPECT_NE(first, std::string::npos) << backend << ": " << answers;
    EXPECT_NE(second, std::string::npos) << backend << ": " << answers;
    EXPECT_LT(first, second) << backend;
    EXPECT_EQ(server.stop(), 0) << backend;
  }
}

TEST(ServeBinary, ProtocolErrorsAreJsonAndClose) {
  ChildProcess server = start_loadlab_serve(
      {"--max-header-bytes", "2048", "--max-body-bytes", "1024", "--header-timeout", "300ms"});
  {
    RawSocket socket(server.host(), server.port());
    socket.send("GET / HTTP/1.1\r\nX-Big: " + std::string(5000, 'x') + "\r\n\r\n");
    const std::string answer = socket.read_until_closed(seconds(10));
    EXPECT_EQ(status_of(answer), 431);
    EXPECT_EQ(nlohmann::json::parse(body_of(answer))["error"], "request header fields too large");
  }
  {
    RawSocket socket(server.host(), server.port());
    socket.send("POST /metrics HTTP/1.1\r\nContent-Length: 5000\r\n\r\n");
    EXPECT_EQ(status_of(socket.read_until_closed(seconds(10))), 413);
  }
  {
    RawSocket socket(server.host(), server.port());
    socket.send("NOT HTTP AT ALL\r\n\r\n");
    EXPECT_EQ(status_of(socket.read_until_closed(seconds(10))), 400);
  }
  {
    RawSocket slowloris(server.host(), server.port());
    slowloris.send("GET /metrics HTTP/1.1\r\n");
    bool closed = false;
    for (int i = 0; i < 200 && !closed; ++i) {
      slowloris.send("X-Drip: 1\r\n");
      closed = slowloris.wait_closed_by_peer(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(closed);
  }
  {
    RawSocket hang_up(server.host(), server.port());
    hang_up.send("POST /metrics HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial");
    hang_up.close(/*reset=*/true);
  }
  EXPECT_EQ(http_get(server.host(), server.port(), "/metrics").status, 200);
  EXPECT_EQ(server.stop(), 0);
}

TEST(ServeBinary, InTheThreadedModelProbesAndScrapesDoNotWaitForBusyWorkers) {
  // SPEC 2.4: overload may fail readiness, never liveness; a scrape must still see the overload.
  ChildProcess server = start_loadlab_serve({"--model", "threaded", "--workers", "1"});
  std::thread holder([&] {
    (void)http_get(server.host(), server.port(), "/api/blocking?duration=3", seconds(20));
  });
  EXPECT_TRUE(wait_until(
      [&] {
        const auto metrics = http_get(server.host(), server.port(), "/metrics", seconds(1));
        return metrics.body.find(R"(http_worker_threads{state="busy"} 1)") != std::string::npos;
      },
      seconds(10)));
  for (const char* path :
       {"/liveness", "/health", "/healthz", "/readiness", "/admin/protections"}) {
    EXPECT_EQ(http_get(server.host(), server.port(), path, seconds(1)).status, 200) << path;
  }
  EXPECT_NE(
      http_get(server.host(), server.port(), "/api/fast", std::chrono::milliseconds(300)).status,
      200);  // an ordinary route waits for the worker
  holder.join();
  EXPECT_EQ(server.stop(), 0);
}

TEST(ServeBinary, PrintConfigLayersFlagsOverEnvironmentOverYaml) {
  const std::string yaml = std::string(LOADLAB_BINARY_DIR) + "/serve_layering_test.yaml";
  {
    std::FILE* file = std::fopen(yaml.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs("threads: 3\nworkers: 7\nmodel: threaded\nidle_timeout: 5s\n", file);
    std::fclose(file);
  }
  const auto [status, output] =
      run_to_exit({"serve", "--config", yaml, "--workers", "9", "--print-config"},
                  {"LOADLAB_THREADS=4", "LOADLAB_WORKERS=8", "CONCURRENCY=3"});
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("threads: 4\n"), std::string::npos) << output;  // env over YAML
  EXPECT_NE(output.find("workers: 9\n"), std::string::npos);            // flag over env
  EXPECT_NE(output.find("model: threaded\n"), std::string::npos);       // YAML over default
  EXPECT_NE(output.find("idle_timeout: 5s\n"), std::string::npos);
  EXPECT_NE(output.find("expensive_op_concurrency: 3\n"), std::string::npos);  // seed's variable
  EXPECT_NE(output.find("listen: 127.0.0.1:8000\n"), std::string::npos);

  const auto [downstream_status, downstream] =
      run_to_exit({"serve", "--role", "downstream", "--print-config"});
  EXPECT_EQ(downstream_status, 0);
  EXPECT_NE(downstream.find("listen: 127.0.0.1:8001\n"), std::string::npos) << downstream;
}

TEST(ServeBinary, BadConfigurationFailsWithOneLine) {
  const std::vector<std::vector<std::string>> bad = {
      {"serve", "--threads", "many"},      {"serve", "--model", "forked"},
      {"serve", "--listen", "nowhere"},    {"serve", "--listen", "127.0.0.1:70000"},
      {"serve", "--idle-timeout", "soon"}, {"serve", "--config", "/nonexistent/loadlab.yaml"},
      {"serve", "--io-backend", "kqueue"},
  };
  for (const auto& args : bad) {
    const auto [status, output] = run_to_exit(args);
    EXPECT_NE(status, 0) << args[2];
    EXPECT_EQ(output.find("listening on"), std::string::npos);
  }
  const auto [status, output] = run_to_exit({"serve"}, {"LOADLAB_WORKERS=0"});
  EXPECT_NE(status, 0);
}

// Runs the binary to completion and returns {exit status, stdout and stderr together}.
std::pair<int, std::string> run_to_exit_with_stderr(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", loadlab_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess child = ChildProcess::spawn(argv);
  const auto status = child.wait_exit(seconds(20));
  return {status.value_or(-1), child.output()};
}

// Every bad setting is a usage error (exit 2) told in one line of the error policy's form,
// quoting the value as given and naming no source file.
TEST(ServeBinary, StartUpErrorsAreOneLineWithExitStatusTwo) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"serve", "--downstream", "notaurl"}, "loadlab: error: invalid downstream 'notaurl': "},
      {{"serve", "--downstream", "http://"}, "loadlab: error: invalid downstream 'http://': "},
      {{"serve", "--listen", "127.0.0.1:0:0"}, "loadlab: error: invalid listen '127.0.0.1:0:0': "},
      {{"serve", "--memory-limit", "5XB"}, "loadlab: error: invalid memory-limit '5XB': "},
      {{"serve", "--memory-limit", "0MiB"}, "loadlab: error: invalid memory-limit '0MiB': "},
  };
  for (const auto& [args, start] : cases) {
    const auto [status, output] = run_to_exit_with_stderr(args);
    EXPECT_EQ(status, 2) << args[2] << ": " << output;
    EXPECT_EQ(output.rfind(start, 0), 0u) << output;
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
    EXPECT_EQ(output.find(".hpp"), std::string::npos) << output;
    EXPECT_EQ(output.find(".ipp"), std::string::npos) << output;
  }
}

TEST(ServeBinary, AddressInUseIsAnError) {
  ChildProcess first = start_loadlab_serve({"--threads", "1"});
  const auto [status, output] =
      run_to_exit_with_stderr({"serve", "--listen", "127.0.0.1:" + std::to_string(first.port())});
  EXPECT_EQ(status, 1) << output;  // a run-time failure, not a usage error
  EXPECT_EQ(output.rfind("loadlab: error: cannot listen on 127.0.0.1:", 0), 0u) << output;
  EXPECT_EQ(output.find(".hpp"), std::string::npos) << output;
  EXPECT_EQ(first.stop(), 0);
}

}  // namespace
}  // namespace loadlab::testing
