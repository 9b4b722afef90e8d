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
  if (!entry.allow.empty()) entry.allow += ", ";
  entry.allow += beast::http::to_string(method);
}

void Router::mark_control_routes(const std::function<bool(std::string_view path)>& is_control) {
  for (Route& route : routes_) route.control = is_control(route.path);
}

RouteMatch Router::match(Verb method, std::string_view path) const {
  const auto found = paths_.find(path);
  if (found == paths_.end()) return RouteMatch{};
  for (const Route* route : found->second.routes) {
    if (route->method == method) return RouteMatch{RouteMatch::Outcome::found, route, {}};
  }
  return RouteMatch{RouteMatch::Outcome::method_not_allowed, nullptr, found->second.allow};
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
