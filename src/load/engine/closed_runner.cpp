// Closed-model VU targets over time, split across workers.
#include "load/engine/closed_runner.hpp"

namespace loadlab::load::engine {

ClosedRunner::ClosedRunner(WorkerContext& worker, const PreparedScenario& scenario)
    : ScenarioRunner(worker, scenario), schedule_(*scenario.scenario, worker.placement.shard) {}

void ClosedRunner::apply(core::TimePoint now) {
  const auto offset = now - start_at_;
  target_ = worker_.placement.vu_share(schedule_.target(offset));
  while (static_cast<std::int64_t>(vus_.size()) < target_) add_vu();
  if (active(now)) {
    for (std::int64_t i = 0; i < target_; ++i) {
      Vu& vu = *vus_[static_cast<std::size_t>(i)];
      if (!vu.busy()) start(vu, now, false);
    }
  }
  on_tick(now);
  if (const auto next = schedule_.next_change(offset)) arm(start_at_ + *next);
}

void ClosedRunner::on_tick(core::TimePoint now) {
  // From the end on, gracefulStop governs: iterations under way may finish until
  // ScenarioRunner::tick cuts what is left at hard_end_at_ (as k6 does).
  if (now >= end_at_) return;
  // VUs beyond the hard limit (the target gracefulRampDown ago) are cut now.
  const auto limit = worker_.placement.vu_share(schedule_.hard_limit(now - start_at_));
  for (auto i = static_cast<std::size_t>(std::max<std::int64_t>(limit, 0)); i < vus_.size(); ++i) {
    vus_[i]->interrupt();
  }
}

void ClosedRunner::on_vu_free(Vu& vu, core::TimePoint now) {
  if (active(now) && static_cast<std::int64_t>(vu.slot()) < target_) start(vu, now, false);
}

}  // namespace loadlab::load::engine
