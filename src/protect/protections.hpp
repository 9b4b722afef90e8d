// One service's protections: the switchboard plus one instance of each, ready for the routes.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "protect/adaptive_limiter.hpp"
#include "protect/codel_queue.hpp"
#include "protect/deadline.hpp"
#include "protect/dependency_guard.hpp"
#include "protect/load_shedder.hpp"
#include "protect/memory_admission.hpp"
#include "protect/protection_set.hpp"

namespace loadlab::protect {

// Held for a request's whole life once admitted. complete() feeds the adaptive limiter the
// request's latency; destruction without it releases the slots without a sample.
class RequestAdmission {
 public:
  RequestAdmission() noexcept = default;
  void complete(CallOutcome outcome) noexcept {
    adaptive_.complete(outcome);
    shed_.release();
  }
  // False when no protection took anything (shedding and the adaptive limit both off).
  [[nodiscard]] bool holds() const noexcept { return shed_.holds() || adaptive_.holds(); }

 private:
  friend class Protections;
  SlotPermit shed_;
  AdaptivePermit adaptive_;
};

// Thread-safe: every member is (see each class). Constructed at start-up; the routes keep a
// reference. Switches and parameters change at run time through settings().update(json); the
// components are reconfigured by a listener registered here.
class Protections {
 public:
  // One DependencyGuard per name in kDependencies, whose settings can name them.
  Protections(const ProtectionSettings& initial, core::Clock& clock, metrics::Registry& registry);
  Protections(const Protections&) = delete;
  Protections& operator=(const Protections&) = delete;

  ProtectionSet& settings() noexcept { return switches_; }
  [[nodiscard]] bool enabled(Protection protection) const noexcept {
    return switches_.enabled(protection);
  }

  // The request's deadline from its arrival and X-Request-Timeout-Ms. With `timeouts` off
  // the deadline is "never" and the header is ignored (naked). Error: 422 naming the header.
  core::Expected<Deadline, std::string> request_deadline(
      core::TimePoint received_at, std::optional<std::string_view> timeout_header) const;
  // Step timeouts (connect, read, pool acquire) cut to what the deadline leaves; with
  // `timeouts` off: the deadline's remainder only (infinite when naked).
  [[nodiscard]] core::Duration connect_timeout(const Deadline& deadline) const;
  [[nodiscard]] core::Duration read_timeout(const Deadline& deadline) const;
  [[nodiscard]] core::Duration pool_acquire_timeout(const Deadline& deadline) const;
  // X-Request-Timeout-Ms for an outbound attempt sent now (propagated_timeout_ms); nothing with
  // `timeouts` off or without a deadline: a naked call carries no deadline.
  [[nodiscard]] std::optional<std::int64_t> outbound_timeout_ms(const Deadline& deadline) const;

  // Before any work of a non-exempt route: the shedder (429) then the adaptive limiter (503).
  core::Expected<RequestAdmission, Rejection> admit_request(Priority priority);

  // The guard of a dependency named at construction; throws std::out_of_range otherwise
  // (look it up once at start-up).
  DependencyGuard& dependency(std::string_view name);

  // CPU work queue: consult only when enabled(Protection::queue) (naked: unbounded).
  CodelQueue& compute_queue() noexcept { return compute_queue_; }
  // Memory: with `memory` off it always admits (an empty reservation).
  core::Expected<MemoryReservation, Rejection> try_reserve_memory(std::uint64_t bytes);
  MemoryAdmission& memory() noexcept { return memory_; }

  LoadShedder& shedder() noexcept { return shedder_; }
  AdaptiveLimiter& adaptive_limiter() noexcept { return adaptive_; }

 private:
  void apply(const ProtectionSettings& before, const ProtectionSettings& after);
  void store_timeouts(const DeadlineConfig& timeouts);
  [[nodiscard]] core::Duration step(const std::atomic<std::int64_t>& timeout_ns,
                                    const Deadline& deadline) const;

  core::Clock& clock_;
  ProtectionSet switches_;
  LoadShedder shedder_;
  AdaptiveLimiter adaptive_;
  CodelQueue compute_queue_;
  MemoryAdmission memory_;
  std::map<std::string, std::unique_ptr<DependencyGuard>, std::less<>> dependencies_;

  // Hot copies of the timeout parameters, so the request path takes no lock.
  std::atomic<std::int64_t> default_timeout_ns_{0};
  std::atomic<std::int64_t> min_timeout_ns_{0};
  std::atomic<std::int64_t> max_timeout_ns_{0};
  std::atomic<std::int64_t> connect_timeout_ns_{0};
  std::atomic<std::int64_t> read_timeout_ns_{0};
  std::atomic<std::int64_t> pool_timeout_ns_{0};
};

}  // namespace loadlab::protect
