// Families and the registry that owns them; children are created once and never move.
#include "metrics/registry.hpp"

#include <stdexcept>

namespace loadlab::metrics {

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      labels_(std::move(label_names)),
      buckets_(std::move(buckets)) {}

template <class Metric>
Metric& Family<Metric>::with(std::initializer_list<std::string_view> label_values) {
  std::vector<std::string> key;
  key.reserve(label_values.size());
  for (std::string_view v : label_values) key.emplace_back(v);
  return child_for(std::move(key));
}

template <class Metric>
Metric& Family<Metric>::with(const std::vector<std::string>& label_values) {
  return child_for(label_values);
}

template <class Metric>
Metric& Family<Metric>::child_for(std::vector<std::string> key) {
  if (key.size() != labels_.size()) {
    throw std::invalid_argument("metric " + name_ + ": expected " + std::to_string(labels_.size()) +
                                " label values, got " + std::to_string(key.size()));
  }
  {
    std::shared_lock lock(mutex_);
    if (auto it = children_.find(key); it != children_.end()) return *it->second;
  }
  std::unique_lock lock(mutex_);
  auto& slot = children_[std::move(key)];
  if (!slot) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      slot = std::make_unique<Histogram>(buckets_);
    } else {
      slot = std::make_unique<Metric>();
    }
  }
  return *slot;
}

template <class Metric>
void Family<Metric>::for_each(
    const std::function<void(const std::vector<std::string>&, const Metric&)>& visit) const {
  std::shared_lock lock(mutex_);
  for (const auto& [key, metric] : children_) visit(key, *metric);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

namespace {

void check_same(const std::string& name, MetricType existing, MetricType wanted,
                const std::vector<std::string>& existing_labels,
                const std::vector<std::string>& wanted_labels) {
  if (existing != wanted || existing_labels != wanted_labels) {
    throw std::invalid_argument("metric " + name +
                                " is already registered with another type or other labels");
  }
}

}  // namespace

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.type = MetricType::counter;
    it->second.counter = std::make_unique<Family<Counter>>(name, help, std::move(label_names));
  } else {
    check_same(name, it->second.type, MetricType::counter,
               it->second.counter ? it->second.counter->label_names() : std::vector<std::string>{},
               label_names);
  }
  return *it->second.counter;
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.type = MetricType::gauge;
    it->second.gauge = std::make_unique<Family<Gauge>>(name, help, std::move(label_names));
  } else {
    check_same(name, it->second.type, MetricType::gauge,
               it->second.gauge ? it->second.gauge->label_names() : std::vector<std::string>{},
               label_names);
  }
  return *it->second.gauge;
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<std::string> label_names,
                                       std::span<const double> buckets) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.type = MetricType::histogram;
    it->second.histogram = std::make_unique<Family<Histogram>>(
        name, help, std::move(label_names), std::vector<double>(buckets.begin(), buckets.end()));
  } else {
    check_same(
        name, it->second.type, MetricType::histogram,
        it->second.histogram ? it->second.histogram->label_names() : std::vector<std::string>{},
        label_names);
  }
  return *it->second.histogram;
}

int Registry::add_collector(Collector collector) {
  std::lock_guard lock(mutex_);
  const int id = next_collector_id_++;
  collectors_.emplace(id, std::move(collector));
  return id;
}

void Registry::remove_collector(int id) {
  std::lock_guard lock(mutex_);
  collectors_.erase(id);
}

}  // namespace loadlab::metrics
