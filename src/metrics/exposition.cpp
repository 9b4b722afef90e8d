// Prometheus text exposition format 0.0.4: HELP, TYPE, then samples; families sorted by name.
#include <fmt/format.h>

#include <cmath>
#include <string>
#include <vector>

#include "metrics/registry.hpp"

namespace loadlab::metrics {
namespace {

void append_escaped(std::string& out, std::string_view text, bool escape_quotes) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", value);
  }
}

void append_header(std::string& out, std::string_view name, std::string_view help,
                   std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  append_escaped(out, help, false);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// name{a="x",b="y"[,extra="v"]} value
void append_sample(std::string& out, std::string_view name, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, std::string_view extra_name,
                   std::string_view extra_value, double value) {
  out += name;
  if (!names.empty() || !extra_name.empty()) {
    out += '{';
    bool first = true;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!first) out += ',';
      first = false;
      out += names[i];
      out += "=\"";
      append_escaped(out, values[i], true);
      out += '"';
    }
    if (!extra_name.empty()) {
      if (!first) out += ',';
      out += extra_name;
      out += "=\"";
      out += extra_value;
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  append_value(out, value);
  out += '\n';
}

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

std::string format_bound(double bound) {
  return fmt::format("{}", bound);
}

}  // namespace

std::string Registry::expose() const {
  // Collectors run outside the lock: they may read other objects that register metrics.
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, collector] : collectors_) collectors.push_back(collector);
  }
  std::map<std::string, CollectedFamily> collected;
  for (const auto& collector : collectors) {
    for (auto& family : collector()) {
      auto name = family.name;
      collected.try_emplace(std::move(name), std::move(family));
    }
  }

  std::string out;
  out.reserve(16 * 1024);
  std::lock_guard lock(mutex_);
  auto registered = families_.begin();
  auto extra = collected.begin();
  while (registered != families_.end() || extra != collected.end()) {
    const bool take_extra = registered == families_.end() ||
                            (extra != collected.end() && extra->first < registered->first);
    if (take_extra) {
      if (!families_.contains(extra->first)) {
        const auto& family = extra->second;
        append_header(out, family.name, family.help, type_name(family.type));
        for (const auto& sample : family.samples) {
          std::vector<std::string> names;
          std::vector<std::string> values;
          for (const auto& [k, v] : sample.labels) {
            names.push_back(k);
            values.push_back(v);
          }
          append_sample(out, sample.name, names, values, {}, {}, sample.value);
        }
      }
      ++extra;
      continue;
    }
    // Named references, not a structured binding: clang 14 cannot capture bindings in lambdas.
    const auto& name = registered->first;
    const auto& entry = registered->second;
    switch (entry.type) {
      case MetricType::counter:
        append_header(out, name, entry.counter->help(), "counter");
        entry.counter->for_each([&](const std::vector<std::string>& values, const Counter& c) {
          append_sample(out, name, entry.counter->label_names(), values, {}, {}, c.value());
        });
        break;
      case MetricType::gauge:
        append_header(out, name, entry.gauge->help(), "gauge");
        entry.gauge->for_each([&](const std::vector<std::string>& values, const Gauge& g) {
          append_sample(out, name, entry.gauge->label_names(), values, {}, {}, g.value());
        });
        break;
      case MetricType::histogram: {
        append_header(out, name, entry.histogram->help(), "histogram");
        const std::string bucket_name = name + "_bucket";
        const std::string sum_name = name + "_sum";
        const std::string count_name = name + "_count";
        const auto& labels = entry.histogram->label_names();
        entry.histogram->for_each([&](const std::vector<std::string>& values, const Histogram& h) {
          const auto snap = h.snapshot();
          for (std::size_t i = 0; i < snap.upper_bounds.size(); ++i) {
            append_sample(out, bucket_name, labels, values, "le",
                          format_bound(snap.upper_bounds[i]),
                          static_cast<double>(snap.cumulative[i]));
          }
          append_sample(out, bucket_name, labels, values, "le", "+Inf",
                        static_cast<double>(snap.cumulative.back()));
          append_sample(out, sum_name, labels, values, {}, {}, snap.sum);
          append_sample(out, count_name, labels, values, {}, {}, static_cast<double>(snap.count));
        });
        break;
      }
    }
    ++registered;
  }
  return out;
}

}  // namespace loadlab::metrics
