// How the target counts a call to its downstream (upstream_requests_total{result}).
#include <gtest/gtest.h>

#include "target/downstream_calls.hpp"
#include "target/upstream_metrics.hpp"

namespace loadlab::target {
namespace {

using Reply = core::Expected<http::ClientResponse, http::ClientError>;

Reply answered(unsigned status) {
  http::ClientResponse response;
  response.status = status;
  return response;
}

Reply failed(http::ClientErrorKind kind) {
  return core::unexpected(http::ClientError{kind, "test"});
}

TEST(ClassifyCall, SuccessStatusesAreOk) {
  EXPECT_EQ(classify_call(answered(200)), UpstreamResult::ok);
  EXPECT_EQ(classify_call(answered(204)), UpstreamResult::ok);
}

TEST(ClassifyCall, ErrorStatusesAreErrors) {
  for (unsigned status : {301u, 404u, 429u, 500u, 502u, 503u}) {
    EXPECT_EQ(classify_call(answered(status)), UpstreamResult::error) << status;
  }
}

// The downstream answers 504 when the deadline the target sent it passes: that call timed out,
// as it would have if the target's own read timeout had fired first.
TEST(ClassifyCall, AGatewayTimeoutAnswerIsATimeout) {
  EXPECT_EQ(classify_call(answered(504)), UpstreamResult::timeout);
}

TEST(ClassifyCall, ClientErrorsByKind) {
  EXPECT_EQ(classify_call(failed(http::ClientErrorKind::timeout)), UpstreamResult::timeout);
  EXPECT_EQ(classify_call(failed(http::ClientErrorKind::connect)), UpstreamResult::error);
  EXPECT_EQ(classify_call(failed(http::ClientErrorKind::reset)), UpstreamResult::error);
  EXPECT_EQ(classify_call(failed(http::ClientErrorKind::protocol)), UpstreamResult::error);
}

CallOutcome outcome_of(UpstreamResult result) {
  return CallOutcome{result, std::nullopt, {}, {}, 0, std::nullopt, std::nullopt};
}

CallOutcome refused_by(protect::RejectReason reason, std::chrono::seconds retry_after) {
  auto outcome =
      outcome_of(reason == protect::RejectReason::breaker_open ? UpstreamResult::breaker_open
                                                               : UpstreamResult::shed);
  outcome.rejection = protect::Rejection{reason, retry_after};
  return outcome;
}

using std::chrono::seconds;

TEST(FanOutVerdict, AllSucceededIsOk) {
  const auto verdict =
      fan_out_verdict({outcome_of(UpstreamResult::ok), outcome_of(UpstreamResult::ok)});
  EXPECT_EQ(verdict.status, http::Status::ok);
  EXPECT_FALSE(verdict.retry_after);
}

// No call was sent: like the single-call routes, an overload refusal the client may retry.
TEST(FanOutVerdict, EveryCallRefusedLocallyIs503WithTheLongestRetryAfter) {
  const auto verdict =
      fan_out_verdict({refused_by(protect::RejectReason::breaker_open, seconds{7}),
                       refused_by(protect::RejectReason::bulkhead_full, seconds{1}),
                       refused_by(protect::RejectReason::breaker_open, seconds{9})});
  EXPECT_EQ(verdict.status, http::Status::service_unavailable);
  EXPECT_EQ(verdict.retry_after, seconds{9});
}

TEST(FanOutVerdict, RefusalsBesideSuccessesAre503) {
  const auto verdict =
      fan_out_verdict({outcome_of(UpstreamResult::ok),
                       refused_by(protect::RejectReason::bulkhead_full, seconds{1})});
  EXPECT_EQ(verdict.status, http::Status::service_unavailable);
  EXPECT_EQ(verdict.retry_after, seconds{1});
}

// The breaker opened part way: nothing succeeded and a retry now would be refused.
TEST(FanOutVerdict, NothingSucceededAndSomeRefusedIs503) {
  const auto verdict =
      fan_out_verdict({outcome_of(UpstreamResult::error), outcome_of(UpstreamResult::timeout),
                       refused_by(protect::RejectReason::breaker_open, seconds{5})});
  EXPECT_EQ(verdict.status, http::Status::service_unavailable);
  EXPECT_EQ(verdict.retry_after, seconds{5});
}

TEST(FanOutVerdict, ADownstreamFailureBesideASuccessStaysAGatewayError) {
  EXPECT_EQ(fan_out_verdict({outcome_of(UpstreamResult::ok), outcome_of(UpstreamResult::error),
                             refused_by(protect::RejectReason::breaker_open, seconds{5})})
                .status,
            http::Status::bad_gateway);
  EXPECT_EQ(
      fan_out_verdict({outcome_of(UpstreamResult::ok), outcome_of(UpstreamResult::timeout)}).status,
      http::Status::gateway_timeout);
  const auto failed = fan_out_verdict({outcome_of(UpstreamResult::error)});
  EXPECT_EQ(failed.status, http::Status::bad_gateway);
  EXPECT_FALSE(failed.retry_after);
}

TEST(FanOutVerdict, ADeadlineThatExpiredBeforeTheCallIsATimeout) {
  auto expired = outcome_of(UpstreamResult::timeout);
  expired.rejection = protect::Rejection{protect::RejectReason::deadline_expired};
  const auto verdict = fan_out_verdict({expired});
  EXPECT_EQ(verdict.status, http::Status::gateway_timeout);
  EXPECT_FALSE(verdict.retry_after);
}

}  // namespace
}  // namespace loadlab::target
