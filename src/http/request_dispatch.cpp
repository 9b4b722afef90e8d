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

RequestDispatch::RequestDispatch(SessionEnvironment& environment, const Request& request,
                                 core::TimePoint received_at, asio::any_io_executor executor)
    : environment_(environment),
      request_(request),
      received_at_(received_at),
      executor_(std::move(executor)) {
  environment_.state->request_started();
  environment_.metrics->inflight().inc();
}

bool RequestDispatch::start(Response& out) {
  std::optional<Response> answer = answer_now();
  if (!answer) return false;
  out = std::move(*answer);
  return true;
}

std::optional<Response> RequestDispatch::answer_now() {
  const RequestTarget target = split_request_target(request_.target());
  path_ = target.path;

  const auto incoming = request_.find("X-Request-ID");
  request_id_ = incoming != request_.end() && acceptable_request_id(incoming->value())
                    ? std::string_view(incoming->value())
                    : generate_request_id(generated_id_);

  if (request_.method() == Verb::unknown) {
    return Router::not_implemented(request_.method_string(), request_.version());
  }
  match_ = environment_.router->match(request_.method(), path_);
  if (match_.outcome == RouteMatch::Outcome::method_not_allowed) {
    return Router::method_not_allowed(request_.method(), match_.allow, request_.version());
  }
  if (match_.outcome != RouteMatch::Outcome::found) {
    return Router::not_found(path_, request_.version());
  }

  if (target.query) query_ = parse_query(*target.query);
  const auto& deadline_after = environment_.options->request_deadline;
  // Braces, not emplace's parentheses: clang 14 has no parenthesised aggregate initialisation.
  context_.emplace(RequestContext{
      request_, path_, query_, match_.route->path, request_id_, received_at_,
      deadline_after ? received_at_ + *deadline_after : core::TimePoint::max(), executor_});
  if (environment_.gate != nullptr) {
    // Admission happens here, before the request waits for a worker or does any work.
    GateDecision decision = environment_.gate->enter(*context_);
    ticket_ = std::move(decision.ticket);
    if (decision.rejection) return std::move(decision.rejection);
  }
  if (on_worker() || !match_.route->immediate) return std::nullopt;
  // A route that answers at once (in the async model, or a control route): its gate check and
  // its call, here.
  if (environment_.gate != nullptr) {
    if (std::optional<Response> early = environment_.gate->on_start(*context_)) return early;
  }
  try {
    return match_.route->immediate(*context_);
  } catch (const std::exception& error) {
    return internal_error(error, request_.version());
  }
}

bool RequestDispatch::on_worker() const noexcept {
  return environment_.workers != nullptr && !match_.route->control;
}

asio::awaitable<Response> RequestDispatch::call_handler() {
  try {
    if (on_worker()) {
      // The gated handler checks RequestGate::on_start on the worker, just before it starts.
      const Handler* handler = environment_.gate != nullptr
                                   ? &(*environment_.gated_handlers)[match_.route->index]
                                   : &match_.route->handler;
      co_return co_await environment_.workers->run(handler, &*context_);
    }
    if (environment_.gate != nullptr) {
      if (std::optional<Response> early = environment_.gate->on_start(*context_)) {
        co_return std::move(*early);
      }
    }
    co_return co_await match_.route->handler(*context_);
  } catch (const std::exception& error) {
    co_return internal_error(error, request_.version());
  }
}

ResponseStamp RequestDispatch::finish(const Response& response) {
  if (ticket_) ticket_->finish(response.result_int());
  ticket_.reset();
  const core::Duration elapsed = environment_.clock->now() - received_at_;
  environment_.metrics->record(match_.route, match_.path, request_.method(), response.result_int(),
                               seconds_of(elapsed));
  environment_.metrics->inflight().dec();
  environment_.state->request_finished();
  return ResponseStamp(request_id_, elapsed);
}

ResponseStamp finish_protocol_error(SessionEnvironment& environment, const Response& response,
                                    Verb method, core::TimePoint started) {
  std::array<char, 17> generated{};
  const core::Duration elapsed = environment.clock->now() - started;
  environment.metrics->record(nullptr, {}, method, response.result_int(), seconds_of(elapsed));
  return ResponseStamp(generate_request_id(generated), elapsed);
}

}  // namespace loadlab::http
