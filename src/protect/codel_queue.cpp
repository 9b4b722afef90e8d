// Bounded queue admission with a CoDel sojourn rule; see codel_queue.hpp.
#include "protect/codel_queue.hpp"

#include <algorithm>
#include <array>
#include <chrono>

#include "metrics/registry.hpp"

namespace loadlab::protect {

namespace {
constexpr std::array<double, 14> kSojournBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};

metrics::Counter& shed_counter(metrics::Registry& registry, RejectReason reason) {
  return registry
      .counter("load_shed_total", "Requests refused before any work, by reason", {"reason"})
      .with({reason_name(reason)});
}
}  // namespace

std::string validate(const CodelQueueConfig& config) {
  if (config.capacity < 1 || config.capacity > 1'000'000) return "capacity must be 1..1000000";
  if (config.target <= core::Duration::zero()) return "target_ms must be > 0";
  if (config.interval < config.target) return "interval_ms must be >= target_ms";
  if (config.retry_after.count() < 1) return "retry_after_s must be >= 1";
  return {};
}

CodelQueue::CodelQueue(const std::string& name, const CodelQueueConfig& config, core::Clock& clock,
                       metrics::Registry& registry)
    : clock_(clock),
      full_total_(shed_counter(registry, RejectReason::queue_full)),
      timeout_total_(shed_counter(registry, RejectReason::queue_timeout)),
      depth_gauge_(
          registry.gauge("work_queue_depth", "Items waiting in a bounded work queue", {"queue"})
              .with({name})),
      sojourn_seconds_(registry
                           .histogram("work_queue_sojourn_seconds",
                                      "Time items waited in a bounded work queue", {"queue"},
                                      kSojournBuckets)
                           .with({name})),
      config_(config),
      interval_end_(clock.now() + config.interval) {}

core::Expected<QueueTicket, Rejection> CodelQueue::try_enqueue() {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  if (!admits_locked()) {
    full_total_.inc();
    return core::unexpected(Rejection{RejectReason::queue_full, config_.retry_after});
  }
  ++depth_;
  depth_gauge_.set(static_cast<double>(depth_));
  return QueueTicket{now};
}

core::Expected<core::Duration, Rejection> CodelQueue::on_dequeue(const QueueTicket& ticket) {
  const auto now = clock_.now();
  const auto sojourn = std::max(core::Duration::zero(), now - ticket.enqueued_at);
  std::lock_guard lock(mutex_);
  leave_locked();
  if (now >= interval_end_) {
    // No dequeue in the interval leaves min_sojourn_ at max(): treat it as "not overloaded".
    overloaded_ = min_sojourn_ != core::Duration::max() && min_sojourn_ > config_.target;
    min_sojourn_ = core::Duration::max();
    interval_end_ = now + config_.interval;
  }
  min_sojourn_ = std::min(min_sojourn_, sojourn);
  sojourn_seconds_.observe(std::chrono::duration<double>(sojourn).count());
  if (overloaded_ && sojourn > config_.target) {
    timeout_total_.inc();
    return core::unexpected(Rejection{RejectReason::queue_timeout, config_.retry_after});
  }
  return sojourn;
}

core::Expected<core::Duration, Rejection> CodelQueue::on_dequeue(const QueueTicket& ticket,
                                                                 core::TimePoint deadline) {
  if (clock_.now() >= deadline) {
    on_abandon(ticket);
    return core::unexpected(Rejection{RejectReason::deadline_expired});
  }
  return on_dequeue(ticket);
}

void CodelQueue::on_abandon(const QueueTicket& /*ticket*/) {
  std::lock_guard lock(mutex_);
  leave_locked();
}

std::size_t CodelQueue::depth() {
  std::lock_guard lock(mutex_);
  return depth_;
}

bool CodelQueue::overloaded() {
  std::lock_guard lock(mutex_);
  return overloaded_;
}

void CodelQueue::reconfigure(const CodelQueueConfig& config) {
  std::lock_guard lock(mutex_);
  config_ = config;
}

void CodelQueue::on_served(core::Duration service_time) {
  std::lock_guard lock(mutex_);
  if (service_time < core::Duration::zero()) service_time = core::Duration::zero();
  mean_service_ = mean_service_ == core::Duration::zero()
                      ? service_time
                      : mean_service_ + (service_time - mean_service_) / 8;
}

void CodelQueue::set_servers(std::size_t servers) {
  std::lock_guard lock(mutex_);
  servers_ = servers;
}

core::Duration CodelQueue::expected_wait() {
  std::lock_guard lock(mutex_);
  return expected_wait_locked();
}

core::Duration CodelQueue::expected_wait_locked() const {
  if (servers_ == 0) return core::Duration::zero();
  const auto servers = static_cast<std::int64_t>(servers_);
  // The items ahead, plus the rest of a running one: (depth + 1) services spread over the servers.
  return mean_service_ * (static_cast<std::int64_t>(depth_) + 1) / servers;
}

bool CodelQueue::admits_locked() const {
  if (depth_ >= config_.capacity) return false;
  if (servers_ == 0 || depth_ < servers_)
    return true;  // one waiting item per server keeps all busy
  if (mean_service_ == core::Duration::zero()) return false;  // no estimate before the first
  return expected_wait_locked() <= config_.target;
}

void CodelQueue::leave_locked() {
  if (depth_ > 0) --depth_;
  depth_gauge_.set(static_cast<double>(depth_));
}

}  // namespace loadlab::protect
