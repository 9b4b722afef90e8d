// The server's own route: GET /metrics (Prometheus text 0.0.4 from the registry passed in).
#pragma once

namespace loadlab::metrics {
class Registry;
}

namespace loadlab::http {

class Router;

inline constexpr const char* prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

// The registry must outlive the router's use.
void add_metrics_route(Router& router, metrics::Registry& registry);

}  // namespace loadlab::http
