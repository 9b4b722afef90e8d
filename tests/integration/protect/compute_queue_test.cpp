// POST /work on the target shares the CPU routes' bounded compute queue when `queue` is on: with
// one compute thread busy and the queue full, it is refused at once with 503 + Retry-After.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "exposition.hpp"
#include "http_client.hpp"
#include "wait.hpp"

namespace loadlab::testing {
namespace {

using namespace std::chrono_literals;

HttpResult post_work(const ChildProcess& target, int ms) {
  HttpCall call;
  call.method = "POST";
  call.target = "/work?fail_rate=0&ms=" + std::to_string(ms);
  call.timeout = 30s;
  return http_request(target.host(), target.port(), call);
}

double metric(const ChildProcess& target, const std::string& series) {
  return metric_value(http_get(target.host(), target.port(), "/metrics").body, series).value_or(-1);
}

const std::string kDequeued = "work_queue_sojourn_seconds_count{queue=\"compute\"}";
const std::string kDepth = "work_queue_depth{queue=\"compute\"}";

TEST(ComputeQueue, WorkIsRefusedWhenTheBoundedQueueIsFull) {
  auto target = start_loadlab_serve(
      {"--db", "sqlite::memory:", "--compute-threads", "1", "--protect", "queue"});
  // Capacity 1 so the second /work fills the queue. CoDel's target is raised from 5 ms to 2 s: the
  // waiting /work runs only if the interval before it was not overloaded, i.e. if the first /work
  // left the queue within target, and on a loaded CI machine (sanitizers, parallel tests) a pick-up
  // can take longer than 5 ms, which is CoDel working as designed, not what this test is about.
  ASSERT_EQ(http_put_json(target.host(), target.port(), "/admin/protections",
                          R"({"queue":{"capacity":1,"target_ms":2000,"interval_ms":2000}})")
                .status,
            200);

  // The only compute thread spins for a long /work taken from the queue...
  HttpResult running;
  std::thread first([&] { running = post_work(target, 8000); });
  ASSERT_TRUE(wait_until([&] { return metric(target, kDequeued) >= 1; }, 10s, 20ms));
  // ...a second one waits in the queue (capacity 1)...
  HttpResult waiting;
  std::thread second([&] { waiting = post_work(target, 1); });
  ASSERT_TRUE(wait_until([&] { return metric(target, kDepth) == 1; }, 10s, 20ms));
  // ...so a third /work, and any CPU route, is refused before it waits.
  const auto refused = post_work(target, 1);
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_FALSE(refused.header("retry-after").empty());
  EXPECT_EQ(nlohmann::json::parse(refused.body).at("reason"), "queue_full");
  const auto cpu = http_get(target.host(), target.port(), "/api/cpu-intensive?complexity=1");
  EXPECT_EQ(cpu.status, 503);
  EXPECT_GE(metric(target, "load_shed_total{reason=\"queue_full\"}"), 2);

  first.join();
  second.join();
  EXPECT_EQ(running.status, 200) << running.body;
  EXPECT_EQ(waiting.status, 200) << waiting.body;  // a one-off wait is not a standing queue
  EXPECT_EQ(metric(target, kDequeued), 2);
}

TEST(ComputeQueue, WorkPastItsDeadlineIsNotStarted) {
  auto target = start_loadlab_serve(
      {"--db", "sqlite::memory:", "--compute-threads", "1", "--protect", "queue,timeouts"});
  HttpResult running;
  std::thread first([&] { running = post_work(target, 3000); });
  ASSERT_TRUE(wait_until([&] { return metric(target, kDequeued) >= 1; }, 10s, 20ms));
  // Queued behind 3 s of work with a 500 ms deadline: dropped when its turn comes.
  HttpCall late;
  late.method = "POST";
  late.target = "/work?fail_rate=0&ms=1";
  late.headers = {{"X-Request-Timeout-Ms", "500"}};
  late.timeout = 30s;
  const auto answer = http_request(target.host(), target.port(), late);
  EXPECT_EQ(answer.status, 504) << answer.body;
  first.join();
  EXPECT_EQ(running.status, 200) << running.body;
}

}  // namespace
}  // namespace loadlab::testing
