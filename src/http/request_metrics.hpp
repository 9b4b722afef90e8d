// The server's per-request series; children are looked up once per (route, method, status) and
// cached, so recording a request costs a few atomic operations and no string work.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "http/message.hpp"
#include "metrics/registry.hpp"

namespace loadlab::http {

class Router;
struct Route;

// Label value for requests that matched no route (a fixed, bounded label).
inline constexpr std::string_view unmatched_route_label = "<unmatched>";

class RequestMetrics {
 public:
  RequestMetrics(metrics::Registry& registry, const Router& router);
  RequestMetrics(const RequestMetrics&) = delete;
  RequestMetrics& operator=(const RequestMetrics&) = delete;
  ~RequestMetrics();

  // route == nullptr: an unmatched or unparsable request (path label "<unmatched>").
  void record(const Route* route, Verb method, unsigned status, double seconds) noexcept;
  metrics::Gauge& inflight() noexcept { return inflight_; }
  metrics::Gauge& connections() noexcept { return connections_; }
  metrics::Counter& rejected_connections() noexcept { return rejected_connections_; }

 private:
  static constexpr unsigned first_status = 100;
  static constexpr unsigned status_count = 500;  // 100..599
  static constexpr std::size_t verb_slots = static_cast<std::size_t>(Verb::unlink) + 1;

  struct Series {
    std::string method;
    std::string path;
    std::atomic<metrics::Histogram*> duration{nullptr};
    std::array<std::atomic<metrics::Counter*>, status_count> by_status{};
  };
  Series& unmatched_series(Verb method) noexcept;

  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Histogram>& durations_;
  metrics::Gauge& inflight_;
  metrics::Gauge& connections_;
  metrics::Counter& rejected_connections_;
  std::vector<std::unique_ptr<Series>> routes_;  // by Route::index
  std::array<std::unique_ptr<Series>, verb_slots> unmatched_;
};

}  // namespace loadlab::http
