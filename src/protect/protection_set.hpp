// Which protections are on and with which parameters: profiles, lists, JSON, run-time switching.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "protect/adaptive_limiter.hpp"
#include "protect/bulkhead.hpp"
#include "protect/circuit_breaker.hpp"
#include "protect/codel_queue.hpp"
#include "protect/deadline.hpp"
#include "protect/load_shedder.hpp"
#include "protect/memory_admission.hpp"
#include "protect/retry_budget.hpp"
#include "protect/retry_policy.hpp"

namespace loadlab::protect {

enum class Protection : std::uint8_t {
  timeouts,  // request deadline, downstream connect/read timeouts, pool acquire timeout
  breaker,   // circuit breaker per dependency
  shed,      // priority-tiered concurrency limit (429)
  adaptive,  // gradient concurrency limit (503)
  queue,     // bounded CPU work queue with CoDel (503)
  bulkhead,  // concurrency cap per dependency (503)
  retry,     // retries with backoff and a budget
  memory,    // memory admission (503)
};
inline constexpr std::array<Protection, 8> kAllProtections = {
    Protection::timeouts, Protection::breaker,  Protection::shed,  Protection::adaptive,
    Protection::queue,    Protection::bulkhead, Protection::retry, Protection::memory};

std::string_view protection_name(Protection protection) noexcept;
std::optional<Protection> parse_protection(std::string_view name) noexcept;

// A set of protections as bits; a value type.
class ProtectionMask {
 public:
  constexpr ProtectionMask() noexcept = default;
  static constexpr ProtectionMask none() noexcept { return ProtectionMask{}; }
  static constexpr ProtectionMask all() noexcept {
    return ProtectionMask{(1u << kAllProtections.size()) - 1};
  }
  static constexpr ProtectionMask from_bits(std::uint32_t bits) noexcept {
    return ProtectionMask{bits & all().bits_};
  }
  [[nodiscard]] constexpr bool has(Protection p) const noexcept { return (bits_ & bit(p)) != 0; }
  constexpr ProtectionMask& set(Protection p, bool on) noexcept {
    bits_ = on ? (bits_ | bit(p)) : (bits_ & ~bit(p));
    return *this;
  }
  [[nodiscard]] constexpr std::uint32_t bits() const noexcept { return bits_; }
  constexpr bool operator==(const ProtectionMask&) const noexcept = default;

 private:
  constexpr explicit ProtectionMask(std::uint32_t bits) noexcept : bits_(bits) {}
  static constexpr std::uint32_t bit(Protection p) noexcept {
    return 1u << static_cast<unsigned>(p);
  }
  std::uint32_t bits_ = 0;
};

// "naked" (none), "protected" (all) or a comma list such as "breaker,shed,timeouts" (spaces
// around names allowed). An unknown or empty name is an error that names it.
core::Expected<ProtectionMask, std::string> parse_protection_list(std::string_view text);
// "naked", "protected" or the comma list in kAllProtections order.
std::string format_protection_list(ProtectionMask mask);

// The dependencies a service guards, each with a DependencyGuard of its own.
inline constexpr std::array<std::string_view, 2> kDependencies = {"downstream", "database"};

// Every tunable parameter, one section per protection.
struct ProtectionParams {
  DeadlineConfig timeouts;
  CircuitBreakerConfig breaker;
  LoadShedderConfig shed;
  AdaptiveLimiterConfig adaptive;
  CodelQueueConfig queue;
  BulkheadConfig bulkhead;
  RetryConfig retry;
  RetryBudgetConfig retry_budget;  // JSON: inside the "retry" section
  MemoryAdmissionConfig memory;
  // A breaker or bulkhead of a dependency's own in place of the shared section, as Envoy sets
  // circuit breakers per cluster: a database wants other limits than an HTTP dependency. JSON:
  // {"dependencies":{"database":{"bulkhead":{...}}}}. An override is a whole section, copied from
  // the shared one when first set and independent from then on; null removes it.
  std::map<std::string, CircuitBreakerConfig, std::less<>> breaker_overrides;
  std::map<std::string, BulkheadConfig, std::less<>> bulkhead_overrides;
  bool operator==(const ProtectionParams&) const = default;

  // What a dependency's breaker and bulkhead use: its override, or the shared section.
  [[nodiscard]] const CircuitBreakerConfig& breaker_for(std::string_view dependency) const;
  [[nodiscard]] const BulkheadConfig& bulkhead_for(std::string_view dependency) const;
};

struct ProtectionSettings {
  ProtectionMask enabled;
  ProtectionParams params;
  bool operator==(const ProtectionSettings&) const = default;
};

// Every section validated; the message names the section and field ("breaker.window_size ...").
std::string validate(const ProtectionParams& params);

// JSON form (GET /admin/protections):
//   {"profile": "naked"|"protected"|"<list>", "enabled": ["breaker", ...],
//    "timeouts": {"enabled": true, "request_timeout_ms": 30000, ...}, "breaker": {...}, ...,
//    "dependencies": {"downstream": {}, "database": {"bulkhead": {"max_concurrent": 4, ...}}}}
nlohmann::json to_json(const ProtectionSettings& settings);

// PUT /admin/protections: a partial document applied on top of `current`. "profile" (a profile
// name or list) or "enabled" (array of names, or the same string form) set the whole mask first;
// then each section may set "enabled" and any of its fields; then "dependencies" sets or removes
// (null) a dependency's own breaker or bulkhead fields. Unknown sections, dependencies or fields,
// wrong types and invalid values are errors naming them; nothing is applied on error.
core::Expected<ProtectionSettings, std::string> apply_json(const ProtectionSettings& current,
                                                           const nlohmann::json& body);

// The run-time switchboard shared by all I/O threads. enabled() is one relaxed atomic load.
// update() is serialised by a mutex and calls the listeners (old, new) under it, so the
// components see changes in order; listeners must not call back into the ProtectionSet.
class ProtectionSet {
 public:
  using Listener =
      std::function<void(const ProtectionSettings& before, const ProtectionSettings& after)>;

  explicit ProtectionSet(const ProtectionSettings& initial);

  [[nodiscard]] bool enabled(Protection protection) const noexcept {
    return ProtectionMask::from_bits(mask_.load(std::memory_order_relaxed)).has(protection);
  }
  [[nodiscard]] ProtectionMask mask() const noexcept {
    return ProtectionMask::from_bits(mask_.load(std::memory_order_relaxed));
  }
  [[nodiscard]] ProtectionSettings settings() const;

  // Applies a PUT body; returns the new settings or the validation error (nothing changed).
  core::Expected<ProtectionSettings, std::string> update(const nlohmann::json& body);
  // Replaces the settings wholesale (already validated by the caller).
  void replace(const ProtectionSettings& settings);

  void add_listener(Listener listener);

 private:
  mutable std::mutex mutex_;
  ProtectionSettings settings_;
  std::atomic<std::uint32_t> mask_{0};
  std::vector<Listener> listeners_;
};

}  // namespace loadlab::protect
