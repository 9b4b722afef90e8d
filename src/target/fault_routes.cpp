// Fault injection admin API and its application to every route.
#include "target/fault_routes.hpp"

#include <nlohmann/json.hpp>

#include "http/router.hpp"
#include "metrics/registry.hpp"
#include "target/admin_guard.hpp"
#include "target/random_source.hpp"
#include "target/sleep.hpp"

namespace loadlab::target {

namespace {

// Keeps the wrapped handler alive in the router and forwards to FaultRoutes::serve.
class FaultedHandler {
 public:
  FaultedHandler(FaultRoutes* routes, http::Handler inner)
      : routes_(routes), inner_(std::make_shared<http::Handler>(std::move(inner))) {}
  boost::asio::awaitable<http::Response> operator()(http::RequestContext& context) const {
    return routes_->serve(inner_.get(), context);
  }

 private:
  FaultRoutes* routes_;
  std::shared_ptr<http::Handler> inner_;
};

metrics::Family<metrics::Counter>& injected_family(metrics::Registry& registry) {
  return registry.counter("downstream_faults_injected_total",
                          "Requests of the downstream role a fault was applied to", {"fault"});
}

}  // namespace

http::Response abort_connection_response(unsigned version) {
  http::Response response =
      http::error_response(http::Status::bad_gateway, "connection reset (injected fault)", version);
  response.set(abort_connection_header, "reset");
  response.keep_alive(false);
  return response;
}

FaultRoutes::FaultRoutes(FaultSettings& settings, RandomSource& random, const AdminGuard& guard,
                         const std::atomic<bool>& stopping, metrics::Registry& registry)
    : settings_(settings),
      random_(random),
      guard_(guard),
      stopping_(stopping),
      delayed_(injected_family(registry).with({"latency"})),
      errors_(injected_family(registry).with({"error"})),
      blackholed_(injected_family(registry).with({"blackhole"})),
      resets_(injected_family(registry).with({"reset"})) {}

void FaultRoutes::register_admin_routes(http::Router& router) {
  router.get("/admin/faults",
             [this](http::RequestContext& context) { return get_faults(context); });
  router.add(http::Verb::put, "/admin/faults",
             [this](http::RequestContext& context) { return put_faults(context); });
  router.add(http::Verb::patch, "/admin/faults",
             [this](http::RequestContext& context) { return patch_faults(context); });
  router.add(http::Verb::delete_, "/admin/faults",
             [this](http::RequestContext& context) { return delete_faults(context); });
}

http::Handler FaultRoutes::wrap(http::Handler inner) {
  return FaultedHandler(this, std::move(inner));
}

FaultRoutes::Counts FaultRoutes::counts() const noexcept {
  return {static_cast<std::uint64_t>(delayed_.value()), static_cast<std::uint64_t>(errors_.value()),
          static_cast<std::uint64_t>(blackholed_.value()),
          static_cast<std::uint64_t>(resets_.value())};
}

boost::asio::awaitable<http::Response> FaultRoutes::get_faults(http::RequestContext& context) {
  if (auto refusal = guard_.refuse(context.request)) co_return std::move(*refusal);
  co_return http::json_response(http::Status::ok, to_json(settings_.get()),
                                context.request.version());
}

http::Response FaultRoutes::update(http::RequestContext& context, const Faults& base) {
  const unsigned version = context.request.version();
  if (auto refusal = guard_.refuse(context.request)) return std::move(*refusal);
  auto parsed = parse_faults(context.request.body(), base);
  if (!parsed) {
    const auto& error = parsed.error();
    nlohmann::json body{
        {"error", error.malformed ? "malformed JSON body" : "invalid faults"},
        {"detail", error.field.empty() ? error.message : error.field + " " + error.message}};
    if (!error.field.empty()) body["field"] = error.field;
    return http::error_response(
        error.malformed ? http::Status::bad_request : http::Status::unprocessable_entity, body,
        version);
  }
  settings_.set(*parsed);
  return http::json_response(http::Status::ok, to_json(*parsed), version);
}

boost::asio::awaitable<http::Response> FaultRoutes::put_faults(http::RequestContext& context) {
  co_return update(context, Faults{});
}

boost::asio::awaitable<http::Response> FaultRoutes::patch_faults(http::RequestContext& context) {
  co_return update(context, settings_.get());
}

boost::asio::awaitable<http::Response> FaultRoutes::delete_faults(http::RequestContext& context) {
  if (auto refusal = guard_.refuse(context.request)) co_return std::move(*refusal);
  settings_.set(Faults{});
  co_return http::json_response(http::Status::ok, to_json(Faults{}), context.request.version());
}

boost::asio::awaitable<http::Response> FaultRoutes::serve(const http::Handler* inner,
                                                          http::RequestContext& context) {
  const unsigned version = context.request.version();
  const Faults faults = settings_.get();
  if (!faults.any()) co_return co_await (*inner)(context);

  const FaultDecision decision = decide_faults(faults, random_);
  switch (decision.action) {
    case FaultAction::reset:
      resets_.inc();
      co_return abort_connection_response(version);
    case FaultAction::blackhole:
      blackholed_.inc();
      co_await sleep_unless_stopped(context.executor, blackhole_hold, stopping_);
      co_return abort_connection_response(version);
    case FaultAction::error:
    case FaultAction::pass:
      break;
  }
  if (decision.delay.count() > 0) {
    delayed_.inc();
    if (!co_await sleep_unless_stopped(context.executor, decision.delay, stopping_)) {
      co_return http::error_response(http::Status::service_unavailable, "shutting down", version);
    }
  }
  if (decision.action == FaultAction::error) {
    errors_.inc();
    co_return http::error_response(http::Status::service_unavailable,
                                   "service unavailable (injected fault)", version);
  }
  co_return co_await (*inner)(context);
}

}  // namespace loadlab::target
