// Open model (constant-arrival-rate, ramping-arrival-rate): iterations start at their intended
// times from the schedule, each on a free VU; with none free, a new VU while under maxVUs,
// else the iteration is dropped (k6) or, in quick mode with -R, waits for the next free VU
// and its latency still counts from the intended time (wrk2).
#pragma once

#include <vector>

#include "load/engine/scenario_runner.hpp"
#include "load/schedule.hpp"

namespace loadlab::load::engine {

class ArrivalRunner final : public ScenarioRunner {
 public:
  ArrivalRunner(WorkerContext& worker, const PreparedScenario& scenario);

 private:
  void on_start(core::TimePoint now) override;
  void on_timer(core::TimePoint now) override { dispatch(now); }
  void on_vu_free(Vu& vu, core::TimePoint now) override;
  void on_active_end(core::TimePoint now) override;
  void dispatch(core::TimePoint now);

  ArrivalSchedule schedule_;
  std::int64_t pre_allocated_ = 0;
  std::int64_t max_vus_ = 0;
  std::int64_t next_ = 0;  // this worker's next iteration (local index)
  std::vector<Vu*> idle_;
  bool waiting_for_vu_ = false;
};

}  // namespace loadlab::load::engine
