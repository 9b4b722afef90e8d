// per-vu-iterations (each VU runs `iterations`) and shared-iterations (the VUs share
// `iterations`), bounded by maxDuration; this worker runs its split of VUs and iterations.
#pragma once

#include "load/engine/scenario_runner.hpp"
#include "load/schedule.hpp"

namespace loadlab::load::engine {

class IterationsRunner final : public ScenarioRunner {
 public:
  IterationsRunner(WorkerContext& worker, const PreparedScenario& scenario);

 private:
  void on_start(core::TimePoint now) override;
  void on_vu_free(Vu& vu, core::TimePoint now) override { try_start(vu, now); }
  [[nodiscard]] bool exhausted() const noexcept override;
  void try_start(Vu& vu, core::TimePoint now);

  bool shared_ = false;
  std::int64_t vu_count_ = 0;
  std::int64_t per_vu_ = 0;
  std::int64_t remaining_ = 0;  // shared-iterations: not yet started
};

}  // namespace loadlab::load::engine
