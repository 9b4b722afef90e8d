// Target routes that call the downstream.
#include "target/downstream_calls.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <vector>

#include "http/params.hpp"
#include "http/router.hpp"
#include "protect/protections.hpp"
#include "protect/retry_policy.hpp"
#include "target/protection_gate.hpp"
#include "target/simulated_dependency.hpp"
#include "target/upstream_metrics.hpp"

namespace loadlab::target {

namespace {

std::chrono::milliseconds seconds_to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
}

nlohmann::json body_as_json(const std::string& body) {
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return body.substr(0, 1024);
  return parsed;
}

nlohmann::json describe(const CallOutcome& outcome) {
  nlohmann::json out{{"result", to_string(outcome.result)}, {"seconds", outcome.seconds}};
  if (outcome.status) out["status"] = *outcome.status;
  if (!outcome.detail.empty()) out["detail"] = outcome.detail;
  return out;
}

}  // namespace

UpstreamResult classify_call(const core::Expected<http::ClientResponse, http::ClientError>& reply) {
  if (!reply) {
    return reply.error().kind == http::ClientErrorKind::timeout ? UpstreamResult::timeout
                                                                : UpstreamResult::error;
  }
  if (reply->status >= 200 && reply->status < 300) return UpstreamResult::ok;
  // A 504 says the dependency gave up in time, e.g. at the deadline this service sent it: the
  // call timed out, whichever side noticed first.
  return reply->status == 504 ? UpstreamResult::timeout : UpstreamResult::error;
}

http::Status status_for(const CallOutcome& outcome) noexcept {
  switch (outcome.result) {
    case UpstreamResult::ok:
      return http::Status::ok;
    case UpstreamResult::timeout:
      return http::Status::gateway_timeout;
    case UpstreamResult::breaker_open:
      return http::Status::service_unavailable;
    case UpstreamResult::shed:
      return http::Status::too_many_requests;
    case UpstreamResult::error:
      return http::Status::bad_gateway;
  }
  return http::Status::bad_gateway;
}

FanOutVerdict fan_out_verdict(const std::vector<CallOutcome>& outcomes) noexcept {
  int failed = 0;
  int refused = 0;
  bool any_timeout = false;
  std::chrono::seconds longest_retry_after{0};
  for (const auto& outcome : outcomes) {
    if (outcome.result == UpstreamResult::ok) continue;
    ++failed;
    if (outcome.result == UpstreamResult::timeout) any_timeout = true;
    // A deadline that expired before the call is a timeout (504), not an overload refusal.
    const bool refused_locally = (outcome.result == UpstreamResult::breaker_open ||
                                  outcome.result == UpstreamResult::shed) &&
                                 outcome.rejection.has_value();
    if (refused_locally) {
      ++refused;
      longest_retry_after = std::max(longest_retry_after, outcome.rejection->retry_after);
    }
  }
  if (failed == 0) return {http::Status::ok, std::nullopt};
  const bool none_succeeded = failed == static_cast<int>(outcomes.size());
  if (refused > 0 && (refused == failed || none_succeeded)) {
    return {http::Status::service_unavailable, longest_retry_after};
  }
  return {any_timeout ? http::Status::gateway_timeout : http::Status::bad_gateway, std::nullopt};
}

void DownstreamCallRoutes::register_routes(http::Router& router) {
  router.get("/api/call-downstream",
             [this](http::RequestContext& context) { return call_downstream(context); });
  router.get("/api/cascade-failure",
             [this](http::RequestContext& context) { return cascade_failure(context); });
  router.get("/api/no-timeout",
             [this](http::RequestContext& context) { return no_timeout(context); });
  router.get("/client", [this](http::RequestContext& context) { return client(context); });
}

void DownstreamCallRoutes::set_protections(protect::Protections& protections, core::Clock& clock) {
  protections_ = &protections;
  guard_ = &protections.dependency("downstream");
  clock_ = &clock;
}

boost::asio::awaitable<CallOutcome> DownstreamCallRoutes::attempt(
    std::string target, std::optional<std::chrono::milliseconds> timeout,
    http::HeaderList headers) {
  const auto started = std::chrono::steady_clock::now();
  auto reply = co_await client_.get(downstream_, std::move(target), timeout, std::move(headers));
  CallOutcome outcome{classify_call(reply), std::nullopt, {}, {}, 0, std::nullopt, std::nullopt};
  outcome.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (reply) {
    outcome.status = reply->status;
    outcome.body = std::move(reply->body);
    if (const auto it = reply->headers.find(boost::beast::http::field::retry_after);
        it != reply->headers.end()) {
      outcome.retry_after = protect::server_retry_after(reply->status, it->value());
    }
  } else {
    outcome.detail = fmt::format("{}: {}", to_string(reply.error().kind), reply.error().message);
  }
  metrics_.record(outcome.result, outcome.seconds);
  co_return outcome;
}

boost::asio::awaitable<CallOutcome> DownstreamCallRoutes::call(
    std::string target, std::optional<std::chrono::milliseconds> timeout,
    core::TimePoint deadline) {
  if (protections_ == nullptr) co_return co_await attempt(std::move(target), timeout, {});

  const protect::Deadline request_deadline{deadline};
  guard_->on_logical_call();
  for (int attempts = 1;; ++attempts) {
    if (request_deadline.expired(*clock_)) {
      CallOutcome expired{UpstreamResult::timeout,
                          std::nullopt,
                          "deadline exceeded before the call",
                          {},
                          0,
                          protect::Rejection{protect::RejectReason::deadline_expired},
                          std::nullopt};
      metrics_.record(expired.result, 0);
      co_return expired;
    }
    auto permit = guard_->begin_attempt();
    if (!permit) {
      const bool breaker = permit.error().reason == protect::RejectReason::breaker_open;
      CallOutcome refused{breaker ? UpstreamResult::breaker_open : UpstreamResult::shed,
                          std::nullopt,
                          std::string(protect::reason_name(permit.error().reason)),
                          {},
                          0,
                          permit.error(),
                          std::nullopt};
      metrics_.record(refused.result, 0);
      co_return refused;
    }
    // The route's own timeout, cut to what the protections allow within the deadline.
    const auto allowed = std::chrono::duration_cast<std::chrono::milliseconds>(
        protections_->read_timeout(request_deadline));
    std::optional<std::chrono::milliseconds> effective = timeout;
    if (allowed < std::chrono::milliseconds(std::chrono::hours(24))) {
      effective = effective ? std::min(*effective, allowed) : allowed;
    }
    // A retry never runs past the call's deadline: at most what is left of it.
    if (deadline != core::TimePoint::max()) {
      const auto left =
          std::max(std::chrono::milliseconds{1},
                   std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_->now()));
      effective = effective ? std::min(*effective, left) : left;
    }
    // The callee learns what is left of our deadline, as of this attempt (with `timeouts`).
    http::HeaderList headers;
    if (const auto left_ms = protections_->outbound_timeout_ms(request_deadline)) {
      headers.emplace_back("X-Request-Timeout-Ms", std::to_string(*left_ms));
    }
    CallOutcome outcome = co_await attempt(target, effective, std::move(headers));
    permit->finish(outcome.result == UpstreamResult::ok ? protect::CallOutcome::success
                                                        : protect::CallOutcome::failure);
    if (outcome.result == UpstreamResult::ok) co_return outcome;
    const auto wait = guard_->retry_delay(attempts, outcome.retry_after, deadline);
    if (!wait) co_return outcome;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, *wait);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

boost::asio::awaitable<void> DownstreamCallRoutes::call_into(std::string target,
                                                             std::chrono::milliseconds timeout,
                                                             core::TimePoint deadline,
                                                             CallOutcome* slot) {
  *slot = co_await call(std::move(target), timeout, deadline);
}

http::Response DownstreamCallRoutes::answer(const CallOutcome& outcome, unsigned version) const {
  if (outcome.rejection) return rejection_response(*outcome.rejection, version);
  const http::Status status = status_for(outcome);
  if (status == http::Status::ok) {
    return http::json_response(status,
                               {{"downstream_status", *outcome.status},
                                {"downstream", body_as_json(outcome.body)},
                                {"duration_ms", outcome.seconds * 1000.0}},
                               version);
  }
  nlohmann::json body = describe(outcome);
  body["error"] =
      outcome.result == UpstreamResult::timeout ? "downstream timed out" : "downstream failed";
  if (outcome.status) body["downstream"] = body_as_json(outcome.body);
  return http::error_response(status, body, version);
}

boost::asio::awaitable<http::Response> DownstreamCallRoutes::call_downstream(
    http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto timeout = http::parse_double_param(context.query, "timeout", 5.0, 1.0, 60.0);
  if (!timeout) co_return http::unprocessable(timeout.error(), version);
  // `delay` is ours (the seed always asks /slow?delay=3); it keeps tests and demos short.
  const auto delay = http::parse_double_param(context.query, "delay", 3.0, 0.0, 60.0);
  if (!delay) co_return http::unprocessable(delay.error(), version);
  const CallOutcome outcome = co_await call(fmt::format("/slow?delay={}", *delay),
                                            seconds_to_ms(*timeout), context.deadline);
  co_return answer(outcome, version);
}

boost::asio::awaitable<http::Response> DownstreamCallRoutes::cascade_failure(
    http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto delay = http::parse_double_param(context.query, "delay", 2.0, 0.0, 60.0);
  if (!delay) co_return http::unprocessable(delay.error(), version);
  const auto calls = http::parse_int_param(context.query, "calls", 5, 1, 20);
  if (!calls) co_return http::unprocessable(calls.error(), version);
  constexpr std::chrono::milliseconds timeout{5'000};

  auto executor = co_await boost::asio::this_coro::executor;
  std::vector<CallOutcome> outcomes(static_cast<std::size_t>(*calls),
                                    CallOutcome{UpstreamResult::error, {}, {}, {}, 0, {}, {}});
  using CallOp = decltype(boost::asio::co_spawn(
      executor, call_into(std::string{}, timeout, context.deadline, nullptr),
      boost::asio::deferred));
  std::vector<CallOp> operations;
  operations.reserve(outcomes.size());
  const std::string target = fmt::format("/slow?delay={}", *delay);
  for (auto& outcome : outcomes) {
    operations.push_back(boost::asio::co_spawn(
        executor, call_into(target, timeout, context.deadline, &outcome), boost::asio::deferred));
  }
  const auto started = std::chrono::steady_clock::now();
  co_await boost::asio::experimental::make_parallel_group(std::move(operations))
      .async_wait(boost::asio::experimental::wait_for_all(), boost::asio::use_awaitable);

  nlohmann::json results = nlohmann::json::array();
  int ok = 0;
  for (const auto& outcome : outcomes) {
    results.push_back(describe(outcome));
    if (outcome.result == UpstreamResult::ok) ++ok;
  }
  const double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  nlohmann::json body{
      {"calls", *calls}, {"succeeded", ok}, {"results", results}, {"duration_ms", elapsed_ms}};
  const FanOutVerdict verdict = fan_out_verdict(outcomes);
  if (verdict.status == http::Status::ok)
    co_return http::json_response(verdict.status, body, version);
  body["error"] = fmt::format("{} of {} downstream calls failed", *calls - ok, *calls);
  http::Response response = http::error_response(verdict.status, body, version);
  if (verdict.retry_after)
    response.set("Retry-After", std::to_string(verdict.retry_after->count()));
  co_return response;
}

boost::asio::awaitable<http::Response> DownstreamCallRoutes::no_timeout(
    http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto delay = http::parse_double_param(context.query, "delay", 30.0, 0.0, 60.0);
  if (!delay) co_return http::unprocessable(delay.error(), version);
  // The anti-pattern on purpose: no timeout (the client still caps it at its ceiling).
  const CallOutcome outcome =
      co_await call(fmt::format("/slow?delay={}", *delay), std::nullopt, context.deadline);
  co_return answer(outcome, version);
}

boost::asio::awaitable<http::Response> DownstreamCallRoutes::client(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto ms = http::parse_double_param(context.query, "ms", 50.0, 0.0, 60'000.0);
  if (!ms) co_return http::unprocessable(ms.error(), version);
  const auto fail_rate = http::parse_double_param(context.query, "fail_rate", 0.0, 0.0, 1.0);
  if (!fail_rate) co_return http::unprocessable(fail_rate.error(), version);
  const auto timeout_ms = http::parse_int_param(context.query, "timeout_ms", 200, 1, 60'000);
  if (!timeout_ms) co_return http::unprocessable(timeout_ms.error(), version);
  const auto priority = http::parse_string_param(context.query, "priority", "normal", 16);
  if (!priority || !(priority->empty() || is_known_priority(*priority))) {
    co_return http::unprocessable(http::ParamError{"priority", "must be one of low, normal, high"},
                                  version);
  }
  // timeout_ms bounds the whole call, retries and their waits included (as Envoy's route
  // timeout): a caller that asked for 200 ms got three attempts of 200 ms each, and more.
  const core::TimePoint call_deadline =
      std::min(context.deadline, clock_->now() + std::chrono::milliseconds(*timeout_ms));
  const CallOutcome outcome =
      co_await call(fmt::format("/upstream?ms={}&fail_rate={}", *ms, *fail_rate),
                    std::chrono::milliseconds(*timeout_ms), call_deadline);
  if (outcome.result == UpstreamResult::ok) {
    co_return http::json_response(http::Status::ok,
                                  {{"result", "ok"},
                                   {"priority", priority->empty() ? "normal" : *priority},
                                   {"upstream", body_as_json(outcome.body)},
                                   {"duration_ms", outcome.seconds * 1000.0}},
                                  version);
  }
  co_return answer(outcome, version);
}

}  // namespace loadlab::target
