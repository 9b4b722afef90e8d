// Routing and bookkeeping around each handler call (see request_dispatch.hpp).
#include "http/request_dispatch.hpp"

#include <array>
#include <chrono>
#include <exception>
#include <nlohmann/json.hpp>
#include <random>

#include "http/params.hpp"
#include "http/request_gate.hpp"
#include "http/request_metrics.hpp"
#include "http/router.hpp"
#include "http/server_state.hpp"
#include "http/session.hpp"
#include "http/worker_pool.hpp"

namespace loadlab::http {
namespace {

constexpr std::size_t max_request_id_length = ResponseStamp::max_request_id_length;

// 16 hex digits from a per-thread splitmix64 sequence: unique enough, cheap, no locking.
std::string_view generate_request_id(std::array<char, 17>& out) noexcept {
  thread_local std::uint64_t state =
      std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32);
  state += 0x9E3779B97F4A7C15ull;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  static constexpr char digits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = digits[z & 0xF];
    z >>= 4;
  }
  return {out.data(), 16};
}

bool acceptable_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > max_request_id_length) return false;
  for (const char c : id) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

double seconds_of(core::Duration elapsed) {
  return std::chrono::duration<double>(elapsed).count();
}

Response internal_error(const std::exception& error, unsigned version) {
  return error_response(Status::internal_server_error,
                        nlohmann::json{{"error", "internal error"}, {"detail", error.what()}},
                        version);
}

}  // namespace

asio::awaitable<Response> dispatch_request(SessionEnvironment* environment, Request* request,
                                           core::TimePoint received_at, ResponseStamp* stamp,
                                           asio::any_io_executor executor) {
  core::Clock& clock = *environment->clock;
  environment->state->request_started();
  environment->metrics->inflight().inc();

  const std::string_view target = request->target();
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query_text =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);

  std::array<char, 17> generated{};
  const auto incoming = request->find("X-Request-ID");
  const std::string_view request_id =
      incoming != request->end() && acceptable_request_id(incoming->value())
          ? std::string_view(incoming->value())
          : generate_request_id(generated);

  const RouteMatch match = environment->router->match(request->method(), path);
  Response response;
  if (match.outcome == RouteMatch::Outcome::found) {
    const QueryParams query = parse_query(query_text);
    const auto& deadline_after = environment->options->request_deadline;
    RequestContext context{*request,
                           path,
                           query,
                           match.route->path,
                           request_id,
                           received_at,
                           deadline_after ? received_at + *deadline_after : core::TimePoint::max(),
                           executor};
    // Admission happens here, before the request waits for a worker or does any work.
    GateDecision decision;
    if (environment->gate != nullptr) decision = environment->gate->enter(context);
    if (decision.rejection) {
      response = std::move(*decision.rejection);
    } else {
      // Called here rather than in a helper coroutine: each coroutine level is one more frame to
      // allocate and resume per request.
      try {
        if (environment->workers != nullptr) {
          // The gated handler checks RequestGate::on_start on the worker, just before it starts.
          const Handler* handler = environment->gate != nullptr
                                       ? &(*environment->gated_handlers)[match.route->index]
                                       : &match.route->handler;
          response = co_await environment->workers->run(handler, &context);
        } else if (std::optional<Response> early = environment->gate != nullptr
                                                       ? environment->gate->on_start(context)
                                                       : std::nullopt) {
          response = std::move(*early);
        } else {
          response = co_await match.route->handler(context);
        }
      } catch (const std::exception& error) {
        response = internal_error(error, request->version());
      }
    }
    if (decision.ticket) decision.ticket->finish(response.result_int());
  } else if (match.outcome == RouteMatch::Outcome::method_not_allowed) {
    response = Router::method_not_allowed(request->method(), match.allow, request->version());
  } else {
    response = Router::not_found(path, request->version());
  }

  const core::Duration elapsed = clock.now() - received_at;
  *stamp = ResponseStamp(request_id, elapsed);
  environment->metrics->record(match.route, request->method(), response.result_int(),
                               seconds_of(elapsed));
  environment->metrics->inflight().dec();
  environment->state->request_finished();
  co_return response;
}

ResponseStamp finish_protocol_error(SessionEnvironment& environment, const Response& response,
                                    Verb method, core::TimePoint started) {
  std::array<char, 17> generated{};
  const core::Duration elapsed = environment.clock->now() - started;
  environment.metrics->record(nullptr, method, response.result_int(), seconds_of(elapsed));
  return ResponseStamp(generate_request_id(generated), elapsed);
}

}  // namespace loadlab::http
