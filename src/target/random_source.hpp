// Lock-free pseudo-random numbers for simulated delays and failures; seedable so tests repeat.
#pragma once

#include <atomic>
#include <cstdint>

namespace loadlab::target {

class RandomSource {
 public:
  explicit RandomSource(std::uint64_t seed) noexcept : state_(seed) {}

  // splitmix64 over an atomic counter: each call gets its own well-mixed value, no lock.
  std::uint64_t next() noexcept {
    std::uint64_t z =
        state_.fetch_add(0x9E3779B97F4A7C15ull, std::memory_order_relaxed) + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [low, high].
  double uniform(double low, double high) noexcept { return low + (high - low) * unit(); }
  // True with probability p (p <= 0: never, p >= 1: always).
  bool chance(double p) noexcept { return p > 0 && (p >= 1 || unit() < p); }

 private:
  std::atomic<std::uint64_t> state_;
};

}  // namespace loadlab::target
