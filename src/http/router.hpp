// Exact-path route table: (method, path) -> handler, plus the 404/405 answers for misses.
// Filled at start-up, read-only while serving (no locking on the hot path).
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/message.hpp"

namespace loadlab::http {

struct Route {
  Verb method;
  std::string path;            // also the bounded "path" label of the request metrics
  Handler handler;             // always set (for an immediate route, it calls `immediate`)
  ImmediateHandler immediate;  // set for routes that answer without waiting
  std::size_t index = 0;       // dense, 0..route_count()-1: lets the server keep per-route state
  // Control plane (probes, /metrics, admin): answered on the I/O thread even in the threaded
  // model, never queued behind busy workers, so overload can fail readiness (by its own rule) but
  // never liveness, a scrape or an operator's switch.
  bool control = false;
};

struct RouteMatch {
  enum class Outcome { found, not_found, method_not_allowed };
  Outcome outcome = Outcome::not_found;
  const Route* route = nullptr;  // set when found
  std::string_view allow;        // "GET, HEAD, POST" when method_not_allowed
  // The table's path (the metrics label) whenever the path is known, even for a wrong method.
  std::string_view path;
};

class Router {
 public:
  // Throws std::invalid_argument when (method, path) is already registered (a start-up error).
  void add(Verb method, const std::string& path, Handler handler);
  void add(Verb method, const std::string& path, ImmediateHandler handler);
  void get(const std::string& path, Handler handler) { add(Verb::get, path, std::move(handler)); }
  void get(const std::string& path, ImmediateHandler handler) {
    add(Verb::get, path, std::move(handler));
  }
  void post(const std::string& path, Handler handler) { add(Verb::post, path, std::move(handler)); }

  // Marks every route whose path `is_control` accepts as control plane (Route::control).
  void mark_control_routes(const std::function<bool(std::string_view path)>& is_control);

  // path excludes the query string. HEAD matches a path's GET route unless it has its own.
  [[nodiscard]] RouteMatch match(Verb method, std::string_view path) const;

  [[nodiscard]] std::size_t route_count() const noexcept { return routes_.size(); }
  [[nodiscard]] const Route& route(std::size_t index) const { return routes_[index]; }

  // The JSON answers for a miss (the server adds them, so every miss looks the same).
  static Response not_found(std::string_view path, unsigned version = 11);
  static Response method_not_allowed(Verb method, std::string_view allow, unsigned version = 11);
  // 501 for a method this server does not know at all (RFC 9110 §9.1), e.g. FOO.
  static Response not_implemented(std::string_view method, unsigned version = 11);

 private:
  struct PathEntry {
    std::vector<const Route*> routes;
    std::string allow;
  };
  struct TransparentHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  std::deque<Route> routes_;  // deque: stable addresses while adding
  std::unordered_map<std::string, PathEntry, TransparentHash, std::equal_to<>> paths_;
};

}  // namespace loadlab::http
