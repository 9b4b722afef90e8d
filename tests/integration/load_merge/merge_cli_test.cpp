// Runs the real `loadlab merge` on shard results: exact merge, exit 0/99 by thresholds, errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "child_process.hpp"
#include "load/recorder.hpp"
#include "load/result.hpp"
#include "load/scenario_loader.hpp"

namespace loadlab::load {
namespace {

namespace fs = std::filesystem;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

using Outcome = testing::ShellOutcome;

Outcome run_loadlab(const std::string& arguments) {
  return testing::run_shell(testing::loadlab_binary() + " " + arguments + " 2>&1");
}

class MergeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("loadlab-merge-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static TestPlan plan(const std::string& threshold) {
    auto loaded = load_plan_text(
        "scenarios:\n  api:\n    executor: constant-arrival-rate\n    rate: 100\n"
        "    duration: 10s\n    preAllocatedVUs: 4\n"
        "    requests: [{name: fast, url: /api/fast}]\n"
        "thresholds:\n  http_req_duration: ['" +
            threshold + "']\n",
        "", {});
    EXPECT_TRUE(loaded.has_value()) << (loaded ? "" : loaded.error());
    return *loaded;
  }

  // Global iterations g with g % n == index - 1 of a deterministic 1,000-request run.
  static RunResult shard_result(const TestPlan& plan, Shard shard) {
    const core::TimePoint start{seconds{10}};
    Recorder recorder(names_of(plan), start);
    for (std::int64_t g = shard.index - 1; g < 1000; g += shard.count) {
      RequestSample s;
      s.status = 200;
      s.duration = microseconds{500 + (g * 104729) % 90'000};
      s.latency = s.duration;
      recorder.record_request(s, start + milliseconds{g * 10});
    }
    RunResult result;
    result.info.started_at = "2026-01-01T00:00:00Z";
    result.info.elapsed = seconds{10};
    result.info.shard = shard;
    result.info.plan = plan_to_json(plan);
    result.metrics = recorder.take();
    result.judge(plan.thresholds);
    return result;
  }

  std::string write(const std::string& name, const RunResult& result) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << result_to_json(result).dump();
    return path.string();
  }

  fs::path dir_;
};

TEST_F(MergeCli, MergesShardsExactlyAndPassesThresholds) {
  const TestPlan p = plan("p(95)<1000");
  const std::string a = write("a.json", shard_result(p, Shard{1, 2}));
  const std::string b = write("b.json", shard_result(p, Shard{2, 2}));
  const std::string out = (dir_ / "all.json").string();
  const Outcome outcome = run_loadlab("merge " + a + " " + b + " -o " + out);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("✓ 'p(95)<1000'"), std::string::npos) << outcome.output;

  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  auto merged = result_from_json(nlohmann::json::parse(text.str()));
  ASSERT_TRUE(merged.has_value()) << merged.error();
  EXPECT_EQ(merged->info.merged_shards, 2);
  EXPECT_EQ(merged->metrics, shard_result(p, Shard{}).metrics);
  EXPECT_EQ(nlohmann::json::parse(text.str()).at("summary").at("http_reqs").at("count"), 1000);
}

TEST_F(MergeCli, FailingThresholdExits99) {
  const TestPlan p = plan("p(95)<1");
  const std::string a = write("a.json", shard_result(p, Shard{1, 2}));
  const std::string b = write("b.json", shard_result(p, Shard{2, 2}));
  const Outcome outcome = run_loadlab("merge " + a + " " + b);
  EXPECT_EQ(outcome.exit_code, 99) << outcome.output;
  EXPECT_NE(outcome.output.find("✗ 'p(95)<1'"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("1 threshold failed"), std::string::npos) << outcome.output;
}

TEST_F(MergeCli, BadInputsGiveOneLineAndExit2) {
  const TestPlan p = plan("p(95)<1000");
  const std::string a = write("a.json", shard_result(p, Shard{1, 2}));
  const fs::path garbage = dir_ / "garbage.json";
  std::ofstream(garbage) << "{not json";
  Outcome outcome = run_loadlab("merge " + a + " " + garbage.string());
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_NE(outcome.output.find("garbage.json: invalid JSON"), std::string::npos) << outcome.output;

  outcome = run_loadlab("merge " + a + " " + a);
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_NE(outcome.output.find("repeats shard 1/2"), std::string::npos) << outcome.output;

  const std::string other = write("other.json", shard_result(plan("p(99)<5"), Shard{2, 2}));
  outcome = run_loadlab("merge " + a + " " + other);
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_NE(outcome.output.find("different plan"), std::string::npos) << outcome.output;

  outcome = run_loadlab("merge " + (dir_ / "missing.json").string());
  EXPECT_NE(outcome.exit_code, 0) << outcome.output;
}

TEST_F(MergeCli, AnIncompleteSetOfShardsIsRefused) {
  const TestPlan p = plan("p(95)<1000");
  const std::string a = write("a.json", shard_result(p, Shard{1, 2}));
  const Outcome outcome = run_loadlab("merge " + a);
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_NE(outcome.output.find("incomplete set: 1 of 2 shards given, missing 2/2"),
            std::string::npos)
      << outcome.output;
}

TEST_F(MergeCli, AnAbortedShardFailsTheMergeWithRunsExitCode) {
  const TestPlan p = plan("p(95)<1000");
  const std::string a = write("a.json", shard_result(p, Shard{1, 2}));
  RunResult interrupted = shard_result(p, Shard{2, 2});
  interrupted.info.aborted = true;
  interrupted.info.abort_reason = "interrupted";
  const std::string b = write("b.json", interrupted);
  Outcome outcome = run_loadlab("merge " + a + " " + b);
  EXPECT_EQ(outcome.exit_code, 130) << outcome.output;  // as `loadlab run` after Ctrl-C
  EXPECT_NE(outcome.output.find("a shard was aborted (interrupted)"), std::string::npos)
      << outcome.output;

  RunResult crossed = shard_result(p, Shard{2, 2});
  crossed.info.aborted = true;
  crossed.info.abort_reason = "threshold crossed";
  const std::string c = write("c.json", crossed);
  outcome = run_loadlab("merge " + a + " " + c);
  EXPECT_EQ(outcome.exit_code, 99) << outcome.output;  // as `loadlab run` after abortOnFail
}

}  // namespace
}  // namespace loadlab::load
