// ${vu} numbering: over all shards and worker threads a scenario's N VUs are exactly 1..N.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "load/engine/worker_context.hpp"
#include "load/shard.hpp"

namespace loadlab::load::engine {
namespace {

// The ids every worker of every shard gives its VUs when the scenario asks for `total` VUs,
// computed as the runners do: the shard's share (schedule), the worker's (runner), then vu_id.
std::vector<std::int64_t> ids_for(std::int64_t total, std::int64_t shards, int threads) {
  std::vector<std::int64_t> ids;
  for (std::int64_t index = 1; index <= shards; ++index) {
    const Shard shard{index, shards};
    for (int thread = 0; thread < threads; ++thread) {
      const WorkerPlacement placement{shard, thread, threads};
      const std::int64_t local_count = placement.vu_share(vu_share(total, shard));
      for (std::int64_t local = 0; local < local_count; ++local) {
        ids.push_back(placement.vu_id(local));
      }
    }
  }
  return ids;
}

std::vector<std::int64_t> one_to(std::int64_t n) {
  std::vector<std::int64_t> ids;
  for (std::int64_t id = 1; id <= n; ++id) ids.push_back(id);
  return ids;
}

TEST(VuNumbering, TheTestersCasesAreOneToN) {
  // per-vu-iterations, vus 3, -t 2 used to send vu = 1, 2, 4; vus 5, -t 4 sent 1, 2, 3, 4, 8.
  std::vector<std::int64_t> ids = ids_for(3, 1, 2);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, one_to(3));
  ids = ids_for(5, 1, 4);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, one_to(5));
}

TEST(VuNumbering, TheFirstThreadGetsTheSmallerShare) {
  // The first worker runs on the calling thread and also supervises the run.
  const WorkerPlacement first{Shard{}, 0, 2};
  const WorkerPlacement second{Shard{}, 1, 2};
  EXPECT_EQ(first.vu_share(1), 0);
  EXPECT_EQ(second.vu_share(1), 1);
  EXPECT_EQ(second.vu_id(0), 1);
  EXPECT_EQ(first.vu_share(3), 1);
  EXPECT_EQ(second.vu_share(3), 2);
}

TEST(VuNumbering, EveryShardAndThreadMixIsOneToN) {
  for (std::int64_t total = 0; total <= 40; ++total) {
    for (std::int64_t shards = 1; shards <= 5; ++shards) {
      for (int threads = 1; threads <= 5; ++threads) {
        std::vector<std::int64_t> ids = ids_for(total, shards, threads);
        std::sort(ids.begin(), ids.end());
        EXPECT_EQ(ids, one_to(total))
            << total << " VUs, " << shards << " shards, " << threads << " threads";
      }
    }
  }
}

TEST(VuNumbering, ARampOnlyAddsVusSoIdsStayUniqueAndWithinThePeak) {
  // A ramping target that goes up and down: each worker creates VUs up to the most it was ever
  // asked for and keeps them (ids fixed at creation), so the ids created over the whole ramp
  // must still be distinct and at most the peak.
  const std::vector<std::int64_t> targets{0, 2, 3, 7, 4, 11, 6, 9, 1};
  for (std::int64_t shards = 1; shards <= 5; ++shards) {
    for (int threads = 1; threads <= 4; ++threads) {
      std::set<std::int64_t> created;
      std::int64_t created_count = 0;
      for (std::int64_t index = 1; index <= shards; ++index) {
        const Shard shard{index, shards};
        for (int thread = 0; thread < threads; ++thread) {
          const WorkerPlacement placement{shard, thread, threads};
          std::int64_t allocated = 0;
          for (const std::int64_t target : targets) {
            allocated = std::max(allocated, placement.vu_share(vu_share(target, shard)));
          }
          for (std::int64_t local = 0; local < allocated; ++local) {
            created.insert(placement.vu_id(local));
            ++created_count;
          }
        }
      }
      EXPECT_EQ(created_count, 11) << shards << " shards, " << threads << " threads";
      const std::vector<std::int64_t> expected = one_to(11);
      EXPECT_EQ(created, std::set<std::int64_t>(expected.begin(), expected.end()));
    }
  }
}

}  // namespace
}  // namespace loadlab::load::engine
