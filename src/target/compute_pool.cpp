// Compute pool life cycle.
#include "target/compute_pool.hpp"

#include <algorithm>

namespace loadlab::target {

ComputePool::ComputePool(int threads)
    : threads_(std::max(1, threads)), pool_(static_cast<std::size_t>(threads_)) {}

ComputePool::~ComputePool() {
  stop();
}

void ComputePool::stop() {
  pool_.stop();
  pool_.join();
}

}  // namespace loadlab::target
