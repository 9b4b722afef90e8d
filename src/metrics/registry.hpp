// Metrics registry: counter, gauge and histogram families with labels, exposed as Prometheus text.
// No global instance: a Registry is created by whoever owns a server and passed by reference.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace loadlab::metrics {

// Lock-free monotonically increasing value.
class Counter {
 public:
  void inc(double by = 1.0) noexcept { value_.fetch_add(by, std::memory_order_relaxed); }
  [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Lock-free value that goes up and down.
class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void inc(double by = 1.0) noexcept { value_.fetch_add(by, std::memory_order_relaxed); }
  void dec(double by = 1.0) noexcept { value_.fetch_sub(by, std::memory_order_relaxed); }
  [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Prometheus histogram with fixed upper bounds (seconds for durations); lock-free observe().
class Histogram {
 public:
  explicit Histogram(std::span<const double> upper_bounds);
  void observe(double value) noexcept;

  struct Snapshot {
    std::vector<double> upper_bounds;       // without +Inf
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf last
    double sum = 0;
    std::uint64_t count = 0;
  };
  [[nodiscard]] Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1 (+Inf)
  std::atomic<double> sum_{0.0};
  std::atomic<std::uint64_t> count_{0};
};

// Default buckets for request durations: 1 ms to 30 s (SPEC §2.4).
std::span<const double> default_duration_buckets() noexcept;

enum class MetricType { counter, gauge, histogram };

// One metric name with its label names; children are created on first use and live as long as
// the family (references stay valid, so hot paths look a child up once and keep the reference).
template <class Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> buckets = {});

  // Values in the order of the label names. Throws std::invalid_argument on a count mismatch.
  Metric& with(std::initializer_list<std::string_view> label_values);
  Metric& with(const std::vector<std::string>& label_values);

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& help() const noexcept { return help_; }
  [[nodiscard]] const std::vector<std::string>& label_names() const noexcept { return labels_; }

  // Visits every child under a shared lock.
  void for_each(
      const std::function<void(const std::vector<std::string>&, const Metric&)>& visit) const;

 private:
  Metric& child_for(std::vector<std::string> key);

  std::string name_;
  std::string help_;
  std::vector<std::string> labels_;
  std::vector<double> buckets_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

// A sample produced at scrape time by a collector (process_* series, pool gauges, ...).
struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};
struct CollectedFamily {
  std::string name;
  std::string help;
  MetricType type = MetricType::gauge;
  std::vector<Sample> samples;
};
using Collector = std::function<std::vector<CollectedFamily>()>;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registering the same name twice with the same type and labels returns the same family;
  // a conflicting re-registration throws std::invalid_argument (a start-up error).
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<std::string> label_names,
                               std::span<const double> buckets = default_duration_buckets());

  // Called on every scrape; returns an id for remove_collector.
  int add_collector(Collector collector);
  void remove_collector(int id);

  // Prometheus text exposition format 0.0.4, families sorted by name.
  [[nodiscard]] std::string expose() const;

 private:
  struct Entry {
    MetricType type{};
    std::unique_ptr<Family<Counter>> counter;
    std::unique_ptr<Family<Gauge>> gauge;
    std::unique_ptr<Family<Histogram>> histogram;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Entry> families_;
  std::map<int, Collector> collectors_;
  int next_collector_id_ = 1;
};

// Collector for the standard process_* series from /proc/self (CPU seconds, resident and virtual
// memory, open and max fds, start time).
Collector process_collector();

}  // namespace loadlab::metrics
