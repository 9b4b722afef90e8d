// Health and trivial routes: always answer while the process serves (liveness never fails on
// overload; readiness lives with the queue it reports on).
#pragma once

#include <string>

namespace loadlab::http {
class Router;
class ServerState;
}  // namespace loadlab::http

namespace loadlab::target {

// role_name: "target" or "downstream", reported by GET /.
void register_health_routes(http::Router& router, std::string role_name);
// /readiness for roles without a work queue: 503 while the server drains, 200 otherwise.
void register_drain_readiness_route(http::Router& router, const http::ServerState& state);
// /api/fast and /api/ping (seed 000), target role only.
void register_fast_routes(http::Router& router);

}  // namespace loadlab::target
