// GET /metrics: a scrape of the registry (collectors included) as Prometheus text.
#include "http/metrics_route.hpp"

#include "http/router.hpp"
#include "metrics/registry.hpp"

namespace loadlab::http {
namespace {

asio::awaitable<Response> serve_metrics(const metrics::Registry* registry, unsigned version) {
  Response response{Status::ok, version};
  response.set(beast::http::field::content_type, prometheus_content_type);
  response.body() = registry->expose();
  response.prepare_payload();
  co_return response;
}

}  // namespace

void add_metrics_route(Router& router, metrics::Registry& registry) {
  const metrics::Registry* scraped = &registry;
  router.get("/metrics", [scraped](RequestContext& context) {
    return serve_metrics(scraped, context.request.version());
  });
}

}  // namespace loadlab::http
