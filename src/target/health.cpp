// Health and trivial routes.
#include "target/health.hpp"

#include <nlohmann/json.hpp>

#include "http/router.hpp"
#include "http/server_state.hpp"

namespace loadlab::target {

namespace {

// Handlers with a fixed body: the body is built once, the coroutine only copies it.
class FixedResponse {
 public:
  explicit FixedResponse(const nlohmann::json& body) : body_(body.dump()) {}
  boost::asio::awaitable<http::Response> operator()(http::RequestContext& context) const {
    return answer(body_, context.request.version());
  }

 private:
  static boost::asio::awaitable<http::Response> answer(std::string body, unsigned version) {
    http::Response response{http::Status::ok, version};
    response.set(http::beast::http::field::content_type, "application/json");
    response.body() = std::move(body);
    response.prepare_payload();
    co_return response;
  }
  std::string body_;
};

class DrainReadiness {
 public:
  explicit DrainReadiness(const http::ServerState& state) : state_(state) {}
  boost::asio::awaitable<http::Response> operator()(http::RequestContext& context) const {
    return answer(state_.draining(), context.request.version());
  }

 private:
  static boost::asio::awaitable<http::Response> answer(bool draining, unsigned version) {
    if (draining) {
      co_return http::error_response(http::Status::service_unavailable,
                                     {{"status", "draining"}, {"error", "server is draining"}},
                                     version);
    }
    co_return http::json_response(http::Status::ok, {{"status", "ready"}}, version);
  }
  const http::ServerState& state_;
};

}  // namespace

void register_drain_readiness_route(http::Router& router, const http::ServerState& state) {
  router.get("/readiness", DrainReadiness(state));
}

void register_health_routes(http::Router& router, std::string role_name) {
  router.get("/", FixedResponse(nlohmann::json{
                      {"service", "loadlab"}, {"role", role_name}, {"status", "ok"}}));
  router.get("/health", FixedResponse(nlohmann::json{{"status", "healthy"}}));
  router.get("/healthz", FixedResponse(nlohmann::json{{"status", "ok"}}));
  router.get("/liveness", FixedResponse(nlohmann::json{{"status", "alive"}}));
}

void register_fast_routes(http::Router& router) {
  router.get("/api/fast", FixedResponse(nlohmann::json{{"message", "fast response"}}));
  router.get("/api/ping", FixedResponse(nlohmann::json{{"ping", "pong"}}));
}

}  // namespace loadlab::target
