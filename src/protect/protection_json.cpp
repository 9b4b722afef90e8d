// JSON form of ProtectionSettings for GET/PUT /admin/protections: one field table per section.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "protect/protection_set.hpp"

namespace loadlab::protect {

namespace {
using json = nlohmann::json;
using Params = ProtectionParams;

// One JSON field bound to one parameter; set() returns a type error or an empty string.
struct Field {
  std::string_view name;
  std::function<json(const Params&)> get;
  std::function<std::string(Params&, const json&)> set;
};

std::optional<std::int64_t> as_integer(const json& value, std::int64_t min, std::int64_t max) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(max)) return std::nullopt;
    return static_cast<std::int64_t>(v);
  }
  if (!value.is_number_integer()) return std::nullopt;
  const auto v = value.get<std::int64_t>();
  if (v < min || v > max) return std::nullopt;
  return v;
}

template <class S, class T>
Field integer_field(std::string_view name, S Params::*section, T S::*member) {
  return {name, [=](const Params& p) { return json((p.*section).*member); },
          [=](Params& p, const json& v) -> std::string {
            constexpr auto max = static_cast<std::int64_t>(std::min<std::uint64_t>(
                std::numeric_limits<T>::max(), std::numeric_limits<std::int64_t>::max()));
            const auto parsed = as_integer(v, std::is_signed_v<T> ? -max : 0, max);
            if (!parsed) return "must be an integer in range";
            (p.*section).*member = static_cast<T>(*parsed);
            return {};
          }};
}

template <class S>
Field number_field(std::string_view name, S Params::*section, double S::*member) {
  return {name, [=](const Params& p) { return json((p.*section).*member); },
          [=](Params& p, const json& v) -> std::string {
            if (!v.is_number()) return "must be a number";
            (p.*section).*member = v.get<double>();
            return {};
          }};
}

template <class S>
Field millis_field(std::string_view name, S Params::*section, core::Duration S::*member) {
  return {
      name,
      [=](const Params& p) {
        return json(
            std::chrono::duration_cast<std::chrono::milliseconds>((p.*section).*member).count());
      },
      [=](Params& p, const json& v) -> std::string {
        const auto ms = as_integer(v, 0, 1'000'000'000'000);  // ~31 years
        if (!ms) return "must be a non-negative integer (milliseconds)";
        (p.*section).*member = std::chrono::milliseconds{*ms};
        return {};
      }};
}

template <class S>
Field seconds_field(std::string_view name, S Params::*section, std::chrono::seconds S::*member) {
  return {name, [=](const Params& p) { return json(((p.*section).*member).count()); },
          [=](Params& p, const json& v) -> std::string {
            const auto s = as_integer(v, 0, 1'000'000'000);
            if (!s) return "must be a non-negative integer (seconds)";
            (p.*section).*member = std::chrono::seconds{*s};
            return {};
          }};
}

Field tier_field(std::string_view name, std::size_t tier) {
  return {name, [=](const Params& p) { return json(p.shed.tier_percent[tier]); },
          [=](Params& p, const json& v) -> std::string {
            const auto percent = as_integer(v, 0, 100);
            if (!percent) return "must be an integer 0..100";
            p.shed.tier_percent[tier] = static_cast<int>(*percent);
            return {};
          }};
}

Field rule_field() {
  return {"rule",
          [](const Params& p) {
            return json(p.breaker.rule == TripRule::failure_rate ? "failure_rate"
                                                                 : "consecutive_failures");
          },
          [](Params& p, const json& v) -> std::string {
            if (v == "failure_rate") {
              p.breaker.rule = TripRule::failure_rate;
            } else if (v == "consecutive_failures") {
              p.breaker.rule = TripRule::consecutive_failures;
            } else {
              return "must be \"failure_rate\" or \"consecutive_failures\"";
            }
            return {};
          }};
}

const std::vector<Field>& fields_of(Protection protection) {
  static const std::array<std::vector<Field>, kAllProtections.size()> tables = [] {
    std::array<std::vector<Field>, kAllProtections.size()> t;
    t[static_cast<int>(Protection::timeouts)] = {
        millis_field("request_timeout_ms", &Params::timeouts, &DeadlineConfig::default_timeout),
        millis_field("min_timeout_ms", &Params::timeouts, &DeadlineConfig::min_timeout),
        millis_field("max_timeout_ms", &Params::timeouts, &DeadlineConfig::max_timeout),
        millis_field("connect_timeout_ms", &Params::timeouts, &DeadlineConfig::connect_timeout),
        millis_field("read_timeout_ms", &Params::timeouts, &DeadlineConfig::read_timeout),
        millis_field("pool_acquire_timeout_ms", &Params::timeouts,
                     &DeadlineConfig::pool_acquire_timeout)};
    using B = CircuitBreakerConfig;
    t[static_cast<int>(Protection::breaker)] = {
        rule_field(),
        integer_field("window_size", &Params::breaker, &B::window_size),
        integer_field("minimum_calls", &Params::breaker, &B::minimum_calls),
        number_field("failure_rate_threshold_percent", &Params::breaker,
                     &B::failure_rate_threshold_percent),
        number_field("slow_call_rate_threshold_percent", &Params::breaker,
                     &B::slow_call_rate_threshold_percent),
        millis_field("slow_call_ms", &Params::breaker, &B::slow_call_duration),
        integer_field("consecutive_failures", &Params::breaker, &B::consecutive_failures),
        millis_field("open_ms", &Params::breaker, &B::open_duration),
        integer_field("half_open_probes", &Params::breaker, &B::half_open_probes)};
    t[static_cast<int>(Protection::shed)] = {
        integer_field("limit", &Params::shed, &LoadShedderConfig::limit),
        tier_field("low_percent", 0), tier_field("normal_percent", 1),
        tier_field("high_percent", 2),
        seconds_field("retry_after_s", &Params::shed, &LoadShedderConfig::retry_after)};
    using A = AdaptiveLimiterConfig;
    t[static_cast<int>(Protection::adaptive)] = {
        integer_field("initial_limit", &Params::adaptive, &A::initial_limit),
        integer_field("min_limit", &Params::adaptive, &A::min_limit),
        integer_field("max_limit", &Params::adaptive, &A::max_limit),
        millis_field("window_ms", &Params::adaptive, &A::update_interval),
        number_field("sample_percentile", &Params::adaptive, &A::sample_percentile),
        number_field("buffer_percent", &Params::adaptive, &A::buffer_percent),
        number_field("smoothing", &Params::adaptive, &A::smoothing),
        millis_field("min_rtt_interval_ms", &Params::adaptive, &A::min_rtt_interval),
        integer_field("min_rtt_samples", &Params::adaptive, &A::min_rtt_samples),
        millis_field("min_rtt_max_wait_ms", &Params::adaptive, &A::min_rtt_max_wait),
        seconds_field("retry_after_s", &Params::adaptive, &A::retry_after)};
    t[static_cast<int>(Protection::queue)] = {
        integer_field("capacity", &Params::queue, &CodelQueueConfig::capacity),
        millis_field("target_ms", &Params::queue, &CodelQueueConfig::target),
        millis_field("interval_ms", &Params::queue, &CodelQueueConfig::interval),
        seconds_field("retry_after_s", &Params::queue, &CodelQueueConfig::retry_after)};
    t[static_cast<int>(Protection::bulkhead)] = {
        integer_field("max_concurrent", &Params::bulkhead, &BulkheadConfig::max_concurrent),
        seconds_field("retry_after_s", &Params::bulkhead, &BulkheadConfig::retry_after)};
    t[static_cast<int>(Protection::retry)] = {
        integer_field("max_attempts", &Params::retry, &RetryConfig::max_attempts),
        millis_field("base_delay_ms", &Params::retry, &RetryConfig::base_delay),
        millis_field("max_delay_ms", &Params::retry, &RetryConfig::max_delay),
        number_field("multiplier", &Params::retry, &RetryConfig::multiplier),
        millis_field("max_retry_after_ms", &Params::retry, &RetryConfig::max_retry_after),
        number_field("budget_percent", &Params::retry_budget, &RetryBudgetConfig::percent),
        integer_field("min_retries", &Params::retry_budget, &RetryBudgetConfig::min_retries),
        millis_field("budget_window_ms", &Params::retry_budget, &RetryBudgetConfig::window)};
    t[static_cast<int>(Protection::memory)] = {
        integer_field("limit_bytes", &Params::memory, &MemoryAdmissionConfig::limit_bytes),
        number_field("budget_percent", &Params::memory, &MemoryAdmissionConfig::budget_percent),
        seconds_field("retry_after_s", &Params::memory, &MemoryAdmissionConfig::retry_after)};
    return t;
  }();
  return tables[static_cast<int>(protection)];
}

core::Expected<ProtectionMask, std::string> mask_from_json(const json& value) {
  if (value.is_string()) return parse_protection_list(value.get<std::string>());
  if (!value.is_array()) {
    return core::unexpected(std::string{"'enabled' must be an array of names or a string"});
  }
  ProtectionMask mask;
  for (const auto& item : value) {
    if (!item.is_string()) return core::unexpected(std::string{"'enabled' items must be strings"});
    const auto protection = parse_protection(item.get<std::string>());
    if (!protection) {
      return core::unexpected("unknown protection '" + item.get<std::string>() + "'");
    }
    mask.set(*protection, true);
  }
  return mask;
}

std::string with_prefix(const std::string& prefix, const std::string& message) {
  return message.empty() ? message : prefix + message;
}

std::string with_section(Protection protection, const std::string& message) {
  return with_prefix(std::string{protection_name(protection)} + ".", message);
}

// The fields of a section as JSON, read from `params`.
json section_json(Protection protection, const Params& params) {
  json section = json::object();
  for (const auto& field : fields_of(protection)) {
    section[std::string{field.name}] = field.get(params);
  }
  return section;
}

// Sets the fields named in `values` on `params` through the section's table; `path` prefixes
// error messages ("breaker" or "dependencies.database.breaker"). "enabled" is only allowed when
// `mask` is given (a dependency's override has no switch of its own).
std::string apply_fields(Protection protection, const json& values, const std::string& path,
                         Params& params, ProtectionMask* mask) {
  if (!values.is_object()) return fmt::format("'{}' must be an object", path);
  const auto& fields = fields_of(protection);
  for (const auto& item : values.items()) {
    const std::string& name = item.key();
    const json& value = item.value();
    if (name == "enabled" && mask != nullptr) {
      if (!value.is_boolean()) return fmt::format("'{}.enabled' must be true or false", path);
      mask->set(protection, value.get<bool>());
      continue;
    }
    if (name == "enabled") {
      return fmt::format("'{}.enabled': switches apply to every dependency; set '{}.enabled'", path,
                         protection_name(protection));
    }
    const auto field = std::find_if(fields.begin(), fields.end(),
                                    [&name](const Field& f) { return f.name == name; });
    if (field == fields.end()) return fmt::format("unknown field '{}.{}'", path, name);
    if (auto error = field->set(params, value); !error.empty()) {
      return fmt::format("'{}.{}' {}", path, name, error);
    }
  }
  return {};
}

// One dependency's override of one section, set or removed (null) by `value`.
template <class Config>
std::string apply_override(Protection protection, Config Params::*section,
                           std::map<std::string, Config, std::less<>> Params::*overrides,
                           const std::string& dependency, const json& value, Params& params) {
  auto& map = params.*overrides;
  if (value.is_null()) {
    map.erase(dependency);
    return {};
  }
  // From the dependency's current override, or the shared section when it has none yet.
  Params scratch = params;
  const auto it = map.find(dependency);
  scratch.*section = it == map.end() ? params.*section : it->second;
  const std::string path =
      fmt::format("dependencies.{}.{}", dependency, protection_name(protection));
  if (auto error = apply_fields(protection, value, path, scratch, nullptr); !error.empty()) {
    return error;
  }
  map[dependency] = scratch.*section;
  return {};
}

std::string apply_dependencies(const json& body, Params& params) {
  if (!body.is_object()) return "'dependencies' must be an object";
  for (const auto& [dependency, sections] : body.items()) {
    if (std::find(kDependencies.begin(), kDependencies.end(), dependency) == kDependencies.end()) {
      return fmt::format("unknown dependency '{}' (known: {})", dependency,
                         fmt::join(kDependencies, ", "));
    }
    if (sections.is_null()) {  // back to the shared sections
      params.breaker_overrides.erase(dependency);
      params.bulkhead_overrides.erase(dependency);
      continue;
    }
    if (!sections.is_object()) {
      return fmt::format("'dependencies.{}' must be an object or null", dependency);
    }
    for (const auto& [key, value] : sections.items()) {
      std::string error;
      if (key == protection_name(Protection::breaker)) {
        error = apply_override(Protection::breaker, &Params::breaker, &Params::breaker_overrides,
                               dependency, value, params);
      } else if (key == protection_name(Protection::bulkhead)) {
        error = apply_override(Protection::bulkhead, &Params::bulkhead, &Params::bulkhead_overrides,
                               dependency, value, params);
      } else {
        error =
            fmt::format("'dependencies.{}.{}': only breaker and bulkhead can be set per dependency",
                        dependency, key);
      }
      if (!error.empty()) return error;
    }
  }
  return {};
}
}  // namespace

std::string validate(const ProtectionParams& params) {
  std::string error;
  if (!(error = with_section(Protection::timeouts, validate(params.timeouts))).empty())
    return error;
  if (!(error = with_section(Protection::breaker, validate(params.breaker))).empty()) return error;
  if (!(error = with_section(Protection::shed, validate(params.shed))).empty()) return error;
  if (!(error = with_section(Protection::adaptive, validate(params.adaptive))).empty())
    return error;
  if (!(error = with_section(Protection::queue, validate(params.queue))).empty()) return error;
  if (!(error = with_section(Protection::bulkhead, validate(params.bulkhead))).empty())
    return error;
  if (!(error = with_section(Protection::retry, validate(params.retry))).empty()) return error;
  if (!(error = with_section(Protection::retry, validate(params.retry_budget))).empty())
    return error;
  if (!(error = with_section(Protection::memory, validate(params.memory))).empty()) return error;
  for (const auto& [dependency, breaker] : params.breaker_overrides) {
    error = with_prefix("dependencies." + dependency + ".breaker.", validate(breaker));
    if (!error.empty()) return error;
  }
  for (const auto& [dependency, bulkhead] : params.bulkhead_overrides) {
    error = with_prefix("dependencies." + dependency + ".bulkhead.", validate(bulkhead));
    if (!error.empty()) return error;
  }
  return {};
}

nlohmann::json to_json(const ProtectionSettings& settings) {
  json out = json::object();
  out["profile"] = format_protection_list(settings.enabled);
  json enabled = json::array();
  for (auto protection : kAllProtections) {
    if (settings.enabled.has(protection)) enabled.push_back(protection_name(protection));
  }
  out["enabled"] = std::move(enabled);
  for (auto protection : kAllProtections) {
    json section = section_json(protection, settings.params);
    section["enabled"] = settings.enabled.has(protection);
    out[std::string{protection_name(protection)}] = std::move(section);
  }
  // Every dependency, with the sections it has of its own (none: it uses the shared ones).
  json dependencies = json::object();
  for (const auto dependency : kDependencies) {
    json own = json::object();
    Params scratch = settings.params;
    if (const auto it = settings.params.breaker_overrides.find(dependency);
        it != settings.params.breaker_overrides.end()) {
      scratch.breaker = it->second;
      own["breaker"] = section_json(Protection::breaker, scratch);
    }
    if (const auto it = settings.params.bulkhead_overrides.find(dependency);
        it != settings.params.bulkhead_overrides.end()) {
      scratch.bulkhead = it->second;
      own["bulkhead"] = section_json(Protection::bulkhead, scratch);
    }
    dependencies[std::string{dependency}] = std::move(own);
  }
  out["dependencies"] = std::move(dependencies);
  return out;
}

core::Expected<ProtectionSettings, std::string> apply_json(const ProtectionSettings& current,
                                                           const nlohmann::json& body) {
  if (!body.is_object()) return core::unexpected(std::string{"body must be a JSON object"});
  ProtectionSettings next = current;
  if (const auto it = body.find("profile"); it != body.end()) {
    if (!it->is_string()) return core::unexpected(std::string{"'profile' must be a string"});
    auto mask = parse_protection_list(it->get<std::string>());
    if (!mask) return core::unexpected(std::move(mask).error());
    next.enabled = *mask;
  }
  if (const auto it = body.find("enabled"); it != body.end()) {
    auto mask = mask_from_json(*it);
    if (!mask) return core::unexpected(std::move(mask).error());
    next.enabled = *mask;
  }
  for (const auto& [key, value] : body.items()) {
    if (key == "profile" || key == "enabled" || key == "dependencies") continue;
    const auto protection = parse_protection(key);
    if (!protection) return core::unexpected(fmt::format("unknown protection '{}'", key));
    if (auto error = apply_fields(*protection, value, key, next.params, &next.enabled);
        !error.empty()) {
      return core::unexpected(error);
    }
  }
  // After the shared sections: a first override starts from their new values.
  if (const auto it = body.find("dependencies"); it != body.end()) {
    if (auto error = apply_dependencies(*it, next.params); !error.empty()) {
      return core::unexpected(error);
    }
  }
  if (auto error = validate(next.params); !error.empty()) return core::unexpected(error);
  return next;
}

}  // namespace loadlab::protect
