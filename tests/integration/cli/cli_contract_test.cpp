// Runs the real `loadlab` binary on bad command lines: exit 2 and a readable message (the
// documented contract), never a parser's own code, a crash or a run.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "child_process.hpp"

namespace loadlab::cli {
namespace {

using Outcome = testing::ShellOutcome;
using testing::loadlab_binary;
using testing::run_shell;

// No server is needed: every command line here must be refused before a connection is made
// (the URL's port 9 is discard, closed on loopback anyway).
Outcome run_loadlab(const std::string& arguments) {
  return run_shell(loadlab_binary() + " " + arguments + " 2>&1");
}

bool mentions(const Outcome& outcome, const std::string& text) {
  return outcome.output.find(text) != std::string::npos;
}

TEST(CliContract, ParseErrorsExit2WithTheParsersMessage) {
  Outcome outcome = run_loadlab("merge");
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_TRUE(mentions(outcome, "results is required")) << outcome.output;

  outcome = run_loadlab("merge /nonexistent/shard.json");
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_TRUE(mentions(outcome, "/nonexistent/shard.json")) << outcome.output;

  outcome = run_loadlab("run http://127.0.0.1:9/ --no-such-flag");
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_TRUE(mentions(outcome, "--no-such-flag")) << outcome.output;

  outcome = run_loadlab("run http://127.0.0.1:9/ -c many");
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;

  outcome = run_loadlab("no-such-command");
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
}

TEST(CliContract, HelpAndVersionExit0) {
  EXPECT_EQ(run_loadlab("--help").exit_code, 0);
  EXPECT_EQ(run_loadlab("run --help").exit_code, 0);
  EXPECT_EQ(run_loadlab("--version").exit_code, 0);
}

TEST(CliContract, QuickModeRefusesNonFiniteRates) {
  for (const std::string rate : {"nan", "inf", "0", "2e9"}) {
    const Outcome outcome = run_loadlab("run http://127.0.0.1:9/ -d 1s -q -R " + rate);
    EXPECT_EQ(outcome.exit_code, 2) << rate << ": " << outcome.output;
    EXPECT_TRUE(mentions(outcome, "-R")) << rate << ": " << outcome.output;
  }
}

TEST(CliContract, QuickModeCapsConnectionsAsScenarioFilesCapVus) {
  // 100 million VUs used to be allocated (OOM kill, or std::terminate under ulimit -v).
  Outcome outcome = run_loadlab("run http://127.0.0.1:9/ -d 1s -q -c 100000000");
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_TRUE(mentions(outcome, "-c 100000000: expected at most 10000000")) << outcome.output;
  outcome = run_loadlab("run http://127.0.0.1:9/ -d 1s -q -R 10 -c 10000001");
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
}

TEST(CliContract, QuickModeMethodMustBeAToken) {
  const Outcome outcome = run_loadlab("run http://127.0.0.1:9/ -d 1s -q -m 'GET / HTTP/1.0'");
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_TRUE(mentions(outcome, "expected an HTTP method")) << outcome.output;
}

TEST(CliContract, QuickModeHeadersFollowTheScenarioFileRules) {
  for (const std::string header :
       {"\"$(printf 'X-A: 1\\r\\nX-Injected: 2')\"", "'Bad Name: 1'", "'Content-Length: 99'"}) {
    const Outcome outcome = run_loadlab("run http://127.0.0.1:9/ -d 1s -q -H " + header);
    EXPECT_EQ(outcome.exit_code, 2) << header << ": " << outcome.output;
    EXPECT_TRUE(mentions(outcome, "-H '")) << header << ": " << outcome.output;
  }
  // The request would carry two Host fields, which a server must answer with 400.
  const Outcome outcome =
      run_loadlab("run http://127.0.0.1:9/ -d 1s -q -H 'Host: a.example' -H 'host: b.example'");
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_TRUE(mentions(outcome, "-H 'host: b.example': Host given twice")) << outcome.output;
}

TEST(CliContract, RunningOutOfMemoryInAWorkerIsAnErrorNotATerminate) {
  // Ten million VUs over two threads do not fit in 1 GB of address space: both the calling
  // thread's worker and the other thread's get std::bad_alloc. That used to end in
  // std::terminate (exit 134, "terminate called without an active exception").
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's shadow memory does not fit under ulimit -v";
#endif
  const std::string plan = ::testing::TempDir() + "/cli-contract-huge.yaml";
  {
    FILE* file = std::fopen(plan.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs("baseUrl: http://127.0.0.1:9\nvus: 10000000\nduration: 1s\nrequests: [{url: /}]\n",
               file);
    std::fclose(file);
  }
  const Outcome outcome = run_shell("sh -c 'ulimit -v 1000000 && exec " + loadlab_binary() +
                                    " run " + plan + " -t 2 -q' 2>&1");
  std::remove(plan.c_str());
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;  // -1: killed by a signal (SIGABRT)
  EXPECT_FALSE(mentions(outcome, "terminate called")) << outcome.output;
  EXPECT_TRUE(mentions(outcome, "loadlab: ")) << outcome.output;
}

}  // namespace
}  // namespace loadlab::cli
