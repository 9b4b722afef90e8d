// Typed JSON field reads with path-naming errors.
#include "load/field_reader.hpp"

#include <cmath>

#include "core/duration.hpp"

namespace loadlab::load::fields {

using Json = nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw FieldError{path, message};
}

namespace {
std::string join(const std::vector<std::string_view>& names) {
  std::string out;
  for (auto name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

}  // namespace

void check_keys(const Json& object, const std::string& path,
                const std::vector<std::string_view>& allowed, std::string_view what) {
  if (!object.is_object()) fail(path, "expected a mapping");
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      fail((path.empty() ? "" : path + ".") + key,
           "unknown field" + (what.empty() ? std::string() : " for " + std::string(what)) +
               " (allowed: " + join(allowed) + ")");
    }
  }
}

std::string sub(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string as_string(const Json& value, const std::string& path) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  fail(path, "expected a string");
}

std::int64_t as_count(const Json& value, const std::string& path, std::int64_t minimum) {
  std::int64_t result = 0;
  if (value.is_number_integer()) {
    result = value.get<std::int64_t>();
  } else if (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>() &&
             std::abs(value.get<double>()) < 9e15) {
    result = static_cast<std::int64_t>(value.get<double>());
  } else {
    fail(path, minimum > 0 ? "expected a positive integer" : "expected a non-negative integer");
  }
  if (result < minimum)
    fail(path, minimum > 0 ? "expected a positive integer" : "expected a non-negative integer");
  if (result > 10'000'000) fail(path, "expected at most 10000000");
  return result;
}

double as_number(const Json& value, const std::string& path, bool positive) {
  if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0 ||
      (positive && value.get<double>() == 0) || value.get<double>() > 1e9) {
    fail(path, positive ? "expected a positive number" : "expected a non-negative number");
  }
  return value.get<double>();
}

bool as_bool(const Json& value, const std::string& path) {
  if (!value.is_boolean()) fail(path, "expected true or false");
  return value.get<bool>();
}

core::Duration as_duration(const Json& value, const std::string& path, bool positive) {
  core::Duration result{0};
  if (value.is_number()) {
    const double seconds = value.get<double>();
    if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e7)
      fail(path, "expected a duration such as \"30s\"");
    result = core::Duration{static_cast<std::int64_t>(std::llround(seconds * 1e9))};
  } else if (value.is_string()) {
    auto parsed = core::parse_duration(value.get<std::string>());
    if (!parsed) fail(path, parsed.error());
    result = *parsed;
    if (result > std::chrono::hours{24 * 365}) fail(path, "duration longer than a year");
  } else {
    fail(path, "expected a duration such as \"30s\" or \"1m30s\"");
  }
  if (positive && result.count() <= 0) fail(path, "expected a positive duration");
  return result;
}

std::map<std::string, std::string> as_string_map(const Json& value, const std::string& path) {
  if (!value.is_object()) fail(path, "expected a mapping of names to strings");
  std::map<std::string, std::string> out;
  for (const auto& [key, item] : value.items()) {
    if (item.is_boolean()) {
      out[key] = item.get<bool>() ? "true" : "false";
    } else if (item.is_number_float()) {
      out[key] = item.dump();
    } else {
      out[key] = as_string(item, sub(path, key));
    }
  }
  return out;
}

ThinkTime as_think_time(const Json& value, const std::string& path) {
  ThinkTime think;
  if (value.is_object()) {
    check_keys(value, path, {"min", "max"});
    if (!value.contains("min") || !value.contains("max")) fail(path, "expected both min and max");
    think.min = as_duration(value.at("min"), sub(path, "min"));
    think.max = as_duration(value.at("max"), sub(path, "max"));
    if (think.max < think.min) fail(sub(path, "max"), "must not be less than min");
  } else {
    think.min = think.max = as_duration(value, path);
  }
  return think;
}

}  // namespace loadlab::load::fields
