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

}  // namespace
}  // namespace loadlab::target
