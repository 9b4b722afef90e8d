// Protection names, profile/list parsing and the run-time switchboard.
#include "protect/protection_set.hpp"

#include <nlohmann/json.hpp>

namespace loadlab::protect {

namespace {
std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}
}  // namespace

std::string_view protection_name(Protection protection) noexcept {
  switch (protection) {
    case Protection::timeouts:
      return "timeouts";
    case Protection::breaker:
      return "breaker";
    case Protection::shed:
      return "shed";
    case Protection::adaptive:
      return "adaptive";
    case Protection::queue:
      return "queue";
    case Protection::bulkhead:
      return "bulkhead";
    case Protection::retry:
      return "retry";
    case Protection::memory:
      return "memory";
  }
  return "unknown";
}

std::optional<Protection> parse_protection(std::string_view name) noexcept {
  for (auto protection : kAllProtections) {
    if (protection_name(protection) == name) return protection;
  }
  return std::nullopt;
}

core::Expected<ProtectionMask, std::string> parse_protection_list(std::string_view text) {
  text = trim(text);
  if (text == "naked") return ProtectionMask::none();
  if (text == "protected") return ProtectionMask::all();
  if (text.empty()) {
    return core::unexpected(std::string{"empty protection list (use naked, protected or names)"});
  }
  ProtectionMask mask;
  while (true) {
    const auto comma = text.find(',');
    const auto item = trim(text.substr(0, comma));
    if (item.empty()) return core::unexpected(std::string{"empty name in protection list"});
    const auto protection = parse_protection(item);
    if (!protection) {
      std::string known;
      for (auto p : kAllProtections)
        known += (known.empty() ? "" : ", ") + std::string{protection_name(p)};
      return core::unexpected("unknown protection '" + std::string{item} + "' (known: " + known +
                              "; or naked, protected)");
    }
    mask.set(*protection, true);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return mask;
}

std::string format_protection_list(ProtectionMask mask) {
  if (mask == ProtectionMask::none()) return "naked";
  if (mask == ProtectionMask::all()) return "protected";
  std::string list;
  for (auto protection : kAllProtections) {
    if (!mask.has(protection)) continue;
    if (!list.empty()) list += ',';
    list += protection_name(protection);
  }
  return list;
}

const CircuitBreakerConfig& ProtectionParams::breaker_for(std::string_view dependency) const {
  const auto it = breaker_overrides.find(dependency);
  return it == breaker_overrides.end() ? breaker : it->second;
}

const BulkheadConfig& ProtectionParams::bulkhead_for(std::string_view dependency) const {
  const auto it = bulkhead_overrides.find(dependency);
  return it == bulkhead_overrides.end() ? bulkhead : it->second;
}

ProtectionSet::ProtectionSet(const ProtectionSettings& initial)
    : settings_(initial), mask_(settings_.enabled.bits()) {}

ProtectionSettings ProtectionSet::settings() const {
  std::lock_guard lock(mutex_);
  return settings_;
}

core::Expected<ProtectionSettings, std::string> ProtectionSet::update(const nlohmann::json& body) {
  std::lock_guard lock(mutex_);
  auto next = apply_json(settings_, body);
  if (!next) return next;
  const auto before = settings_;
  settings_ = *next;
  mask_.store(settings_.enabled.bits(), std::memory_order_relaxed);
  for (const auto& listener : listeners_) listener(before, settings_);
  return next;
}

void ProtectionSet::replace(const ProtectionSettings& settings) {
  std::lock_guard lock(mutex_);
  const auto before = settings_;
  settings_ = settings;
  mask_.store(settings_.enabled.bits(), std::memory_order_relaxed);
  for (const auto& listener : listeners_) listener(before, settings_);
}

void ProtectionSet::add_listener(Listener listener) {
  std::lock_guard lock(mutex_);
  listeners_.push_back(std::move(listener));
}

}  // namespace loadlab::protect
