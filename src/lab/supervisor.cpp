// Supervision loop: launch, readiness, death classification and CrashLoopBackOff restarts.
#include "lab/supervisor.hpp"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "lab/http_probe.hpp"

namespace loadlab::lab {
namespace {

std::string read_from(const std::string& path, long offset) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(offset);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of("\r\n");
  if (end == std::string::npos) return "";
  const auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end - (start == std::string::npos ? 0 : start + 1) + 1);
}

bool ready_at(int port, const std::string& path) {
  const auto reply =
      http_get("127.0.0.1", port, path, ProbeLimits{std::chrono::milliseconds(300), 1 << 20});
  return reply && reply->status >= 200 && reply->status < 300;
}

bool uses_listen_placeholder(const ChildSpec& spec) {
  for (const auto& arg : spec.argv) {
    if (arg == kListenPlaceholder) return true;
  }
  return false;
}

}  // namespace

std::string_view to_string(DeathCause cause) noexcept {
  switch (cause) {
    case DeathCause::oom_kill:
      return "oom-kill";
    case DeathCause::signal:
      return "signal";
    case DeathCause::exit_code:
      return "exit-code";
  }
  return "exit-code";
}

int find_listening_port(const std::string& stdout_text) {
  static const std::regex pattern(R"(listening on http://[^:\s]+:(\d+))");
  std::smatch match;
  if (!std::regex_search(stdout_text, match, pattern)) return 0;
  return std::stoi(match[1].str());
}

Supervisor::Supervisor(const core::Clock& clock, ResourceLimiter& limiter, std::string log_dir,
                       BackoffSettings backoff)
    : clock_(clock), limiter_(limiter), log_dir_(std::move(log_dir)), backoff_(backoff) {
  std::filesystem::create_directories(log_dir_);
}

Supervisor::~Supervisor() {
  stop_monitor();
  stop_all(std::chrono::seconds(2));
}

std::string Supervisor::log_path(const std::string& name, const char* stream) const {
  return log_dir_ + "/" + name + "." + stream + ".log";
}

void Supervisor::launch(Child& child) {
  LaunchSpec launch;
  const auto address = "127.0.0.1:" + std::to_string(child.port);
  for (const auto& arg : child.spec.argv)
    launch.argv.push_back(arg == kListenPlaceholder ? address : arg);
  launch.env = child.spec.env;
  launch.stdout_path = log_path(child.spec.name, "stdout");
  launch.stderr_path = log_path(child.spec.name, "stderr");
  child.memory_kills_at_start = child.confinement ? child.confinement->memory_kills() : 0;
  child.process.emplace(ChildProcess::launch(launch, child.confinement.get()));
  if (child.confinement) child.confinement->child_started(child.process->pid());
  child.started_at = clock_.now();
  child.ready = child.spec.readiness_path.empty();
}

ChildView Supervisor::start(ChildSpec spec) {
  auto child = std::make_unique<Child>();
  child->spec = std::move(spec);
  child->backoff = RestartBackoff(backoff_);
  if (child->spec.limits)
    child->confinement = limiter_.confine(child->spec.name, *child->spec.limits);
  launch(*child);
  const auto until = std::chrono::steady_clock::now() + child->spec.start_timeout;
  const auto out_path = log_path(child->spec.name, "stdout");
  const auto fail = [&](const std::string& why) {
    child->process->stop(std::chrono::milliseconds(500));
    if (child->confinement) child->confinement->child_stopped();
    const auto err = last_line(read_from(log_path(child->spec.name, "stderr"), 0));
    throw std::runtime_error(child->spec.name + " " + why + (err.empty() ? "" : ": " + err));
  };
  if (!child->spec.readiness_path.empty()) {
    while (child->port == 0) {
      if (child->process->has_exited())
        fail("exited during start-up (" + describe(child->process->reap()) + ")");
      if (std::chrono::steady_clock::now() > until)
        fail("printed no 'listening on http://HOST:PORT' line in time");
      child->port = find_listening_port(read_from(out_path, child->process->stdout_offset()));
      if (child->port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    while (!ready_at(child->port, child->spec.readiness_path)) {
      if (child->process->has_exited())
        fail("exited before it was ready (" + describe(child->process->reap()) + ")");
      if (std::chrono::steady_clock::now() > until)
        fail("did not answer " + child->spec.readiness_path + " in time");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    child->ready = true;
  }
  std::lock_guard lock(mutex_);
  auto view = make_view(*child);
  children_[child->spec.name] = std::move(child);
  return view;
}

void Supervisor::record_death(Child& child) {
  if (child.confinement) child.confinement->child_stopped();
  const auto status = child.process->reap();
  child.process.reset();
  DeathRecord death;
  death.at = clock_.now();
  const bool memory_kill =
      child.confinement && child.confinement->memory_kills() > child.memory_kills_at_start;
  if (status.signaled && status.signal == SIGKILL && memory_kill) {
    death.cause = DeathCause::oom_kill;
    death.detail = "OOM-killed at the memory limit (" + describe(status) + ", exit 137)";
  } else if (status.signaled) {
    death.cause = DeathCause::signal;
    death.detail = describe(status);
  } else {
    death.cause = DeathCause::exit_code;
    death.detail = describe(status);
  }
  child.deaths.push_back(death);
  child.ready = false;
  if (!uses_listen_placeholder(child.spec)) child.port = 0;
  child.restart_due = child.backoff.schedule_restart(child.started_at, death.at);
}

void Supervisor::check_readiness(Child& child) {
  if (child.ready || !child.process) return;
  // Without the {listen} placeholder a restarted child may pick a new port: learn it again.
  if (child.port == 0) {
    child.port = find_listening_port(
        read_from(log_path(child.spec.name, "stdout"), child.process->stdout_offset()));
    if (child.port == 0) return;
  }
  child.ready = ready_at(child.port, child.spec.readiness_path);
}

void Supervisor::poll() {
  std::lock_guard lock(mutex_);
  for (auto& [name, child] : children_) {
    if (child->stopped) continue;
    if (child->process && child->process->has_exited()) record_death(*child);
    if (!child->process && child->spec.restart && clock_.now() >= child->restart_due) {
      try {
        launch(*child);
        ++child->restarts;
      } catch (const std::exception& error) {
        DeathRecord failed{clock_.now(), DeathCause::exit_code,
                           std::string("restart failed: ") + error.what()};
        child->deaths.push_back(failed);
        child->restart_due = child->backoff.schedule_restart(child->started_at, failed.at);
      }
    }
    check_readiness(*child);
  }
}

void Supervisor::start_monitor(std::chrono::milliseconds interval) {
  if (monitor_running_.exchange(true)) return;
  monitor_ = std::thread([this, interval] {
    while (monitor_running_.load()) {
      poll();
      std::this_thread::sleep_for(interval);
    }
  });
}

void Supervisor::stop_monitor() {
  monitor_running_.store(false);
  if (monitor_.joinable()) monitor_.join();
}

void Supervisor::stop(const std::string& name, std::chrono::milliseconds grace) {
  std::lock_guard lock(mutex_);
  const auto it = children_.find(name);
  if (it == children_.end()) return;
  auto& child = *it->second;
  child.stopped = true;
  if (child.confinement) child.confinement->child_stopped();  // resumes a throttled child
  if (child.process) {
    child.process->stop(grace);
    child.process.reset();
  }
  child.ready = false;
}

void Supervisor::stop_all(std::chrono::milliseconds grace) {
  std::vector<std::string> names;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, child] : children_) names.push_back(name);
  }
  for (const auto& name : names) stop(name, grace);
}

ChildView Supervisor::make_view(const Child& child) {
  ChildView view;
  view.name = child.spec.name;
  view.pid = child.process ? child.process->pid() : -1;
  view.port = child.port;
  view.running = child.process.has_value() && child.ready;
  view.restarts = child.restarts;
  view.deaths = child.deaths;
  return view;
}

std::optional<ChildView> Supervisor::view(const std::string& name) const {
  std::lock_guard lock(mutex_);
  const auto it = children_.find(name);
  if (it == children_.end()) return std::nullopt;
  return make_view(*it->second);
}

std::vector<ChildView> Supervisor::views() const {
  std::lock_guard lock(mutex_);
  std::vector<ChildView> result;
  for (const auto& [name, child] : children_) result.push_back(make_view(*child));
  return result;
}

}  // namespace loadlab::lab
