// Runs one scenario on one worker: owns that worker's VUs of the scenario, starts iterations as
// its executor says, ends the active phase, and interrupts what outlives gracefulStop.
// Subclasses: ClosedRunner (constant-vus, ramping-vus), ArrivalRunner (constant- and
// ramping-arrival-rate), IterationsRunner (per-vu-iterations, shared-iterations).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/clock.hpp"
#include "load/engine/vu.hpp"
#include "load/engine/worker_context.hpp"

namespace loadlab::load::engine {

class ScenarioRunner : public VuOwner {
 public:
  ScenarioRunner(WorkerContext& worker, const PreparedScenario& scenario);
  virtual ~ScenarioRunner() = default;
  ScenarioRunner(const ScenarioRunner&) = delete;
  ScenarioRunner& operator=(const ScenarioRunner&) = delete;

  // Arms the scenario's start (run start + startTime).
  void begin();
  // Times out the exchanges whose deadline has passed; returns the earliest one still pending.
  std::optional<core::TimePoint> expire_due(core::TimePoint now);
  // Housekeeping (about every 100 ms): request deadlines, end of the active phase, gracefulStop.
  void tick(core::TimePoint now);
  // Abort: interrupt every iteration and finish now.
  void stop_now();

  [[nodiscard]] bool finished() const noexcept { return finished_; }
  [[nodiscard]] std::int64_t active_vus() const noexcept { return busy_; }
  [[nodiscard]] std::int64_t allocated_vus() const noexcept {
    return static_cast<std::int64_t>(vus_.size());
  }

  void on_iteration_done(Vu& vu, core::TimePoint now) final;
  void on_iteration_interrupted(Vu& vu) final;

 protected:
  // At startTime.
  virtual void on_start(core::TimePoint now) = 0;
  // When the runner's timer (arm()) fires.
  virtual void on_timer(core::TimePoint /*now*/) {}
  // A VU finished (completed or interrupted) its iteration and is free.
  virtual void on_vu_free(Vu& vu, core::TimePoint now) = 0;
  // Every tick while active (ramping-vus enforces its hard limit here).
  virtual void on_tick(core::TimePoint /*now*/) {}
  // The active phase ended (time or budget): start nothing more.
  virtual void on_active_end(core::TimePoint /*now*/) {}
  // True when no iteration will ever start again (iteration budgets used up).
  [[nodiscard]] virtual bool exhausted() const noexcept { return false; }

  Vu& add_vu();
  void start(Vu& vu, core::TimePoint intended, bool open_model);
  void arm(core::TimePoint at);
  // True while new iterations may start.
  [[nodiscard]] bool active(core::TimePoint now) const noexcept {
    return started_ && !ended_ && now < end_at_;
  }
  void maybe_finish(core::TimePoint now);

  WorkerContext& worker_;
  const PreparedScenario& scenario_;
  std::vector<std::unique_ptr<Vu>> vus_;
  core::TimePoint start_at_;
  core::TimePoint end_at_;       // end of the active phase
  core::TimePoint hard_end_at_;  // end_at_ + gracefulStop

 private:
  void on_timer_fired(const boost::system::error_code& ec);
  void finish();

  boost::asio::steady_timer timer_;
  core::TimePoint armed_at_{core::TimePoint::max()};
  std::int64_t busy_ = 0;
  bool started_ = false;
  bool ended_ = false;
  bool finished_ = false;
};

// Builds the runner for the scenario's executor.
std::unique_ptr<ScenarioRunner> make_runner(WorkerContext& worker,
                                            const PreparedScenario& scenario);

}  // namespace loadlab::load::engine
