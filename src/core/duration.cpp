// Duration text in the forms k6 and wrk accept ("1m30s", "500ms", "2.5s", "10").
#include "core/duration.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace loadlab::core {
namespace {

// Nanoseconds per unit, or 0 for an unknown unit.
double unit_nanoseconds(std::string_view unit) {
  if (unit == "ns") return 1.0;
  if (unit == "us" || unit == "\xC2\xB5s") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  if (unit == "m") return 60e9;
  if (unit == "h") return 3600e9;
  return 0.0;
}

}  // namespace

Expected<Duration, std::string> parse_duration(std::string_view text) {
  const std::string original(text);
  if (text.empty()) return unexpected(std::string("empty duration"));
  double total_ns = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t number_start = pos;
    while (pos < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[pos])) != 0 || text[pos] == '.')) {
      ++pos;
    }
    if (pos == number_start) {
      return unexpected("invalid duration '" + original + "': expected a number at '" +
                        std::string(text.substr(pos)) + "'");
    }
    double number = 0;
    const auto [end, ec] = std::from_chars(text.data() + number_start, text.data() + pos, number);
    if (ec != std::errc() || end != text.data() + pos || !std::isfinite(number)) {
      return unexpected("invalid duration '" + original + "': bad number");
    }
    const std::size_t unit_start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) == 0 &&
           text[pos] != '.') {
      ++pos;
    }
    const std::string_view unit = text.substr(unit_start, pos - unit_start);
    if (unit.empty()) {
      if (number_start != 0) {
        return unexpected("invalid duration '" + original + "': missing unit after a number");
      }
      total_ns += number * 1e9;
      continue;
    }
    const double scale = unit_nanoseconds(unit);
    if (scale == 0.0) {
      return unexpected("invalid duration '" + original + "': unknown unit '" + std::string(unit) +
                        "' (use ns, us, ms, s, m or h)");
    }
    total_ns += number * scale;
  }
  if (total_ns > 9.2e18) return unexpected("invalid duration '" + original + "': too large");
  return Duration{static_cast<std::int64_t>(std::llround(total_ns))};
}

std::string format_duration(Duration duration) {
  using std::chrono::duration_cast;
  const std::int64_t ns = duration.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  const std::int64_t abs_ns = ns < 0 ? -ns : ns;
  auto trim = [](double value) {
    std::string s = std::to_string(value);
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  if (abs_ns < 1'000) return sign + std::to_string(abs_ns) + "ns";
  if (abs_ns < 1'000'000) return sign + trim(static_cast<double>(abs_ns) / 1e3) + "us";
  if (abs_ns < 1'000'000'000) return sign + trim(static_cast<double>(abs_ns) / 1e6) + "ms";
  if (abs_ns < 60'000'000'000) return sign + trim(static_cast<double>(abs_ns) / 1e9) + "s";
  std::int64_t seconds_total = abs_ns / 1'000'000'000;
  const std::int64_t rest_ns = abs_ns % 1'000'000'000;
  const std::int64_t hours = seconds_total / 3600;
  const std::int64_t minutes = (seconds_total % 3600) / 60;
  const double seconds =
      static_cast<double>(seconds_total % 60) + static_cast<double>(rest_ns) / 1e9;
  std::string out = sign;
  if (hours != 0) out += std::to_string(hours) + "h";
  if (minutes != 0) out += std::to_string(minutes) + "m";
  if (seconds != 0.0) out += trim(seconds) + "s";
  return out;
}

}  // namespace loadlab::core
