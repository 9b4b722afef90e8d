// Outside load tools (wrk, hey, autocannon) run as child processes with a deadline: where they
// are, how to run one, and the numbers their reports print.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace loadlab::target::test {

inline constexpr const char* setup_hint = "install it with scripts/setup.sh";

// The first executable `name` on PATH, or an empty string.
inline std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream folders(path == nullptr ? "/usr/local/bin:/usr/bin:/bin" : path);
  std::string folder;
  while (std::getline(folders, folder, ':')) {
    if (folder.empty()) continue;
    const std::string candidate = folder + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// autocannon as scripts/setup.sh's `npm install` leaves it in the source tree.
inline std::string autocannon_path() {
  const std::string local = std::string(LOADLAB_SOURCE_DIR) + "/node_modules/.bin/autocannon";
  return access(local.c_str(), X_OK) == 0 ? local : std::string{};
}

struct ToolRun {
  std::optional<int> exit_status;  // nullopt: still running at the deadline (then killed)
  std::string output;              // its stdout
};

// Runs argv to completion (killed after `deadline`), stdout captured.
inline ToolRun run_tool(loadlab::testing::ChildProcess tool, std::chrono::milliseconds deadline) {
  ToolRun run;
  run.exit_status = tool.wait_exit(deadline);
  if (!run.exit_status) tool.stop(std::chrono::seconds(2));
  run.output = tool.output();
  return run;
}

inline ToolRun run_tool(const std::vector<std::string>& argv, std::chrono::milliseconds deadline) {
  return run_tool(loadlab::testing::ChildProcess::spawn(argv), deadline);
}

// The first capture group of `pattern` in `text` as a number, if it matches.
inline std::optional<double> number_after(const std::string& text, const std::string& pattern) {
  std::smatch match;
  if (!std::regex_search(text, match, std::regex(pattern))) return std::nullopt;
  return std::stod(match[1].str());
}

}  // namespace loadlab::target::test
