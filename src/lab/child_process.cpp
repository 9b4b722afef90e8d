// fork/exec of lab children; only async-signal-safe calls between fork and exec.
#include "lab/child_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace loadlab::lab {

std::string describe(const ExitStatus& status) {
  if (status.signaled) return std::string("killed by ") + ::strsignal(status.signal);
  return "exit code " + std::to_string(status.code);
}

std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    auto candidate = dirs.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

namespace {

int open_log(const std::string& path) {
  const auto& target = path.empty() ? std::string("/dev/null") : path;
  const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + target + ": " + std::strerror(errno));
  return fd;
}

std::vector<std::string> merged_environment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> result;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const auto name = text.substr(0, text.find('='));
    bool replaced = false;
    for (const auto& [key, value] : extra) replaced = replaced || key == name;
    if (!replaced) result.push_back(text);
  }
  for (const auto& [key, value] : extra) result.push_back(key + "=" + value);
  return result;
}

ExitStatus decode(int status) {
  ExitStatus exit;
  if (WIFSIGNALED(status)) {
    exit.signaled = true;
    exit.signal = WTERMSIG(status);
  } else {
    exit.code = WEXITSTATUS(status);
  }
  return exit;
}

}  // namespace

ChildProcess ChildProcess::launch(const LaunchSpec& spec, const Confinement* confinement) {
  if (spec.argv.empty()) throw std::runtime_error("empty command line");
  const auto program = resolve_program(spec.argv.front());
  if (program.empty()) throw std::runtime_error("program not found: " + spec.argv.front());
  // Everything the child touches is prepared before fork: it may only make async-signal-safe calls.
  std::vector<char*> argv;
  for (const auto& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const auto environment = merged_environment(spec.env);
  std::vector<char*> envp;
  envp.reserve(environment.size() + 1);
  for (const auto& entry : environment) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  const int out = open_log(spec.stdout_path);
  const int err = open_log(spec.stderr_path);
  struct stat info {};
  const long offset = ::fstat(out, &info) == 0 ? static_cast<long>(info.st_size) : 0;
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    ::close(err);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    if (confinement != nullptr) confinement->enter_from_child();
    ::setpgid(0, 0);
    if (spec.run_as) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(spec.run_as->second) != 0 ||
          ::setuid(spec.run_as->first) != 0) {
        ::_exit(126);
      }
    }
    // After the user change: a change of credentials clears the parent-death signal.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed lab must not leave servers behind
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    const int null_in = ::open("/dev/null", O_RDONLY);
    if (null_in >= 0) ::dup2(null_in, STDIN_FILENO);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
  return ChildProcess(pid, offset);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      stdout_offset_(other.stdout_offset_),
      reaped_(other.reaped_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !reaped_) stop(std::chrono::milliseconds(0));
    pid_ = std::exchange(other.pid_, -1);
    stdout_offset_ = other.stdout_offset_;
    reaped_ = other.reaped_;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) stop(std::chrono::milliseconds(0));
}

bool ChildProcess::has_exited() const {
  if (reaped_) return true;
  siginfo_t info{};
  // WNOWAIT leaves the zombie in place so the pid cannot be reused while we inspect it.
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD;
  }
  return info.si_pid == pid_;
}

ExitStatus ChildProcess::reap() {
  if (reaped_) return *reaped_;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = decode(status);
  return *reaped_;
}

void ChildProcess::signal(int signo) const {
  if (pid_ > 0 && !reaped_) ::kill(pid_, signo);
}

ExitStatus ChildProcess::stop(std::chrono::milliseconds grace, int signo) {
  if (reaped_) return *reaped_;
  if (!has_exited()) {
    if (grace.count() > 0) {
      ::kill(pid_, signo);
      const auto until = std::chrono::steady_clock::now() + grace;
      while (!has_exited() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    if (!has_exited()) ::kill(pid_, SIGKILL);
  }
  return reap();
}

ExitStatus ChildProcess::wait_or_stop(std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!has_exited()) {
    if (std::chrono::steady_clock::now() > until) return stop(std::chrono::seconds(2));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return reap();
}

}  // namespace loadlab::lab
