// Runs the real `loadlab` binary on bad command lines: exit 2 and a readable message (the
// documented contract), never a parser's own code, a crash or a run.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace loadlab::cli {
namespace {

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs a shell command line; exit_code is -1 when it was killed by a signal.
Outcome run_shell(const std::string& command) {
  Outcome outcome;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return outcome;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) outcome.output.append(buffer, n);
  const int status = ::pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

std::string loadlab_binary() {
  return std::string(LOADLAB_BINARY_DIR) + "/src/cli/loadlab";
}

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

}  // namespace
}  // namespace loadlab::cli
