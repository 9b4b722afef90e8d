// The server's per-request series; children are looked up once per (route, method, status) and
// cached, so recording a request costs a few atomic operations and no string work.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
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

  // route: the route that answered, or nullptr; route_path: the route table's path when it was
  // known (a wrong method on a known path), else empty: an unmatched or unparsable request
  // (path label "<unmatched>"). A method other than the route's own (HEAD answered by a GET
  // route, or a 405) is counted under its own method and the route's path.
  void record(const Route* route, std::string_view route_path, Verb method, unsigned status,
              double seconds) noexcept;
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
  // Rare pairs (HEAD, a wrong method) get their series on first use, under a lock.
  Series& other_method_series(Verb method, std::string_view route_path);

  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Histogram>& durations_;
  metrics::Gauge& inflight_;
  metrics::Gauge& connections_;
  metrics::Counter& rejected_connections_;
  std::vector<std::unique_ptr<Series>> routes_;  // by Route::index
  std::array<std::unique_ptr<Series>, verb_slots> unmatched_;
  std::mutex other_methods_mutex_;
  // Keyed by "METHOD path": bounded by the verbs Beast knows times the route table's paths.
  std::unordered_map<std::string, std::unique_ptr<Series>> other_methods_;
};

}  // namespace loadlab::http
