// Typed reads of JSON values for the scenario loader; each failure throws FieldError naming the
// field's path ("scenarios.cpu.stages[1].target") so the loader reports exactly what is wrong.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "load/scenario.hpp"

namespace loadlab::load::fields {

// Thrown inside the loader only; load_plan_* turn it into an error value.
struct FieldError {
  std::string path;
  std::string message;
};

[[noreturn]] void fail(const std::string& path, const std::string& message);
// "a.b" (or "b" at the top level).
[[nodiscard]] std::string sub(const std::string& path, std::string_view key);
// Fails on the first key of object not in allowed ("unknown field for <what> (allowed: ...)").
void check_keys(const nlohmann::json& object, const std::string& path,
                const std::vector<std::string_view>& allowed, std::string_view what = "");

std::string as_string(const nlohmann::json& value, const std::string& path);
// Integral count in [minimum, 10'000'000]; integral floats (2.0) are accepted.
std::int64_t as_count(const nlohmann::json& value, const std::string& path,
                      std::int64_t minimum = 0);
// Finite number in [0, 1e9], > 0 when positive.
double as_number(const nlohmann::json& value, const std::string& path, bool positive);
bool as_bool(const nlohmann::json& value, const std::string& path);
// "1m30s"-style strings or a number of seconds; at most a year.
core::Duration as_duration(const nlohmann::json& value, const std::string& path,
                           bool positive = false);
std::map<std::string, std::string> as_string_map(const nlohmann::json& value,
                                                 const std::string& path);
// A duration (fixed pause) or {min, max} (uniform random pause).
ThinkTime as_think_time(const nlohmann::json& value, const std::string& path);

}  // namespace loadlab::load::fields
