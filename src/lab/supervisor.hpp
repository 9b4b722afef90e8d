// Starts lab children (target, downstream, database), waits for readiness, restarts them with
// CrashLoopBackOff when they die and records each death's cause (OOM kill, signal, exit code).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "lab/child_process.hpp"
#include "lab/resource_limits.hpp"
#include "lab/restart_backoff.hpp"

namespace loadlab::lab {

// The word "{listen}" in argv becomes "127.0.0.1:0" at the first start and the learned
// "127.0.0.1:PORT" on restarts, so a restarted child keeps its address (like a Service would).
inline constexpr const char* kListenPlaceholder = "{listen}";

struct ChildSpec {
  std::string name;
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  // Empty: the child does not serve HTTP (no "listening on" line is awaited, no probe).
  std::string readiness_path = "/health";
  std::chrono::milliseconds start_timeout{15000};
  std::optional<ResourceLimits> limits;  // nullopt: unconfined
  bool restart = true;
};

enum class DeathCause { oom_kill, signal, exit_code };
std::string_view to_string(DeathCause cause) noexcept;

struct DeathRecord {
  core::TimePoint at;
  DeathCause cause = DeathCause::exit_code;
  std::string detail;  // "killed by Killed (memory limit)", "exit code 3", ...
};

struct ChildView {
  std::string name;
  pid_t pid = -1;
  int port = 0;
  bool running = false;  // started and ready, not waiting for a restart
  int restarts = 0;
  std::vector<DeathRecord> deaths;
};

class Supervisor {
 public:
  Supervisor(const core::Clock& clock, ResourceLimiter& limiter, std::string log_dir,
             BackoffSettings backoff = {});
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Starts the child and waits until it listens and answers its readiness path with 2xx.
  // Throws std::runtime_error (with the child's last stderr line) when it does not come up.
  ChildView start(ChildSpec spec);

  // One supervision step: records deaths and restarts children whose back-off has elapsed.
  void poll();
  // poll() every `interval` on a background thread until stop_monitor() (or destruction).
  void start_monitor(std::chrono::milliseconds interval = std::chrono::milliseconds(50));
  void stop_monitor();

  // SIGTERM, wait up to grace, SIGKILL; the child is not restarted afterwards.
  void stop(const std::string& name, std::chrono::milliseconds grace = std::chrono::seconds(5));
  void stop_all(std::chrono::milliseconds grace = std::chrono::seconds(5));

  [[nodiscard]] std::optional<ChildView> view(const std::string& name) const;
  [[nodiscard]] std::vector<ChildView> views() const;
  [[nodiscard]] ResourceLimiter& limiter() const noexcept { return limiter_; }
  [[nodiscard]] std::string log_path(const std::string& name, const char* stream) const;

 private:
  struct Child {
    ChildSpec spec;
    std::unique_ptr<Confinement> confinement;
    std::optional<ChildProcess> process;
    RestartBackoff backoff;
    int port = 0;
    bool ready = false;
    bool stopped = false;
    core::TimePoint started_at;
    core::TimePoint restart_due;
    std::uint64_t memory_kills_at_start = 0;
    int restarts = 0;
    std::vector<DeathRecord> deaths;
  };

  void launch(Child& child);
  void record_death(Child& child);
  void check_readiness(Child& child);
  static ChildView make_view(const Child& child);

  const core::Clock& clock_;
  ResourceLimiter& limiter_;
  std::string log_dir_;
  BackoffSettings backoff_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Child>> children_;
  std::atomic<bool> monitor_running_{false};
  std::thread monitor_;
};

// Reads `listening on http://HOST:PORT` from a child's stdout file (from offset on); 0 if absent.
int find_listening_port(const std::string& stdout_text);

}  // namespace loadlab::lab
