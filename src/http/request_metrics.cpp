// Request counters and duration histograms with cached children (see request_metrics.hpp).
#include "http/request_metrics.hpp"

#include "http/router.hpp"

namespace loadlab::http {
namespace {

std::string status_text(unsigned status) {
  return std::to_string(status);
}

}  // namespace

RequestMetrics::RequestMetrics(metrics::Registry& registry, const Router& router)
    : requests_(registry.counter("http_requests_total", "HTTP requests answered",
                                 {"method", "path", "status"})),
      durations_(registry.histogram("http_request_duration_seconds",
                                    "Time from a complete request head to the response",
                                    {"method", "path"})),
      inflight_(registry.gauge("http_inflight_requests", "Requests being served").with({})),
      connections_(registry.gauge("http_open_connections", "Open client connections").with({})),
      rejected_connections_(registry
                                .counter("http_rejected_connections_total",
                                         "Connections refused because max_connections was reached")
                                .with({})) {
  routes_.reserve(router.route_count());
  for (std::size_t i = 0; i < router.route_count(); ++i) {
    const Route& route = router.route(i);
    auto series = std::make_unique<Series>();
    series->method = std::string(beast::http::to_string(route.method));
    series->path = route.path;
    routes_.push_back(std::move(series));
  }
  for (std::size_t i = 0; i < verb_slots; ++i) {
    auto series = std::make_unique<Series>();
    series->method = std::string(beast::http::to_string(static_cast<Verb>(i)));
    series->path = std::string(unmatched_route_label);
    unmatched_[i] = std::move(series);
  }
}

RequestMetrics::~RequestMetrics() = default;

RequestMetrics::Series& RequestMetrics::unmatched_series(Verb method) noexcept {
  const auto slot = static_cast<std::size_t>(method);
  return *unmatched_[slot < verb_slots ? slot : 0];
}

RequestMetrics::Series& RequestMetrics::other_method_series(Verb method,
                                                            std::string_view route_path) {
  const std::string_view method_name = beast::http::to_string(method);
  std::string key;
  key.reserve(method_name.size() + 1 + route_path.size());
  key.append(method_name).append(1, ' ').append(route_path);
  std::lock_guard lock(other_methods_mutex_);
  auto& series = other_methods_[key];
  if (!series) {
    series = std::make_unique<Series>();
    series->method = std::string(method_name);
    series->path = std::string(route_path);
  }
  return *series;
}

void RequestMetrics::record(const Route* route, std::string_view route_path, Verb method,
                            unsigned status, double seconds) noexcept {
  const bool own_route =
      route != nullptr && route->index < routes_.size() && route->method == method;
  Series& series = own_route             ? *routes_[route->index]
                   : !route_path.empty() ? other_method_series(method, route_path)
                                         : unmatched_series(method);
  metrics::Histogram* duration = series.duration.load(std::memory_order_acquire);
  if (duration == nullptr) {
    // Family::with returns the same child to every racer, so a double store is harmless.
    duration = &durations_.with({series.method, series.path});
    series.duration.store(duration, std::memory_order_release);
  }
  duration->observe(seconds);

  if (status < first_status || status >= first_status + status_count) status = 500;
  std::atomic<metrics::Counter*>& slot = series.by_status[status - first_status];
  metrics::Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = &requests_.with({series.method, series.path, status_text(status)});
    slot.store(counter, std::memory_order_release);
  }
  counter->inc();
}

}  // namespace loadlab::http
