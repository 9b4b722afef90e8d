// A tiny, fast, seedable random source (SplitMix64) for request mixes, templates and think time;
// one per worker or VU, never shared between threads.
#pragma once

#include <cstdint>

namespace loadlab::load {

class Random {
 public:
  explicit Random(std::uint64_t seed = 0x9E3779B97F4A7C15ULL) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double uniform01() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [low, high] (inclusive); low when high <= low.
  std::int64_t uniform_int(std::int64_t low, std::int64_t high) noexcept {
    if (high <= low) return low;
    const auto span = static_cast<std::uint64_t>(high - low) + 1;
    return low + static_cast<std::int64_t>(span == 0 ? next() : next() % span);
  }

 private:
  std::uint64_t state_;
};

}  // namespace loadlab::load
