// Memory exhaustion (seed 000): allocations that really occupy RSS, retained (leak) or held
// briefly (spike), accounted against a process-wide budget.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "core/expected.hpp"
#include "http/message.hpp"
#include "protect/memory_admission.hpp"
#include "protect/rejection.hpp"

namespace loadlab::http {
class Router;
}
namespace loadlab::metrics {
class Registry;
class Gauge;
}  // namespace loadlab::metrics

namespace loadlab::protect {
class Protections;
}

namespace loadlab::target {

inline constexpr std::size_t mebibyte = 1024 * 1024;

enum class AllocationError { over_budget, out_of_memory };

class MemoryStore;

// A transient allocation; its bytes count against the budget until it is destroyed.
class MemoryBlock {
 public:
  MemoryBlock() = default;
  MemoryBlock(MemoryBlock&& other) noexcept;
  MemoryBlock& operator=(MemoryBlock&& other) noexcept;
  MemoryBlock(const MemoryBlock&) = delete;
  MemoryBlock& operator=(const MemoryBlock&) = delete;
  ~MemoryBlock();

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] const std::byte* data() const noexcept { return bytes_.get(); }

 private:
  friend class MemoryStore;
  MemoryBlock(MemoryStore* owner, std::unique_ptr<std::byte[]> bytes, std::size_t size) noexcept
      : owner_(owner), bytes_(std::move(bytes)), size_(size) {}
  void release() noexcept;

  MemoryStore* owner_ = nullptr;
  std::unique_ptr<std::byte[]> bytes_;
  std::size_t size_ = 0;
};

class MemoryStore {
 public:
  // budget_bytes 0: no budget (the process grows until the kernel or a cgroup stops it).
  explicit MemoryStore(std::size_t budget_bytes) noexcept : budget_(budget_bytes) {}
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // Allocates `bytes`, writes to every page, keeps it until clear(). Returns the retained total.
  core::Expected<std::size_t, AllocationError> retain(std::size_t bytes);
  // Allocates and touches `bytes`, released when the returned block goes away.
  core::Expected<MemoryBlock, AllocationError> allocate(std::size_t bytes);
  // Frees every retained block; returns the bytes freed.
  std::size_t clear();

  [[nodiscard]] std::size_t retained_bytes() const;
  [[nodiscard]] std::size_t transient_bytes() const;
  [[nodiscard]] std::size_t retained_blocks() const;
  [[nodiscard]] std::size_t budget_bytes() const noexcept { return budget_; }

 private:
  friend class MemoryBlock;
  core::Expected<std::unique_ptr<std::byte[]>, AllocationError> reserve_and_touch(std::size_t bytes,
                                                                                  bool retained);
  void transient_released(std::size_t bytes) noexcept;

  const std::size_t budget_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<std::byte[]>> retained_;
  std::size_t retained_bytes_ = 0;
  std::size_t transient_bytes_ = 0;
};

class MemoryRoutes {
 public:
  MemoryRoutes(MemoryStore& store, metrics::Registry& registry);
  void register_routes(http::Router& router);
  // Memory admission: allocations that would pass the budget get 503 instead of an OOM kill.
  void set_protections(protect::Protections& protections) { protections_ = &protections; }

  boost::asio::awaitable<http::Response> leak(http::RequestContext& context);
  boost::asio::awaitable<http::Response> spike(http::RequestContext& context);
  boost::asio::awaitable<http::Response> clear(http::RequestContext& context);

 private:
  void publish();
  core::Expected<protect::MemoryReservation, protect::Rejection> admit(std::size_t bytes);
  http::Response refused(AllocationError error, std::size_t bytes, unsigned version) const;

  MemoryStore& store_;
  protect::Protections* protections_ = nullptr;
  metrics::Gauge& retained_gauge_;
  metrics::Gauge& transient_gauge_;
};

}  // namespace loadlab::target
