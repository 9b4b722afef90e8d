// One child process: fork/exec with stdout/stderr appended to files, confinement entered before
// exec, and a non-reaping exit check so the pid stays reserved until the caller has looked at it.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lab/resource_limits.hpp"

namespace loadlab::lab {

struct LaunchSpec {
  std::vector<std::string> argv;  // argv[0] is a path (absolute, or searched in PATH)
  std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing in) ours
  std::string stdout_path;
  std::string stderr_path;
  // Run as this user (uid, gid) when the lab runs as root: PostgreSQL refuses to run as root.
  std::optional<std::pair<uid_t, gid_t>> run_as;
};

// How a child ended, as waitpid reports it.
struct ExitStatus {
  bool signaled = false;
  int code = 0;    // exit code when !signaled
  int signal = 0;  // terminating signal when signaled
};
std::string describe(const ExitStatus& status);

class ChildProcess {
 public:
  // Throws std::runtime_error when the program cannot be found or fork fails (start-up errors).
  static ChildProcess launch(const LaunchSpec& spec, const Confinement* confinement);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // kills and reaps a child that is still running

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  // Offset of stdout_path when this child started (its output begins there).
  [[nodiscard]] long stdout_offset() const noexcept { return stdout_offset_; }

  // True once the child has exited (it stays a zombie until reap()).
  [[nodiscard]] bool has_exited() const;
  ExitStatus reap();
  void signal(int signo) const;
  // `signo` (SIGTERM unless told), then SIGKILL after grace; returns how it ended.
  ExitStatus stop(std::chrono::milliseconds grace, int signo = SIGTERM);
  // Waits up to `deadline` for the child to end by itself, then stops it (2 s grace).
  ExitStatus wait_or_stop(std::chrono::milliseconds deadline);

 private:
  ChildProcess(pid_t pid, long stdout_offset) : pid_(pid), stdout_offset_(stdout_offset) {}
  pid_t pid_ = -1;
  long stdout_offset_ = 0;
  std::optional<ExitStatus> reaped_;
};

// Resolves a program name like execvp would; empty when not found.
std::string resolve_program(const std::string& name);

}  // namespace loadlab::lab
