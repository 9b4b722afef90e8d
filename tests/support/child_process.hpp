// Test support: start the real `loadlab` binary as a child, learn its port from the first stdout
// line ("listening on http://HOST:PORT"), signal it and wait for its exit, always with deadlines.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loadlab::testing {

// Path of the built executable (LOADLAB_BINARY_DIR "/src/cli/loadlab" in the test's build).
std::string loadlab_binary();

struct ShellOutcome {
  int exit_code = -1;  // -1: killed by a signal
  std::string output;  // what the command wrote to stdout (add 2>&1 for stderr)
};
// Runs a command line through /bin/sh and waits for it (the command bounds its own time).
ShellOutcome run_shell(const std::string& command);

class ChildProcess {
 public:
  // Spawns argv (argv[0] is the program path) with the parent's environment plus `extra_env`
  // ("NAME=value", replacing the parent's variable of that name), stdout captured. Throws
  // std::runtime_error if it cannot be started.
  static ChildProcess spawn(const std::vector<std::string>& argv,
                            const std::vector<std::string>& extra_env = {});

  // spawn() and wait (at most `deadline`) for the listening line; throws std::runtime_error with
  // the captured output when the line does not come or the process exits first.
  static ChildProcess spawn_listening(
      const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {},
      std::chrono::milliseconds deadline = std::chrono::seconds(20));

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // stop() if still running

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] const std::string& host() const noexcept { return host_; }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] std::string base_url() const;  // "http://HOST:PORT"

  void send_signal(int signal_number) const;
  // Exit status: the exit code, or 128 + signal number when killed. nullopt if still running
  // after `deadline`.
  std::optional<int> wait_exit(std::chrono::milliseconds deadline);
  // SIGTERM, wait up to `deadline`, then SIGKILL; returns the exit status.
  int stop(std::chrono::milliseconds deadline = std::chrono::seconds(15));
  [[nodiscard]] bool running();

  // Everything read from the child's stdout so far (reads what is available without blocking).
  std::string output();

 private:
  ChildProcess() = default;
  bool read_available(std::chrono::milliseconds wait);

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::optional<int> exit_status_;
  std::string output_;
  std::string host_;
  std::uint16_t port_ = 0;
};

// `loadlab serve --listen 127.0.0.1:0 <args...>` started and listening.
ChildProcess start_loadlab_serve(const std::vector<std::string>& args = {},
                                 const std::vector<std::string>& extra_env = {});

}  // namespace loadlab::testing
