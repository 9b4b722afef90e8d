// Priority-tiered concurrency shedding; see load_shedder.hpp for the exact thresholds.
#include "protect/load_shedder.hpp"

#include <algorithm>

#include "metrics/registry.hpp"

namespace loadlab::protect {

std::optional<Priority> parse_priority(std::string_view text) noexcept {
  if (text == "low") return Priority::low;
  if (text == "normal") return Priority::normal;
  if (text == "high") return Priority::high;
  return std::nullopt;
}

std::string_view priority_name(Priority priority) noexcept {
  switch (priority) {
    case Priority::low:
      return "low";
    case Priority::normal:
      return "normal";
    case Priority::high:
      return "high";
  }
  return "normal";
}

std::string validate(const LoadShedderConfig& config) {
  if (config.limit < 1 || config.limit > 1'000'000) return "limit must be 1..1000000";
  for (int percent : config.tier_percent) {
    if (percent < 1 || percent > 100)
      return "low_percent, normal_percent, high_percent must be 1..100";
  }
  if (config.tier_percent[0] > config.tier_percent[1] ||
      config.tier_percent[1] > config.tier_percent[2]) {
    return "low_percent <= normal_percent <= high_percent is required";
  }
  if (config.retry_after.count() < 1) return "retry_after_s must be >= 1";
  return {};
}

LoadShedder::LoadShedder(const LoadShedderConfig& config, metrics::Registry& registry)
    : shed_total_(
          registry
              .counter("load_shed_total", "Requests refused before any work, by reason", {"reason"})
              .with({reason_name(RejectReason::concurrency_limit)})) {
  auto& by_priority = registry.counter(
      "load_shed_priority_total", "Requests refused by the concurrency shedder, by priority tier",
      {"priority"});
  for (auto tier : {Priority::low, Priority::normal, Priority::high}) {
    shed_by_priority_[static_cast<int>(tier)] = &by_priority.with({priority_name(tier)});
  }
  reconfigure(config);
}

void LoadShedder::reconfigure(const LoadShedderConfig& config) {
  for (std::size_t tier = 0; tier < thresholds_.size(); ++tier) {
    const int threshold = std::max(1, config.limit * config.tier_percent[tier] / 100);
    thresholds_[tier].store(threshold, std::memory_order_relaxed);
  }
  retry_after_seconds_.store(config.retry_after.count(), std::memory_order_relaxed);
}

core::Expected<SlotPermit, Rejection> LoadShedder::try_acquire(Priority priority) {
  const auto tier = static_cast<std::size_t>(priority);
  if (try_take_slot(inflight_, thresholds_[tier].load(std::memory_order_relaxed))) {
    return SlotPermit{inflight_};
  }
  shed_total_.inc();
  shed_by_priority_[tier]->inc();
  return core::unexpected(
      Rejection{RejectReason::concurrency_limit,
                std::chrono::seconds{retry_after_seconds_.load(std::memory_order_relaxed)}});
}

}  // namespace loadlab::protect
