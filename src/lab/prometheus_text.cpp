// Prometheus text format parsing (pure; tested on fixed text).
#include "lab/prometheus_text.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>

namespace loadlab::lab {
namespace {

bool is_name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

bool parse_value(std::string_view text, double& value) {
  if (text == "+Inf" || text == "Inf") {
    value = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf") {
    value = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "NaN") {
    value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  const std::string copy(text);
  char* end = nullptr;
  value = std::strtod(copy.c_str(), &end);
  return !copy.empty() && end == copy.c_str() + copy.size();
}

// Parses one sample line; returns an error message or "" on success.
std::string parse_line(std::string_view line, PromSample& sample) {
  std::size_t at = 0;
  while (at < line.size() && is_name_char(line[at], at == 0)) ++at;
  if (at == 0) return "expected a metric name";
  sample.name = std::string(line.substr(0, at));
  if (at < line.size() && line[at] == '{') {
    ++at;
    while (true) {
      while (at < line.size() && (line[at] == ' ' || line[at] == ',')) ++at;
      if (at < line.size() && line[at] == '}') {
        ++at;
        break;
      }
      const auto name_start = at;
      while (at < line.size() && is_name_char(line[at], at == name_start)) ++at;
      if (at == name_start) return "expected a label name";
      const std::string label(line.substr(name_start, at - name_start));
      if (at >= line.size() || line[at] != '=') return "expected '=' after label name";
      ++at;
      if (at >= line.size() || line[at] != '"') return "expected '\"' to open a label value";
      ++at;
      std::string value;
      while (at < line.size() && line[at] != '"') {
        if (line[at] == '\\' && at + 1 < line.size()) {
          ++at;
          value.push_back(line[at] == 'n' ? '\n' : line[at]);
        } else {
          value.push_back(line[at]);
        }
        ++at;
      }
      if (at >= line.size()) return "unterminated label value";
      ++at;
      sample.labels[label] = std::move(value);
    }
  }
  while (at < line.size() && line[at] == ' ') ++at;
  auto rest = line.substr(at);
  const auto space = rest.find(' ');  // an optional timestamp follows the value
  if (!parse_value(rest.substr(0, space), sample.value)) return "malformed value";
  return "";
}

bool labels_match(const PromSample& sample, const std::map<std::string, std::string>& match) {
  for (const auto& [key, value] : match) {
    const auto it = sample.labels.find(key);
    if (it == sample.labels.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace

core::Expected<std::vector<PromSample>, std::string> parse_prometheus_text(std::string_view text) {
  std::vector<PromSample> samples;
  std::size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    PromSample sample;
    if (auto error = parse_line(line, sample); !error.empty()) {
      return core::unexpected("line " + std::to_string(line_number) + ": " + error);
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

double sum_samples(const std::vector<PromSample>& samples, std::string_view name,
                   const std::map<std::string, std::string>& match) {
  double sum = 0;
  for (const auto& sample : samples) {
    if (sample.name == name && labels_match(sample, match) && !std::isnan(sample.value))
      sum += sample.value;
  }
  return sum;
}

std::map<std::string, double> sum_by_label(const std::vector<PromSample>& samples,
                                           std::string_view name, const std::string& label) {
  std::map<std::string, double> sums;
  for (const auto& sample : samples) {
    if (sample.name != name) continue;
    const auto it = sample.labels.find(label);
    sums[it == sample.labels.end() ? std::string{} : it->second] += sample.value;
  }
  return sums;
}

bool has_metric(const std::vector<PromSample>& samples, std::string_view name) {
  for (const auto& sample : samples) {
    if (sample.name == name) return true;
  }
  return false;
}

}  // namespace loadlab::lab
