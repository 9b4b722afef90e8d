// Closed model (constant-vus, ramping-vus): this worker's share of the VU target loops
// iterations back to back; VUs above a falling target finish their iteration (within
// gracefulRampDown) and then wait.
#pragma once

#include "load/engine/scenario_runner.hpp"
#include "load/schedule.hpp"

namespace loadlab::load::engine {

class ClosedRunner final : public ScenarioRunner {
 public:
  ClosedRunner(WorkerContext& worker, const PreparedScenario& scenario);

 private:
  void on_start(core::TimePoint now) override { apply(now); }
  void on_timer(core::TimePoint now) override { apply(now); }
  void on_tick(core::TimePoint now) override;
  void on_vu_free(Vu& vu, core::TimePoint now) override;
  void apply(core::TimePoint now);

  VuSchedule schedule_;
  std::int64_t target_ = 0;
};

}  // namespace loadlab::load::engine
