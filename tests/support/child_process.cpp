// Child process control for integration tests (see child_process.hpp).
#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <regex>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

extern char** environ;

namespace loadlab::testing {
namespace {

using Clock = std::chrono::steady_clock;

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string loadlab_binary() {
  return std::string(LOADLAB_BINARY_DIR) + "/src/cli/loadlab";
}

ShellOutcome run_shell(const std::string& command) {
  ShellOutcome outcome;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return outcome;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    outcome.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& extra_env) {
  if (argv.empty()) throw std::runtime_error("spawn: empty argv");
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("spawn: pipe failed");

  // The parent's environment, where extra_env replaces a variable of the same name (getenv
  // would find the parent's first, so appending alone would not override it).
  const auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view current(*entry);
    const bool replaced =
        std::any_of(extra_env.begin(), extra_env.end(),
                    [&](const std::string& e) { return name_of(e) == name_of(current); });
    if (!replaced) environment.emplace_back(current);
  }
  for (const std::string& extra : extra_env) environment.push_back(extra);
  std::vector<char*> env_pointers;
  for (std::string& entry : environment) env_pointers.push_back(entry.data());
  env_pointers.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  ChildProcess child;
  const int error = posix_spawn(&child.pid_, args[0].c_str(), &actions, nullptr,
                                arg_pointers.data(), env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (error != 0) {
    close(pipe_fds[0]);
    child.pid_ = -1;
    throw std::runtime_error("spawn " + args[0] + ": " + std::strerror(error));
  }
  child.stdout_fd_ = pipe_fds[0];
  fcntl(child.stdout_fd_, F_SETFL, fcntl(child.stdout_fd_, F_GETFL) | O_NONBLOCK);
  return child;
}

ChildProcess ChildProcess::spawn_listening(const std::vector<std::string>& argv,
                                           const std::vector<std::string>& extra_env,
                                           std::chrono::milliseconds deadline) {
  ChildProcess child = spawn(argv, extra_env);
  static const std::regex listening(R"(listening on http://(\[[^\]]+\]|[^:\s]+):(\d+))");
  const auto give_up = Clock::now() + deadline;
  while (Clock::now() < give_up) {
    const std::size_t newline = child.output_.find('\n');
    if (newline != std::string::npos) {
      std::smatch match;
      const std::string first_line = child.output_.substr(0, newline);
      if (!std::regex_search(first_line, match, listening)) {
        throw std::runtime_error("unexpected first line: " + first_line);
      }
      child.host_ = match[1].str();
      if (child.host_.front() == '[') child.host_ = child.host_.substr(1, child.host_.size() - 2);
      child.port_ = static_cast<std::uint16_t>(std::stoi(match[2].str()));
      return child;
    }
    if (!child.running()) {
      throw std::runtime_error("process exited (status " + std::to_string(*child.exit_status_) +
                               ") before listening; output: " + child.output_);
    }
    child.read_available(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("no listening line within the deadline; output: " + child.output_);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept {
  *this = std::move(other);
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !exit_status_) stop();
    if (stdout_fd_ >= 0) close(stdout_fd_);
    pid_ = std::exchange(other.pid_, -1);
    stdout_fd_ = std::exchange(other.stdout_fd_, -1);
    exit_status_ = std::move(other.exit_status_);
    output_ = std::move(other.output_);
    host_ = std::move(other.host_);
    port_ = other.port_;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_status_) stop();
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

std::string ChildProcess::base_url() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
}

void ChildProcess::send_signal(int signal_number) const {
  if (pid_ > 0 && !exit_status_) kill(pid_, signal_number);
}

bool ChildProcess::running() {
  if (pid_ <= 0 || exit_status_) return false;
  int status = 0;
  const pid_t result = waitpid(pid_, &status, WNOHANG);
  if (result == pid_) {
    exit_status_ = decode_status(status);
    return false;
  }
  return true;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds deadline) {
  const auto give_up = Clock::now() + deadline;
  while (running()) {
    if (Clock::now() >= give_up) return std::nullopt;
    read_available(std::chrono::milliseconds(10));  // keeps the pipe drained while waiting
  }
  return exit_status_;
}

int ChildProcess::stop(std::chrono::milliseconds deadline) {
  if (pid_ <= 0) return -1;
  send_signal(SIGTERM);
  if (auto status = wait_exit(deadline)) return *status;
  send_signal(SIGKILL);
  return wait_exit(std::chrono::seconds(10)).value_or(-1);
}

bool ChildProcess::read_available(std::chrono::milliseconds wait) {
  if (stdout_fd_ < 0) return false;
  pollfd descriptor{stdout_fd_, POLLIN, 0};
  if (poll(&descriptor, 1, static_cast<int>(wait.count())) <= 0) return false;
  char chunk[4096];
  bool any = false;
  for (;;) {
    const ssize_t n = read(stdout_fd_, chunk, sizeof(chunk));
    if (n > 0) {
      output_.append(chunk, static_cast<std::size_t>(n));
      any = true;
      continue;
    }
    if (n == 0) {  // the child closed stdout
      close(stdout_fd_);
      stdout_fd_ = -1;
    }
    return any;
  }
}

std::string ChildProcess::output() {
  read_available(std::chrono::milliseconds(0));
  return output_;
}

ChildProcess start_loadlab_serve(const std::vector<std::string>& args,
                                 const std::vector<std::string>& extra_env) {
  std::vector<std::string> argv{loadlab_binary(), "serve"};
  bool has_listen = false;
  for (const std::string& arg : args) has_listen = has_listen || arg.starts_with("--listen");
  if (!has_listen) argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
  argv.insert(argv.end(), args.begin(), args.end());
  return ChildProcess::spawn_listening(argv, extra_env);
}

}  // namespace loadlab::testing
