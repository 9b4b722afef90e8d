// Exact-path routing with an Allow list per path for 405 answers.
#include "http/router.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace loadlab::http {

namespace {

// The awaitable face of an immediate handler: what a worker runs in the threaded model.
struct AwaitImmediate {
  const ImmediateHandler* immediate;  // the route's own, at a stable address
  asio::awaitable<Response> operator()(RequestContext& context) const {
    co_return (*immediate)(context);
  }
};

}  // namespace

void Router::add(Verb method, const std::string& path, ImmediateHandler handler) {
  add(method, path, Handler{});
  Route& route = routes_.back();
  route.immediate = std::move(handler);
  route.handler = AwaitImmediate{&route.immediate};
}

void Router::add(Verb method, const std::string& path, Handler handler) {
  PathEntry& entry = paths_[path];
  for (const Route* existing : entry.routes) {
    if (existing->method == method) {
      throw std::invalid_argument(
          "route registered twice: " + std::string(beast::http::to_string(method)) + " " + path);
    }
  }
  routes_.push_back(Route{method, path, std::move(handler), {}, routes_.size()});
  entry.routes.push_back(&routes_.back());
  entry.allow.clear();
  const auto allow = [&entry](Verb allowed) {
    if (!entry.allow.empty()) entry.allow += ", ";
    entry.allow += beast::http::to_string(allowed);
  };
  bool head_allowed = false;
  for (const Route* route : entry.routes) {
    if (route->method == Verb::head) {
      if (head_allowed) continue;
      head_allowed = true;
    }
    allow(route->method);
    if (route->method == Verb::get && !head_allowed) {
      allow(Verb::head);  // answered by the GET route (see match)
      head_allowed = true;
    }
  }
}

void Router::mark_control_routes(const std::function<bool(std::string_view path)>& is_control) {
  for (Route& route : routes_) route.control = is_control(route.path);
}

RouteMatch Router::match(Verb method, std::string_view path) const {
  const auto found = paths_.find(path);
  if (found == paths_.end()) return RouteMatch{};
  const std::string_view route_path = found->first;
  const Route* get_route = nullptr;
  for (const Route* route : found->second.routes) {
    if (route->method == method) {
      return RouteMatch{RouteMatch::Outcome::found, route, {}, route_path};
    }
    if (route->method == Verb::get) get_route = route;
  }
  // RFC 9110 §9.3.2: servers must support HEAD, which is GET without the body; the session
  // leaves the body out when it writes the answer.
  if (method == Verb::head && get_route != nullptr) {
    return RouteMatch{RouteMatch::Outcome::found, get_route, {}, route_path};
  }
  return RouteMatch{RouteMatch::Outcome::method_not_allowed, nullptr, found->second.allow,
                    route_path};
}

Response Router::not_implemented(std::string_view method, unsigned version) {
  return error_response(Status::not_implemented,
                        nlohmann::json{{"error", "method not implemented"}, {"method", method}},
                        version);
}

Response Router::not_found(std::string_view path, unsigned version) {
  return error_response(Status::not_found, nlohmann::json{{"error", "not found"}, {"path", path}},
                        version);
}

Response Router::method_not_allowed(Verb method, std::string_view allow, unsigned version) {
  Response response = error_response(Status::method_not_allowed,
                                     nlohmann::json{{"error", "method not allowed"},
                                                    {"method", beast::http::to_string(method)},
                                                    {"allow", allow}},
                                     version);
  response.set(beast::http::field::allow, allow);
  return response;
}

}  // namespace loadlab::http
