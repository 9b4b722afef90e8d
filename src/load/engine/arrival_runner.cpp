// Open-model dispatch: intended start times, VU pool, dropped or queued iterations.
#include "load/engine/arrival_runner.hpp"

#include <algorithm>

namespace loadlab::load::engine {

ArrivalRunner::ArrivalRunner(WorkerContext& worker, const PreparedScenario& scenario)
    : ScenarioRunner(worker, scenario),
      schedule_(*scenario.scenario, worker.placement.arrival_shard()) {
  const VuPool pool = arrival_vu_pool(*scenario.scenario, worker.placement.shard);
  pre_allocated_ = worker.placement.vu_share(pool.pre_allocated);
  max_vus_ = std::max(worker.placement.vu_share(pool.max), pre_allocated_);
  // A worker with iterations to run needs at least one VU even when the pool split gave none.
  if (max_vus_ == 0 && schedule_.total() > 0) max_vus_ = 1;
}

void ArrivalRunner::on_start(core::TimePoint now) {
  while (static_cast<std::int64_t>(vus_.size()) < pre_allocated_) idle_.push_back(&add_vu());
  dispatch(now);
}

void ArrivalRunner::dispatch(core::TimePoint now) {
  std::int64_t dropped = 0;
  for (;;) {
    const auto due = schedule_.due(next_);
    if (!due) {
      // As in k6, an arrival-rate scenario lasts its whole duration after its last start: ending
      // at the last start would shorten the run and overstate every rate (one request at -R 1
      // -d 1s used to end the run after 0.19 s and report 5.4 requests per second).
      if (now < end_at_) arm(end_at_);
      break;
    }
    const core::TimePoint intended = start_at_ + *due;
    if (intended > now) {
      arm(intended);
      break;
    }
    Vu* vu = nullptr;
    if (!idle_.empty()) {
      vu = idle_.back();
      idle_.pop_back();
    } else if (static_cast<std::int64_t>(vus_.size()) < max_vus_) {
      vu = &add_vu();
    } else if (worker_.queue_when_busy) {
      waiting_for_vu_ = true;  // the next free VU resumes dispatching
      break;
    } else {
      // Every iteration due by now finds no VU either: drop them in one step. One at a time, a
      // rate far beyond what the VUs can serve (1e9/s) kept this loop from ever returning to the
      // event loop, so the run overran its duration many times over and ignored Ctrl-C.
      const std::int64_t due_by_now =
          std::max(next_ + 1, schedule_.count_before(now - start_at_ + core::Duration{1}));
      dropped += due_by_now - next_;
      next_ = due_by_now;
      continue;
    }
    ++next_;
    start(*vu, intended, true);
  }
  worker_.recorder.record_dropped_iterations(scenario_.index, dropped, now);
}

void ArrivalRunner::on_vu_free(Vu& vu, core::TimePoint now) {
  idle_.push_back(&vu);
  if (waiting_for_vu_) {
    waiting_for_vu_ = false;
    dispatch(now);
  }
}

void ArrivalRunner::on_active_end(core::TimePoint now) {
  // Iterations that fell due before the end but were never started (queued for a connection
  // that never came free, or not yet reached by dispatch) are dropped. Those not yet due when a
  // run is stopped early (Ctrl-C, abortOnFail) were never owed, so they are not counted.
  const core::Duration elapsed = std::min(now, end_at_) - start_at_;
  const std::int64_t due_by_end =
      std::min(schedule_.total(), schedule_.count_before(elapsed + core::Duration{1}));
  if (due_by_end > next_) {
    worker_.recorder.record_dropped_iterations(scenario_.index, due_by_end - next_, now);
  }
  next_ = schedule_.total();
}

}  // namespace loadlab::load::engine
