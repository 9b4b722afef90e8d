// Cascading failure (seeds 000 and 004): target routes that call the configured downstream
// through the pooled client. 504 when the call times out, 502 when it fails or answers an error.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "http/client.hpp"
#include "http/message.hpp"
#include "protect/rejection.hpp"

namespace loadlab::http {
class Router;
}

namespace loadlab::protect {
class Protections;
class DependencyGuard;
}  // namespace loadlab::protect

namespace loadlab::target {

class UpstreamMetrics;
enum class UpstreamResult;

// How one outbound call ended, classified for metrics and for the status the caller answers.
struct CallOutcome {
  UpstreamResult result;
  std::optional<unsigned> status;  // the downstream's status when it answered
  std::string detail;              // error text when it did not
  std::string body;
  double seconds = 0;
  std::optional<protect::Rejection> rejection;  // a protection refused the call (no request sent)
  std::optional<core::Duration> retry_after;    // asked for by a 429 or 503 answer
};

// ok: a 2xx answer; timeout: the deadline passed; error: anything else (status or transport).
UpstreamResult classify_call(const core::Expected<http::ClientResponse, http::ClientError>& reply);
// 200 for ok, 504 for timeout, 502 otherwise.
http::Status status_for(const CallOutcome& outcome) noexcept;

// The answer to a fan-out of calls (/api/cascade-failure): 200 when all succeeded; 503 with
// Retry-After (the longest any refusal asked for) when a protection refused a call and the
// refusals explain the failure: every failed call was refused, or no call succeeded; otherwise
// 504 when a call timed out, 502 when one failed.
struct FanOutVerdict {
  http::Status status = http::Status::ok;
  std::optional<std::chrono::seconds> retry_after;
};
FanOutVerdict fan_out_verdict(const std::vector<CallOutcome>& outcomes) noexcept;

class DownstreamCallRoutes {
 public:
  DownstreamCallRoutes(http::HttpClient& client, http::Origin downstream, UpstreamMetrics& metrics)
      : client_(client), downstream_(std::move(downstream)), metrics_(metrics) {}
  void register_routes(http::Router& router);
  // Puts every call behind the "downstream" dependency guard (breaker, bulkhead, retries) and
  // the protections' connect/read timeouts cut to the request's deadline.
  void set_protections(protect::Protections& protections, core::Clock& clock);

  boost::asio::awaitable<http::Response> call_downstream(http::RequestContext& context);
  boost::asio::awaitable<http::Response> cascade_failure(http::RequestContext& context);
  boost::asio::awaitable<http::Response> no_timeout(http::RequestContext& context);
  boost::asio::awaitable<http::Response> client(http::RequestContext& context);

 private:
  boost::asio::awaitable<CallOutcome> call(std::string target,
                                           std::optional<std::chrono::milliseconds> timeout,
                                           core::TimePoint deadline);
  boost::asio::awaitable<CallOutcome> attempt(std::string target,
                                              std::optional<std::chrono::milliseconds> timeout,
                                              http::HeaderList headers);
  boost::asio::awaitable<void> call_into(std::string target, std::chrono::milliseconds timeout,
                                         core::TimePoint deadline, CallOutcome* slot);
  http::Response answer(const CallOutcome& outcome, unsigned version) const;

  http::HttpClient& client_;
  http::Origin downstream_;
  UpstreamMetrics& metrics_;
  protect::Protections* protections_ = nullptr;
  protect::DependencyGuard* guard_ = nullptr;
  core::Clock* clock_ = nullptr;
};

}  // namespace loadlab::target
