// A route raced against the caller's deadline (see caller_deadline.hpp).
#include "target/caller_deadline.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>
#include <variant>

#include "http/params.hpp"

namespace loadlab::target {
namespace {

http::Response deadline_exceeded(bool before_start, std::chrono::milliseconds timeout,
                                 unsigned version) {
  return http::error_response(
      http::Status::gateway_timeout,
      nlohmann::json{{"error", "deadline exceeded"},
                     {"reason", before_start ? "deadline_expired" : "deadline_reached"},
                     {"timeout_ms", timeout.count()}},
      version);
}

class CallerDeadlineHandler {
 public:
  CallerDeadlineHandler(http::Handler inner, const core::Clock& clock,
                        const protect::DeadlineConfig& config)
      : state_(std::make_shared<State>(State{std::move(inner), clock, config})) {}

  boost::asio::awaitable<http::Response> operator()(http::RequestContext& context) const {
    const auto header = header_value(context.request, request_timeout_header);
    if (!header) return state_->inner(context);  // no coroutine of its own: the common case
    return bounded(state_, context, *header);
  }

 private:
  struct State {
    http::Handler inner;
    const core::Clock& clock;
    protect::DeadlineConfig config;
  };

  static boost::asio::awaitable<http::Response> bounded(std::shared_ptr<const State> state,
                                                        http::RequestContext& context,
                                                        std::string_view header) {
    using namespace boost::asio::experimental::awaitable_operators;
    const unsigned version = context.request.version();
    // From when the request arrived: time spent before the route (an injected latency fault,
    // a queue) counts against the caller's deadline too.
    const auto parsed = protect::request_deadline(context.received_at, header, state->config);
    if (!parsed) co_return bad_request_timeout(parsed.error(), version);
    const core::TimePoint deadline = parsed->at();
    const auto timeout_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - context.received_at);
    const core::TimePoint now = state->clock.now();
    if (now >= deadline) co_return deadline_exceeded(true, timeout_ms, version);

    boost::asio::steady_timer timer(context.executor, deadline - now);
    auto outcome = co_await (state->inner(context) ||
                             timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable)));
    if (outcome.index() == 0) co_return std::get<0>(std::move(outcome));
    // The deadline came first: the route's wait was cancelled and its answer dropped.
    co_return deadline_exceeded(false, timeout_ms, version);
  }

  std::shared_ptr<const State> state_;
};

}  // namespace

std::optional<std::string_view> header_value(const http::Request& request, std::string_view name) {
  const auto it = request.find(name);
  if (it == request.end()) return std::nullopt;
  return std::string_view(it->value());
}

http::Response bad_request_timeout(std::string parser_message, unsigned version) {
  std::string detail = std::move(parser_message);
  const std::string prefix = std::string(request_timeout_header) + " ";
  if (detail.starts_with(prefix)) detail.erase(0, prefix.size());
  return http::unprocessable(http::ParamError{std::string(request_timeout_header), detail},
                             version);
}

http::Handler bound_by_caller_deadline(http::Handler inner, const core::Clock& clock,
                                       const protect::DeadlineConfig& config) {
  return CallerDeadlineHandler(std::move(inner), clock, config);
}

}  // namespace loadlab::target
