// Iteration budgets: per VU or shared by the worker's VUs.
#include "load/engine/iterations_runner.hpp"

namespace loadlab::load::engine {

IterationsRunner::IterationsRunner(WorkerContext& worker, const PreparedScenario& scenario)
    : ScenarioRunner(worker, scenario) {
  const IterationBudget budget = iteration_budget(*scenario.scenario, worker.placement.shard);
  shared_ = scenario.scenario->executor == Executor::shared_iterations;
  vu_count_ = worker.placement.vu_share(budget.vus);
  per_vu_ = budget.iterations_per_vu;
  remaining_ = shared_ ? worker.placement.split(budget.shared_total) : 0;
  if (shared_ && remaining_ > 0 && vu_count_ == 0) vu_count_ = 1;
}

void IterationsRunner::on_start(core::TimePoint now) {
  while (static_cast<std::int64_t>(vus_.size()) < vu_count_) add_vu();
  for (auto& vu : vus_) try_start(*vu, now);
}

void IterationsRunner::try_start(Vu& vu, core::TimePoint now) {
  if (!active(now)) return;
  if (shared_) {
    if (remaining_ <= 0) return;
    --remaining_;
  } else if (vu.iterations_done() >= per_vu_) {
    return;
  }
  start(vu, now, false);
}

bool IterationsRunner::exhausted() const noexcept {
  if (shared_) return remaining_ <= 0;
  for (const auto& vu : vus_) {
    if (vu->busy() || vu->iterations_done() < per_vu_) return false;
  }
  return true;
}

}  // namespace loadlab::load::engine
