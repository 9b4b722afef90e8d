// The real `loadlab` binary: compare flags an injected slowdown between two real runs (exit 1) and
// passes the reverse; report renders a run result; lab --list and a short lab run write the report.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "lab/supervisor.hpp"

namespace loadlab::lab {
namespace {

namespace fs = std::filesystem;

const std::string kLoadlab = std::string(LOADLAB_BINARY_DIR) + "/src/cli/loadlab";

struct Shell {
  int exit_code = -1;
  std::string output;
};

Shell run_shell(const std::string& command) {
  const auto log =
      fs::temp_directory_path() / ("loadlab-cli-" + std::to_string(::getpid()) + ".log");
  const int status = std::system((command + " > '" + log.string() + "' 2>&1").c_str());
  std::ifstream in(log);
  Shell shell{WIFEXITED(status) ? WEXITSTATUS(status) : -1,
              std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>())};
  fs::remove(log);
  return shell;
}

class LoadlabCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("loadlab-cli-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

TEST_F(LoadlabCli, CompareFlagsAnInjectedSlowdownBetweenTwoRealRuns) {
  core::ManualClock clock;
  auto limiter = make_unlimited_limiter();
  Supervisor supervisor(clock, *limiter, (dir_ / "logs").string());
  ChildSpec target{"target",
                   {kLoadlab, "serve", "--listen", kListenPlaceholder, "--threads", "1"},
                   {},
                   "/health",
                   std::chrono::seconds(20),
                   std::nullopt,
                   false};
  const auto view = supervisor.start(target);
  const auto base_url = "http://127.0.0.1:" + std::to_string(view.port);
  // Same scenario, the second with 40 ms more wait per request: the injected slowdown.
  const auto fast = run_shell(
      kLoadlab + " run '" + base_url +
      "/api/slow?delay=0.01' -c 2 -d 2s --quiet --out json=" + (dir_ / "base.json").string());
  ASSERT_EQ(fast.exit_code, 0) << fast.output;
  const auto slow = run_shell(
      kLoadlab + " run '" + base_url +
      "/api/slow?delay=0.05' -c 2 -d 2s --quiet --out json=" + (dir_ / "slow.json").string());
  ASSERT_EQ(slow.exit_code, 0) << slow.output;

  const auto regression =
      run_shell(kLoadlab + " compare " + (dir_ / "base.json").string() + " " +
                (dir_ / "slow.json").string() + " --json " + (dir_ / "cmp.json").string());
  EXPECT_EQ(regression.exit_code, 1) << regression.output;
  EXPECT_NE(regression.output.find("REGRESSION"), std::string::npos) << regression.output;
  std::ifstream cmp(dir_ / "cmp.json");
  const auto json = nlohmann::json::parse(cmp);
  EXPECT_EQ(json["verdict"], "regression");

  const auto improvement = run_shell(kLoadlab + " compare " + (dir_ / "slow.json").string() + " " +
                                     (dir_ / "base.json").string());
  EXPECT_EQ(improvement.exit_code, 0) << improvement.output;
  EXPECT_NE(improvement.output.find("verdict: ok"), std::string::npos) << improvement.output;

  const auto rendered = run_shell(kLoadlab + " report " + (dir_ / "slow.json").string() + " -o " +
                                  (dir_ / "run.html").string());
  EXPECT_EQ(rendered.exit_code, 0) << rendered.output;
  EXPECT_TRUE(fs::exists(dir_ / "run.html"));
}

TEST_F(LoadlabCli, CompareAndReportRejectBadInputWithOneLine) {
  std::ofstream(dir_ / "bad.json") << "{not json";
  const auto compare = run_shell(kLoadlab + " compare " + (dir_ / "bad.json").string() + " " +
                                 (dir_ / "bad.json").string());
  EXPECT_EQ(compare.exit_code, 2) << compare.output;
  EXPECT_NE(compare.output.find("not valid JSON"), std::string::npos) << compare.output;
  std::ofstream(dir_ / "other.json") << "{\"hello\": 1}";
  const auto report = run_shell(kLoadlab + " report " + (dir_ / "other.json").string() + " -o " +
                                (dir_ / "x.html").string());
  EXPECT_EQ(report.exit_code, 2) << report.output;
  EXPECT_NE(report.output.find("not a loadlab run result"), std::string::npos) << report.output;
}

TEST_F(LoadlabCli, LabListsItsExperimentsAndRejectsUnknownOnes) {
  const auto list = run_shell(kLoadlab + " lab --list");
  EXPECT_EQ(list.exit_code, 0) << list.output;
  for (const char* name :
       {"baseline", "cpu-stress", "memory-stress", "io-stress", "cascade-failure",
        "db-pool-exhaust", "backpressure", "breaker", "ramp-spike-soak"}) {
    EXPECT_NE(list.output.find(name), std::string::npos) << name;
  }
  const auto unknown = run_shell(kLoadlab + " lab no-such-experiment --quick");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("unknown experiment"), std::string::npos) << unknown.output;
}

TEST_F(LoadlabCli, QuickBaselineWritesLabJsonFindingsAndReport) {
  const auto out = dir_ / "lab";
  const auto lab = run_shell("cd '" + std::string(LOADLAB_SOURCE_DIR) + "' && " + kLoadlab +
                             " lab baseline --quick --out " + out.string());
  ASSERT_EQ(lab.exit_code, 0) << lab.output;
  EXPECT_NE(lab.output.find("lab: report: "), std::string::npos) << lab.output;
  std::ifstream in(out / "lab.json");
  const auto json = nlohmann::json::parse(in);
  EXPECT_EQ(json["kind"], "loadlab-lab");
  ASSERT_EQ(json["experiments"].size(), 1u);
  for (const auto& run : json["experiments"][0]["runs"]) {
    EXPECT_TRUE(run["ran"].get<bool>()) << run["skipped_reason"];
    EXPECT_GT(run["digest"]["requests"].get<double>(), 0) << run["mode"];
    EXPECT_FALSE(run["children"]["target"]["t"].empty()) << "the target was sampled";
  }
  EXPECT_TRUE(fs::exists(out / "findings.md"));
  EXPECT_TRUE(fs::exists(out / "report.html"));
  // The report can be rendered again from lab.json alone.
  const auto again = run_shell(kLoadlab + " report " + (out / "lab.json").string() + " -o " +
                               (dir_ / "again.html").string());
  EXPECT_EQ(again.exit_code, 0) << again.output;
}

}  // namespace
}  // namespace loadlab::lab
