// Memory store accounting and the memory routes.
#include "target/memory.hpp"

#include <unistd.h>

#include <fstream>
#include <new>
#include <nlohmann/json.hpp>

#include "http/params.hpp"
#include "http/router.hpp"
#include "metrics/registry.hpp"
#include "protect/protections.hpp"
#include "target/protection_gate.hpp"
#include "target/sleep.hpp"

namespace loadlab::target {

namespace {

constexpr std::size_t page_size = 4096;

// Writing one byte per page makes the kernel back every page: RSS grows by `bytes`.
void touch_pages(std::byte* bytes, std::size_t size) noexcept {
  for (std::size_t offset = 0; offset < size; offset += page_size) {
    bytes[offset] = static_cast<std::byte>(offset / page_size | 1);
  }
  if (size > 0) bytes[size - 1] = std::byte{1};
}

double as_mebibytes(std::size_t bytes) {
  return static_cast<double>(bytes) / mebibyte;
}

}  // namespace

MemoryBlock::MemoryBlock(MemoryBlock&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)),
      bytes_(std::move(other.bytes_)),
      size_(std::exchange(other.size_, 0)) {}

MemoryBlock& MemoryBlock::operator=(MemoryBlock&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    bytes_ = std::move(other.bytes_);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MemoryBlock::~MemoryBlock() {
  release();
}

void MemoryBlock::release() noexcept {
  bytes_.reset();
  if (owner_ != nullptr) std::exchange(owner_, nullptr)->transient_released(size_);
  size_ = 0;
}

core::Expected<std::unique_ptr<std::byte[]>, AllocationError> MemoryStore::reserve_and_touch(
    std::size_t bytes, bool retained) {
  {
    std::lock_guard lock(mutex_);
    if (budget_ != 0 && retained_bytes_ + transient_bytes_ + bytes > budget_) {
      return core::unexpected(AllocationError::over_budget);
    }
    (retained ? retained_bytes_ : transient_bytes_) += bytes;
  }
  std::unique_ptr<std::byte[]> block(new (std::nothrow) std::byte[bytes]);
  if (!block) {
    std::lock_guard lock(mutex_);
    (retained ? retained_bytes_ : transient_bytes_) -= bytes;
    return core::unexpected(AllocationError::out_of_memory);
  }
  touch_pages(block.get(), bytes);
  return block;
}

core::Expected<std::size_t, AllocationError> MemoryStore::retain(std::size_t bytes) {
  auto block = reserve_and_touch(bytes, true);
  if (!block) return core::unexpected(block.error());
  std::lock_guard lock(mutex_);
  retained_.push_back(std::move(*block));
  return retained_bytes_;
}

core::Expected<MemoryBlock, AllocationError> MemoryStore::allocate(std::size_t bytes) {
  auto block = reserve_and_touch(bytes, false);
  if (!block) return core::unexpected(block.error());
  return MemoryBlock(this, std::move(*block), bytes);
}

std::size_t MemoryStore::clear() {
  std::vector<std::unique_ptr<std::byte[]>> freed;
  std::size_t bytes = 0;
  {
    std::lock_guard lock(mutex_);
    freed.swap(retained_);
    bytes = std::exchange(retained_bytes_, 0);
  }
  return bytes;  // `freed` returns the memory outside the lock
}

void MemoryStore::transient_released(std::size_t bytes) noexcept {
  std::lock_guard lock(mutex_);
  transient_bytes_ -= bytes;
}

std::size_t MemoryStore::retained_bytes() const {
  std::lock_guard lock(mutex_);
  return retained_bytes_;
}

std::size_t MemoryStore::transient_bytes() const {
  std::lock_guard lock(mutex_);
  return transient_bytes_;
}

std::size_t MemoryStore::retained_blocks() const {
  std::lock_guard lock(mutex_);
  return retained_.size();
}

MemoryRoutes::MemoryRoutes(MemoryStore& store, metrics::Registry& registry)
    : store_(store),
      retained_gauge_(registry
                          .gauge("memory_retained_bytes",
                                 "Bytes held by /api/memory-leak until /api/clear-memory")
                          .with({})),
      transient_gauge_(
          registry.gauge("memory_transient_bytes", "Bytes held for a moment by /api/memory-spike")
              .with({})) {}

void MemoryRoutes::register_routes(http::Router& router) {
  router.get("/api/memory-leak", [this](http::RequestContext& context) { return leak(context); });
  router.get("/api/memory-spike", [this](http::RequestContext& context) { return spike(context); });
  router.post("/api/clear-memory",
              [this](http::RequestContext& context) { return clear(context); });
}

void MemoryRoutes::publish() {
  retained_gauge_.set(static_cast<double>(store_.retained_bytes()));
  transient_gauge_.set(static_cast<double>(store_.transient_bytes()));
}

http::Response MemoryRoutes::refused(AllocationError error, std::size_t bytes,
                                     unsigned version) const {
  if (error == AllocationError::over_budget) {
    return http::error_response(http::Status::service_unavailable,
                                {{"error", "memory budget exhausted"},
                                 {"requested_mb", as_mebibytes(bytes)},
                                 {"budget_mb", as_mebibytes(store_.budget_bytes())},
                                 {"retained_mb", as_mebibytes(store_.retained_bytes())}},
                                version);
  }
  return http::error_response(
      http::Status::insufficient_storage,
      {{"error", "allocation failed"}, {"requested_mb", as_mebibytes(bytes)}}, version);
}

namespace {

// The process's resident set, so admission also sees memory it did not reserve itself.
std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages_total = 0;
  std::uint64_t pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

core::Expected<protect::MemoryReservation, protect::Rejection> MemoryRoutes::admit(
    std::size_t bytes) {
  if (protections_ == nullptr) return protect::MemoryReservation{};
  if (protections_->enabled(protect::Protection::memory)) {
    protections_->memory().set_observed_rss(resident_bytes());
  }
  return protections_->try_reserve_memory(bytes);
}

boost::asio::awaitable<http::Response> MemoryRoutes::leak(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto size_mb = http::parse_int_param(context.query, "size_mb", 10, 1, 100);
  if (!size_mb) co_return http::unprocessable(size_mb.error(), version);
  const std::size_t bytes = static_cast<std::size_t>(*size_mb) * mebibyte;
  auto reservation = admit(bytes);
  if (!reservation) co_return rejection_response(reservation.error(), version);
  auto retained = store_.retain(bytes);
  publish();
  if (!retained) co_return refused(retained.error(), bytes, version);
  reservation->retain();
  // The store is the truth: admission's retained total follows it even across toggles.
  if (protections_ != nullptr) protections_->memory().set_retained(store_.retained_bytes());
  co_return http::json_response(http::Status::ok,
                                {{"allocated_mb", *size_mb},
                                 {"total_retained_mb", as_mebibytes(*retained)},
                                 {"blocks", store_.retained_blocks()}},
                                version);
}

boost::asio::awaitable<http::Response> MemoryRoutes::spike(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto size_mb = http::parse_int_param(context.query, "size_mb", 50, 1, 500);
  if (!size_mb) co_return http::unprocessable(size_mb.error(), version);
  const std::size_t bytes = static_cast<std::size_t>(*size_mb) * mebibyte;
  auto reservation = admit(bytes);  // held until the block is freed
  if (!reservation) co_return rejection_response(reservation.error(), version);
  auto block = store_.allocate(bytes);
  publish();
  if (!block) co_return refused(block.error(), bytes, version);
  co_await sleep_for(context.executor, std::chrono::seconds(1));
  *block = MemoryBlock{};
  publish();
  co_return http::json_response(http::Status::ok,
                                {{"allocated_mb", *size_mb}, {"held_seconds", 1}, {"freed", true}},
                                version);
}

boost::asio::awaitable<http::Response> MemoryRoutes::clear(http::RequestContext& context) {
  const std::size_t freed = store_.clear();
  if (protections_ != nullptr) protections_->memory().set_retained(store_.retained_bytes());
  publish();
  co_return http::json_response(http::Status::ok,
                                {{"freed_mb", as_mebibytes(freed)}, {"retained_mb", 0}},
                                context.request.version());
}

}  // namespace loadlab::target
