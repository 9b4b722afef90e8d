// Drain and in-flight state shared between the server and the routes (readiness reads it).
#pragma once

#include <atomic>
#include <cstdint>

namespace loadlab::http {

class ServerState {
 public:
  // Readiness must fail from the moment this returns true.
  [[nodiscard]] bool draining() const noexcept { return draining_.load(std::memory_order_acquire); }
  // Returns true for the call that started the drain.
  bool begin_draining() noexcept { return !draining_.exchange(true, std::memory_order_acq_rel); }

  [[nodiscard]] std::int64_t inflight() const noexcept {
    return inflight_.load(std::memory_order_relaxed);
  }
  void request_started() noexcept { inflight_.fetch_add(1, std::memory_order_relaxed); }
  void request_finished() noexcept { inflight_.fetch_sub(1, std::memory_order_relaxed); }

  [[nodiscard]] std::int64_t open_connections() const noexcept {
    return connections_.load(std::memory_order_relaxed);
  }
  // Admits a connection unless `limit` are already open.
  bool try_open_connection(std::int64_t limit) noexcept {
    std::int64_t current = connections_.load(std::memory_order_relaxed);
    while (current < limit) {
      if (connections_.compare_exchange_weak(current, current + 1, std::memory_order_acq_rel)) {
        return true;
      }
    }
    return false;
  }
  // Returns the number of connections still open.
  std::int64_t close_connection() noexcept {
    return connections_.fetch_sub(1, std::memory_order_acq_rel) - 1;
  }

 private:
  std::atomic<bool> draining_{false};
  std::atomic<std::int64_t> inflight_{0};
  std::atomic<std::int64_t> connections_{0};
};

}  // namespace loadlab::http
