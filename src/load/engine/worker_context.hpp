// What the VUs and scenario runners of one worker thread share: its event loop, clock,
// recorder, live counters and random source, plus the run's read-only prepared scenarios.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/clock.hpp"
#include "load/engine/connection.hpp"
#include "load/engine/live_stats.hpp"
#include "load/engine/request_builder.hpp"
#include "load/random.hpp"
#include "load/recorder.hpp"
#include "load/scenario.hpp"
#include "load/shard.hpp"

namespace loadlab::load::engine {

// One scenario of the plan, ready to run: its request builders and cumulative mix weights.
struct PreparedScenario {
  const Scenario* scenario = nullptr;
  std::uint32_t index = 0;
  std::vector<RequestBuilder> requests;
  std::vector<double> cumulative_weights;  // weighted mix: running sums of the weights

  // Index of a request drawn by weight with u uniform in [0, 1).
  [[nodiscard]] std::size_t pick(double u) const noexcept {
    const double target = u * cumulative_weights.back();
    for (std::size_t i = 0; i < cumulative_weights.size(); ++i) {
      if (target < cumulative_weights[i]) return i;
    }
    return cumulative_weights.size() - 1;
  }
};

// How a worker's slice of the run is placed among all workers of all shards: ids, ${seq}
// values and arrival iterations are dealt by slot so they never collide.
struct WorkerPlacement {
  Shard shard;           // the run's --shard
  int thread_index = 0;  // 0-based within this process
  int thread_count = 1;

  [[nodiscard]] std::int64_t slots() const noexcept { return shard.count * thread_count; }
  [[nodiscard]] std::int64_t slot() const noexcept {
    return (shard.index - 1) + static_cast<std::int64_t>(thread_index) * shard.count;
  }
  // This worker's share of a shard-level number of iterations.
  [[nodiscard]] std::int64_t split(std::int64_t shard_amount) const noexcept {
    return split_count(shard_amount, Shard{thread_index + 1, thread_count});
  }
  // This worker's VUs among the shard's first shard_vus, dealt as shards deal the scenario's
  // (load::vu_share: round-robin from the last worker backwards).
  [[nodiscard]] std::int64_t vu_share(std::int64_t shard_vus) const noexcept {
    return load::vu_share(shard_vus, Shard{thread_index + 1, thread_count});
  }
  // ${vu} / ${__VU} of this worker's VU number `local` (0-based, in the order added): the
  // scenario's VU g = local * slots() + (slots() - 1 - slot()) plus one, so over all workers and
  // shards a scenario's N VUs are numbered exactly 1..N, as in k6.
  [[nodiscard]] std::int64_t vu_id(std::int64_t local) const noexcept {
    return (local + 1) * slots() - slot();
  }
  // The arrival-rate slice: global iteration g is this worker's when g mod slots == slot.
  [[nodiscard]] Shard arrival_shard() const noexcept { return Shard{slot() + 1, slots()}; }
};

struct WorkerContext {
  boost::asio::io_context& io;
  core::Clock& clock;
  Recorder& recorder;
  LiveStats& live;
  Random& random;
  ConnectionContext& connections;
  WorkerPlacement placement;
  core::TimePoint run_start;
  bool queue_when_busy = false;  // quick mode -R: late requests wait for a connection (wrk2)
  std::uint64_t sequence = 0;
  // Called by a runner when it has finished (the worker then ends its share at once).
  std::function<void()> runner_finished;

  // ${seq}: unique across the workers and shards of a run.
  std::uint64_t next_sequence() noexcept {
    return sequence++ * static_cast<std::uint64_t>(placement.slots()) +
           static_cast<std::uint64_t>(placement.slot());
  }
};

}  // namespace loadlab::load::engine
