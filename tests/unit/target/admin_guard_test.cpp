// Admin API access: open on loopback, bearer token elsewhere, closed without a token.
#include "target/admin_guard.hpp"

#include <gtest/gtest.h>

namespace loadlab::target {
namespace {

http::Request request_with(const char* authorization) {
  http::Request request{http::Verb::get, "/admin/faults", 11};
  if (authorization != nullptr) request.set(http::beast::http::field::authorization, authorization);
  return request;
}

TEST(LoopbackHost, Recognised) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("[::1]"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("::"));
  EXPECT_FALSE(is_loopback_host("1127.0.0.1"));
}

TEST(HostOfListen, SplitsThePort) {
  EXPECT_EQ(host_of_listen("127.0.0.1:8001"), "127.0.0.1");
  EXPECT_EQ(host_of_listen("0.0.0.0:0"), "0.0.0.0");
  EXPECT_EQ(host_of_listen("[::1]:80"), "::1");
  EXPECT_EQ(host_of_listen("localhost"), "localhost");
}

TEST(AdminGuard, OpenOnLoopback) {
  AdminGuard guard(true, "");
  EXPECT_FALSE(guard.refuse(request_with(nullptr)));
}

TEST(AdminGuard, TokenRequiredBeyondLoopback) {
  AdminGuard guard(false, "s3cret");
  auto missing = guard.refuse(request_with(nullptr));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->result(), http::Status::unauthorized);
  EXPECT_EQ(missing->at(http::beast::http::field::www_authenticate), "Bearer");
  auto wrong = guard.refuse(request_with("Bearer s3cre"));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->result(), http::Status::unauthorized);
  EXPECT_TRUE(guard.refuse(request_with("Basic s3cret")));
  EXPECT_TRUE(guard.refuse(request_with("Bearer s3cret2")));
  EXPECT_FALSE(guard.refuse(request_with("Bearer s3cret")));
  // The scheme is case-insensitive (RFC 9110 §11.1) and may be followed by several spaces.
  EXPECT_FALSE(guard.refuse(request_with("bearer s3cret")));
  EXPECT_FALSE(guard.refuse(request_with("BEARER  s3cret")));
  EXPECT_TRUE(guard.refuse(request_with("Bearers3cret")));
  EXPECT_TRUE(guard.refuse(request_with("Basic s3cret")));
}

TEST(AdminGuard, ClosedBeyondLoopbackWithoutToken) {
  AdminGuard guard(false, "");
  auto refused = guard.refuse(request_with("Bearer "));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result(), http::Status::forbidden);
}

}  // namespace
}  // namespace loadlab::target
