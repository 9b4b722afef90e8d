// The lifecycle shared by every executor: start, active phase, graceful stop, finish.
#include "load/engine/scenario_runner.hpp"

#include "load/engine/arrival_runner.hpp"
#include "load/engine/closed_runner.hpp"
#include "load/engine/iterations_runner.hpp"

namespace loadlab::load::engine {

ScenarioRunner::ScenarioRunner(WorkerContext& worker, const PreparedScenario& scenario)
    : worker_(worker), scenario_(scenario), timer_(worker.io) {
  const Scenario& s = *scenario.scenario;
  start_at_ = worker.run_start + s.start_time;
  end_at_ = start_at_ + s.active_duration();
  hard_end_at_ = end_at_ + s.graceful_stop;
}

void ScenarioRunner::begin() {
  arm(start_at_);
}

void ScenarioRunner::arm(core::TimePoint at) {
  if (finished_) return;
  if (armed_at_ != core::TimePoint::max() && armed_at_ <= at) return;  // an earlier wake is set
  armed_at_ = at;
  timer_.expires_at(std::chrono::time_point_cast<std::chrono::steady_clock::duration>(at));
  timer_.async_wait([this](const boost::system::error_code& ec) { on_timer_fired(ec); });
}

void ScenarioRunner::on_timer_fired(const boost::system::error_code& ec) {
  if (ec || finished_) return;  // re-armed earlier, or cancelled at finish
  armed_at_ = core::TimePoint::max();
  const auto now = worker_.clock.now();
  if (!started_) {
    started_ = true;
    on_start(now);
  } else if (!ended_) {
    on_timer(now);
  }
  maybe_finish(now);
}

Vu& ScenarioRunner::add_vu() {
  const std::int64_t id = worker_.placement.vu_id(static_cast<std::int64_t>(vus_.size()));
  vus_.push_back(std::make_unique<Vu>(worker_, *this, scenario_, id, vus_.size()));
  return *vus_.back();
}

void ScenarioRunner::start(Vu& vu, core::TimePoint intended, bool open_model) {
  ++busy_;
  vu.start_iteration(intended, open_model);
}

void ScenarioRunner::on_iteration_done(Vu& vu, core::TimePoint now) {
  --busy_;
  if (!ended_) on_vu_free(vu, now);
  maybe_finish(now);
}

void ScenarioRunner::on_iteration_interrupted(Vu& vu) {
  --busy_;
  worker_.recorder.record_interrupted_iteration(scenario_.index);
  const auto now = worker_.clock.now();
  if (!ended_) on_vu_free(vu, now);
  maybe_finish(now);
}

std::optional<core::TimePoint> ScenarioRunner::expire_due(core::TimePoint now) {
  std::optional<core::TimePoint> earliest;
  if (finished_) return earliest;
  for (auto& vu : vus_) {
    if (!vu->busy()) continue;
    vu->expire_if_due(now);
    if (const auto deadline = vu->pending_deadline();
        deadline && (!earliest || *deadline < *earliest)) {
      earliest = deadline;
    }
  }
  return earliest;
}

void ScenarioRunner::tick(core::TimePoint now) {
  if (finished_) return;
  for (auto& vu : vus_) {
    if (vu->busy()) vu->expire_if_due(now);
  }
  if (started_ && !ended_) on_tick(now);
  maybe_finish(now);
  if (ended_ && !finished_ && now >= hard_end_at_) {
    for (auto& vu : vus_) vu->interrupt();
  }
}

void ScenarioRunner::maybe_finish(core::TimePoint now) {
  if (!started_ || finished_) return;
  if (!ended_ && (now >= end_at_ || exhausted())) {
    ended_ = true;
    on_active_end(now);
  }
  if (ended_ && busy_ == 0) finish();
}

void ScenarioRunner::stop_now() {
  if (finished_) return;
  started_ = true;
  if (!ended_) {
    ended_ = true;
    on_active_end(worker_.clock.now());
  }
  for (auto& vu : vus_) vu->interrupt();
  if (!finished_ && busy_ == 0) finish();
}

void ScenarioRunner::finish() {
  finished_ = true;
  timer_.cancel();
  for (auto& vu : vus_) vu->close();
  if (worker_.runner_finished) worker_.runner_finished();
}

std::unique_ptr<ScenarioRunner> make_runner(WorkerContext& worker,
                                            const PreparedScenario& scenario) {
  switch (scenario.scenario->executor) {
    case Executor::constant_vus:
    case Executor::ramping_vus:
      return std::make_unique<ClosedRunner>(worker, scenario);
    case Executor::constant_arrival_rate:
    case Executor::ramping_arrival_rate:
      return std::make_unique<ArrivalRunner>(worker, scenario);
    case Executor::per_vu_iterations:
    case Executor::shared_iterations:
      return std::make_unique<IterationsRunner>(worker, scenario);
  }
  return nullptr;
}

}  // namespace loadlab::load::engine
