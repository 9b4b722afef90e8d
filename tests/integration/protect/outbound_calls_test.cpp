// What the target's downstream calls carry and how they wait: the remaining deadline in
// X-Request-Timeout-Ms, and a 429/503's Retry-After honoured by the retries. The downstream is a
// recording server in the test process; the target is the real binary.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "core/clock.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/server_state.hpp"
#include "http_client.hpp"
#include "metrics/registry.hpp"

namespace loadlab::testing {
namespace {

using namespace std::chrono_literals;

boost::asio::awaitable<http::Response> ready(http::Response response) {
  co_return response;
}

// GET /upstream: records the request's X-Request-Timeout-Ms and arrival time, then answers the
// next scripted status (with its Retry-After), or 200 once the script is used up.
class RecordingDownstream {
 public:
  struct Answer {
    http::Status status = http::Status::ok;
    std::string retry_after;  // empty: no header
  };
  struct Seen {
    std::optional<std::string> timeout_header;
    std::chrono::steady_clock::time_point at;
  };

  explicit RecordingDownstream(std::deque<Answer> script = {}) : script_(std::move(script)) {
    router_.get("/upstream", [this](http::RequestContext& context) { return answer(context); });
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 1;
    options.drain_timeout = 2s;
    server_ = std::make_unique<http::Server>(options, router_, registry_,
                                             core::SteadyClock::instance(), state_);
    server_->start();
  }
  ~RecordingDownstream() { server_->stop(); }
  RecordingDownstream(const RecordingDownstream&) = delete;
  RecordingDownstream& operator=(const RecordingDownstream&) = delete;

  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_->local_endpoint().port());
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  boost::asio::awaitable<http::Response> answer(http::RequestContext& context) {
    Answer next;
    {
      std::lock_guard lock(mutex_);
      const auto it = context.request.find("X-Request-Timeout-Ms");
      seen_.push_back(
          {it == context.request.end() ? std::nullopt : std::optional<std::string>(it->value()),
           std::chrono::steady_clock::now()});
      if (!script_.empty()) {
        next = script_.front();
        script_.pop_front();
      }
    }
    http::Response response =
        next.status == http::Status::ok
            ? http::json_response(next.status, {{"ok", true}}, context.request.version())
            : http::error_response(next.status, "scripted failure", context.request.version());
    if (!next.retry_after.empty()) response.set("Retry-After", next.retry_after);
    return ready(std::move(response));
  }

  metrics::Registry registry_;
  http::Router router_;
  http::ServerState state_;
  std::unique_ptr<http::Server> server_;
  std::mutex mutex_;
  std::deque<Answer> script_;
  std::vector<Seen> seen_;
};

ChildProcess start_target(const RecordingDownstream& downstream, const std::string& protect) {
  return start_loadlab_serve(
      {"--downstream", downstream.url(), "--db", "sqlite::memory:", "--protect", protect});
}

HttpResult get_client(const ChildProcess& target, std::optional<int> timeout_ms = std::nullopt) {
  HttpCall call;
  call.target = "/client?ms=1&timeout_ms=5000";
  if (timeout_ms) call.headers = {{"X-Request-Timeout-Ms", std::to_string(*timeout_ms)}};
  call.timeout = 20s;
  return http_request(target.host(), target.port(), call);
}

long long header_ms(const RecordingDownstream::Seen& seen) {
  EXPECT_TRUE(seen.timeout_header.has_value());
  return seen.timeout_header ? std::stoll(*seen.timeout_header) : -1;
}

TEST(OutboundCalls, CarryTheRemainingDeadlineWithTimeouts) {
  RecordingDownstream downstream;
  auto target = start_target(downstream, "timeouts");
  ASSERT_EQ(get_client(target, 5000).status, 200);
  HttpCall long_call;  // timeout_ms above the default deadline, 30 s: the deadline is the limit
  long_call.target = "/client?ms=1&timeout_ms=60000";
  long_call.timeout = 20s;
  ASSERT_EQ(http_request(target.host(), target.port(), long_call).status, 200);
  HttpCall short_call;  // timeout_ms below the deadline: the call gives up first, and says so
  short_call.target = "/client?ms=1&timeout_ms=2000";
  short_call.timeout = 20s;
  ASSERT_EQ(http_request(target.host(), target.port(), short_call).status, 200);
  const auto seen = downstream.seen();
  ASSERT_EQ(seen.size(), 3u);
  const long long given = header_ms(seen[0]);
  EXPECT_GT(given, 0);
  EXPECT_LE(given, 5000);  // what remains, never more than the caller had
  const long long by_default = header_ms(seen[1]);
  EXPECT_GT(by_default, 5000);
  EXPECT_LE(by_default, 30000);
  const long long by_timeout_ms = header_ms(seen[2]);
  EXPECT_GT(by_timeout_ms, 0);
  EXPECT_LE(by_timeout_ms, 2000);
}

TEST(OutboundCalls, NakedCallsCarryNoDeadline) {
  RecordingDownstream downstream;
  auto target = start_target(downstream, "naked");
  ASSERT_EQ(get_client(target, 5000).status, 200);
  auto retries_only = start_target(downstream, "retry,breaker");
  ASSERT_EQ(get_client(retries_only, 5000).status, 200);
  const auto seen = downstream.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_FALSE(seen[0].timeout_header.has_value()) << *seen[0].timeout_header;
  EXPECT_FALSE(seen[1].timeout_header.has_value()) << *seen[1].timeout_header;
}

TEST(OutboundCalls, RetryWaitsAtLeastTheDownstreamsRetryAfter) {
  RecordingDownstream downstream({{http::Status::service_unavailable, "1"}});
  auto target = start_target(downstream, "retry,timeouts");
  const auto answer = get_client(target, 10000);
  ASSERT_EQ(answer.status, 200) << answer.body;
  const auto seen = downstream.seen();
  ASSERT_EQ(seen.size(), 2u);
  // The backoff alone would retry after 50..100 ms; the 503 asked for 1 s.
  EXPECT_GE(seen[1].at - seen[0].at, 1s);
  // Each attempt carries what is left of the deadline when it is sent.
  EXPECT_LE(header_ms(seen[1]), header_ms(seen[0]) - 1000);
}

TEST(OutboundCalls, A429sRetryAfterCountsToo) {
  RecordingDownstream downstream({{http::Status::too_many_requests, "1"}});
  auto target = start_target(downstream, "retry");
  ASSERT_EQ(get_client(target).status, 200);
  const auto seen = downstream.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_GE(seen[1].at - seen[0].at, 1s);
}

TEST(OutboundCalls, NoRetryWhenRetryAfterPassesTheDeadline) {
  RecordingDownstream downstream({{http::Status::service_unavailable, "2"}});
  auto target = start_target(downstream, "retry,timeouts");
  const auto answer = get_client(target, 1500);
  EXPECT_EQ(answer.status, 502) << answer.body;  // the failure, at once
  EXPECT_EQ(downstream.seen().size(), 1u);
}

TEST(OutboundCalls, TimeoutMsBoundsTheWholeCallRetriesIncluded) {
  // timeout_ms=500 and a 503 asking for a retry after 1 s: the retry would end after the caller's
  // 500 ms, so there is none. timeout_ms used to bound each attempt only (two attempts, 200).
  RecordingDownstream downstream({{http::Status::service_unavailable, "1"}});
  auto target = start_target(downstream, "retry");
  HttpCall call;
  call.target = "/client?ms=1&timeout_ms=500";
  call.timeout = 20s;
  const auto answer = http_request(target.host(), target.port(), call);
  EXPECT_EQ(answer.status, 502) << answer.body;
  EXPECT_EQ(downstream.seen().size(), 1u);
}

TEST(OutboundCalls, NoRetryWhenRetryAfterPassesItsCap) {
  RecordingDownstream downstream({{http::Status::service_unavailable, "2"}});
  auto target = start_target(downstream, "retry,timeouts");
  ASSERT_EQ(http_put_json(target.host(), target.port(), "/admin/protections",
                          R"({"retry":{"max_retry_after_ms":1000}})")
                .status,
            200);
  const auto answer = get_client(target, 20000);
  EXPECT_EQ(answer.status, 502) << answer.body;
  EXPECT_EQ(downstream.seen().size(), 1u);
}

}  // namespace
}  // namespace loadlab::testing
