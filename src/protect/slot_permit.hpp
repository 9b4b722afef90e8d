// Move-only RAII handle for one slot of an atomic concurrency counter (shedder, bulkhead).
#pragma once

#include <atomic>
#include <utility>

#include "metrics/registry.hpp"

namespace loadlab::protect {

class SlotPermit {
 public:
  SlotPermit() noexcept = default;
  // `inflight_gauge`, when given, mirrors the counter for /metrics (incremented by the caller).
  explicit SlotPermit(std::atomic<int>& counter, metrics::Gauge* inflight_gauge = nullptr) noexcept
      : counter_(&counter), gauge_(inflight_gauge) {}
  SlotPermit(SlotPermit&& other) noexcept
      : counter_(std::exchange(other.counter_, nullptr)),
        gauge_(std::exchange(other.gauge_, nullptr)) {}
  SlotPermit& operator=(SlotPermit&& other) noexcept {
    if (this != &other) {
      release();
      counter_ = std::exchange(other.counter_, nullptr);
      gauge_ = std::exchange(other.gauge_, nullptr);
    }
    return *this;
  }
  SlotPermit(const SlotPermit&) = delete;
  SlotPermit& operator=(const SlotPermit&) = delete;
  ~SlotPermit() { release(); }

  // Gives the slot back early; the destructor then does nothing.
  void release() noexcept {
    if (counter_ == nullptr) return;
    std::exchange(counter_, nullptr)->fetch_sub(1, std::memory_order_acq_rel);
    if (gauge_ != nullptr) std::exchange(gauge_, nullptr)->dec();
  }
  [[nodiscard]] bool holds() const noexcept { return counter_ != nullptr; }

 private:
  std::atomic<int>* counter_ = nullptr;
  metrics::Gauge* gauge_ = nullptr;
};

// Takes one slot if fewer than `limit` are taken; lock-free.
inline bool try_take_slot(std::atomic<int>& counter, int limit) noexcept {
  int current = counter.load(std::memory_order_relaxed);
  do {
    if (current >= limit) return false;
  } while (!counter.compare_exchange_weak(current, current + 1, std::memory_order_acq_rel,
                                          std::memory_order_relaxed));
  return true;
}

}  // namespace loadlab::protect
