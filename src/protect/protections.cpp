// Builds one instance of each protection and keeps them in step with the run-time settings.
#include "protect/protections.hpp"

#include <functional>
#include <stdexcept>

namespace loadlab::protect {

namespace {
constexpr core::TimePoint kNever = core::TimePoint::max();
}

Protections::Protections(const ProtectionSettings& initial, core::Clock& clock,
                         metrics::Registry& registry)
    : clock_(clock),
      switches_(initial),
      shedder_(initial.params.shed, registry),
      adaptive_(initial.params.adaptive, clock, registry),
      compute_queue_("compute", initial.params.queue, clock, registry),
      memory_(initial.params.memory, registry) {
  if (auto error = validate(initial.params); !error.empty()) {
    throw std::invalid_argument("protections: " + error);
  }
  for (const auto dependency : kDependencies) {
    const std::string name{dependency};
    const auto seed = std::hash<std::string>{}(name);
    dependencies_.emplace(
        name, std::make_unique<DependencyGuard>(name, initial, switches_, clock, registry, seed));
  }
  store_timeouts(initial.params.timeouts);
  switches_.add_listener([this](const ProtectionSettings& before, const ProtectionSettings& after) {
    apply(before, after);
  });
}

void Protections::apply(const ProtectionSettings& before, const ProtectionSettings& after) {
  const auto& old_params = before.params;
  const auto& params = after.params;
  if (old_params.shed != params.shed) shedder_.reconfigure(params.shed);
  if (old_params.adaptive != params.adaptive) adaptive_.reconfigure(params.adaptive);
  if (old_params.queue != params.queue) compute_queue_.reconfigure(params.queue);
  if (old_params.memory != params.memory) memory_.reconfigure(params.memory);
  if (old_params.timeouts != params.timeouts) store_timeouts(params.timeouts);
  for (auto& [name, guard] : dependencies_) guard->apply(old_params, params);
}

void Protections::store_timeouts(const DeadlineConfig& timeouts) {
  default_timeout_ns_.store(timeouts.default_timeout.count(), std::memory_order_relaxed);
  min_timeout_ns_.store(timeouts.min_timeout.count(), std::memory_order_relaxed);
  max_timeout_ns_.store(timeouts.max_timeout.count(), std::memory_order_relaxed);
  connect_timeout_ns_.store(timeouts.connect_timeout.count(), std::memory_order_relaxed);
  read_timeout_ns_.store(timeouts.read_timeout.count(), std::memory_order_relaxed);
  pool_timeout_ns_.store(timeouts.pool_acquire_timeout.count(), std::memory_order_relaxed);
}

core::Expected<Deadline, std::string> Protections::request_deadline(
    core::TimePoint received_at, std::optional<std::string_view> timeout_header) const {
  if (!enabled(Protection::timeouts)) return Deadline{kNever};
  DeadlineConfig config;
  config.default_timeout = core::Duration{default_timeout_ns_.load(std::memory_order_relaxed)};
  config.min_timeout = core::Duration{min_timeout_ns_.load(std::memory_order_relaxed)};
  config.max_timeout = core::Duration{max_timeout_ns_.load(std::memory_order_relaxed)};
  return protect::request_deadline(received_at, timeout_header, config);
}

core::Duration Protections::step(const std::atomic<std::int64_t>& timeout_ns,
                                 const Deadline& deadline) const {
  const auto now = clock_.now();
  if (!enabled(Protection::timeouts)) return deadline.remaining(now);
  return deadline.budget_for(core::Duration{timeout_ns.load(std::memory_order_relaxed)}, now);
}

core::Duration Protections::connect_timeout(const Deadline& deadline) const {
  return step(connect_timeout_ns_, deadline);
}
core::Duration Protections::read_timeout(const Deadline& deadline) const {
  return step(read_timeout_ns_, deadline);
}
core::Duration Protections::pool_acquire_timeout(const Deadline& deadline) const {
  return step(pool_timeout_ns_, deadline);
}

std::optional<std::int64_t> Protections::outbound_timeout_ms(const Deadline& deadline) const {
  if (!enabled(Protection::timeouts) || deadline.at() == kNever) return std::nullopt;
  return propagated_timeout_ms(deadline, clock_.now());
}

core::Expected<RequestAdmission, Rejection> Protections::admit_request(Priority priority) {
  RequestAdmission admission;
  if (enabled(Protection::shed)) {
    auto slot = shedder_.try_acquire(priority);
    if (!slot) return core::unexpected(slot.error());
    admission.shed_ = std::move(slot).value();
  }
  if (enabled(Protection::adaptive)) {
    auto permit = adaptive_.try_acquire();
    if (!permit) return core::unexpected(permit.error());  // the shed slot is released
    admission.adaptive_ = std::move(permit).value();
  }
  return admission;
}

DependencyGuard& Protections::dependency(std::string_view name) {
  const auto it = dependencies_.find(name);
  if (it == dependencies_.end()) {
    throw std::out_of_range("protections: unknown dependency '" + std::string{name} + "'");
  }
  return *it->second;
}

core::Expected<MemoryReservation, Rejection> Protections::try_reserve_memory(std::uint64_t bytes) {
  if (!enabled(Protection::memory)) return MemoryReservation{};
  return memory_.try_reserve(bytes);
}

}  // namespace loadlab::protect
