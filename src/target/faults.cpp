// Fault parsing, validation and the per-request decision.
#include "target/faults.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "target/random_source.hpp"

namespace loadlab::target {

namespace {

core::Expected<double, FaultsError> number_field(const nlohmann::json& value,
                                                 std::string_view field, double min, double max) {
  const std::string rule = fmt::format("must be a number between {} and {}", min, max);
  if (!value.is_number()) return core::unexpected(FaultsError{std::string(field), rule});
  const double number = value.get<double>();
  if (!std::isfinite(number) || number < min || number > max) {
    return core::unexpected(FaultsError{std::string(field), rule});
  }
  return number;
}

}  // namespace

nlohmann::json to_json(const Faults& faults) {
  return {{"latency_ms", faults.latency_ms},
          {"jitter_ms", faults.jitter_ms},
          {"error_rate", faults.error_rate},
          {"blackhole", faults.blackhole},
          {"reset_rate", faults.reset_rate}};
}

core::Expected<Faults, FaultsError> validate(const Faults& faults) {
  nlohmann::json as_json = to_json(faults);
  return parse_faults(as_json.dump(), Faults{});
}

core::Expected<Faults, FaultsError> parse_faults(std::string_view json_text, const Faults& base) {
  const auto body = nlohmann::json::parse(json_text, nullptr, false);
  if (body.is_discarded()) {
    return core::unexpected(FaultsError{"", "body is not valid JSON", true});
  }
  if (!body.is_object()) {
    return core::unexpected(FaultsError{"", "body must be a JSON object"});
  }
  Faults faults = base;
  for (const auto& [key, value] : body.items()) {
    core::Expected<double, FaultsError> number = 0.0;
    if (key == "latency_ms") {
      number = number_field(value, key, 0, max_fault_latency_ms);
      if (number) faults.latency_ms = *number;
    } else if (key == "jitter_ms") {
      number = number_field(value, key, 0, max_fault_latency_ms);
      if (number) faults.jitter_ms = *number;
    } else if (key == "error_rate") {
      number = number_field(value, key, 0, 1);
      if (number) faults.error_rate = *number;
    } else if (key == "reset_rate") {
      number = number_field(value, key, 0, 1);
      if (number) faults.reset_rate = *number;
    } else if (key == "blackhole") {
      if (!value.is_boolean()) {
        return core::unexpected(FaultsError{key, "must be true or false"});
      }
      faults.blackhole = value.get<bool>();
    } else {
      return core::unexpected(FaultsError{
          key, "is not a fault (latency_ms, jitter_ms, error_rate, blackhole, reset_rate)"});
    }
    if (!number) return core::unexpected(std::move(number.error()));
  }
  return faults;
}

FaultDecision decide_faults(const Faults& faults, RandomSource& random) {
  FaultDecision decision;
  if (random.chance(faults.reset_rate)) {
    decision.action = FaultAction::reset;
    return decision;
  }
  if (faults.blackhole) {
    decision.action = FaultAction::blackhole;
    return decision;
  }
  double delay_ms = faults.latency_ms;
  if (faults.jitter_ms > 0) delay_ms += random.uniform(-faults.jitter_ms, faults.jitter_ms);
  delay_ms = std::max(0.0, delay_ms);
  decision.delay = std::chrono::nanoseconds(static_cast<std::int64_t>(delay_ms * 1e6));
  decision.action = random.chance(faults.error_rate) ? FaultAction::error : FaultAction::pass;
  return decision;
}

}  // namespace loadlab::target
