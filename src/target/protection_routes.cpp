// The admin API of the protections: the whole settings document, partial updates validated first.
#include "target/protection_routes.hpp"

#include <nlohmann/json.hpp>

#include "http/router.hpp"

namespace loadlab::target {

void ProtectionRoutes::register_routes(http::Router& router) {
  router.get("/admin/protections", [this](http::RequestContext& context) { return get(context); });
  router.add(http::Verb::put, "/admin/protections",
             [this](http::RequestContext& context) { return put(context); });
}

boost::asio::awaitable<http::Response> ProtectionRoutes::get(http::RequestContext& context) {
  if (auto refusal = guard_.refuse(context.request)) co_return std::move(*refusal);
  co_return http::json_response(http::Status::ok,
                                protect::to_json(protections_.settings().settings()),
                                context.request.version());
}

boost::asio::awaitable<http::Response> ProtectionRoutes::put(http::RequestContext& context) {
  const unsigned version = context.request.version();
  if (auto refusal = guard_.refuse(context.request)) co_return std::move(*refusal);
  nlohmann::json body = nlohmann::json::parse(context.request.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    co_return http::error_response(http::Status::bad_request, "request body must be a JSON object",
                                   version);
  }
  auto updated = protections_.settings().update(body);
  if (!updated) {
    co_return http::error_response(http::Status::unprocessable_entity,
                                   nlohmann::json{{"error", updated.error()}}, version);
  }
  co_return http::json_response(http::Status::ok, protect::to_json(*updated), version);
}

}  // namespace loadlab::target
