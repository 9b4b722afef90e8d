// URL joining and splitting used to build request targets.
#include "load/engine/url.hpp"

#include <gtest/gtest.h>

namespace loadlab::load::engine {
namespace {

TEST(Url, SplitsHostPortAndTarget) {
  const auto parts = split_url("http://127.0.0.1:8000/api/slow?delay=0.05#frag");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->host, "127.0.0.1");
  EXPECT_EQ(parts->port, 8000);
  EXPECT_EQ(parts->target, "/api/slow?delay=0.05");
  EXPECT_EQ(host_header(*parts), "127.0.0.1:8000");
}

TEST(Url, DefaultsPortAndPath) {
  const auto parts = split_url("HTTP://example.com");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->port, 80);
  EXPECT_EQ(parts->target, "/");
  EXPECT_EQ(host_header(*parts), "example.com");
  const auto tls = split_url("https://example.com/x");
  ASSERT_TRUE(tls);
  EXPECT_TRUE(tls->https);
  EXPECT_EQ(tls->port, 443);
}

TEST(Url, Ipv6Literal) {
  const auto parts = split_url("http://[::1]:9000/x");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->host, "::1");
  EXPECT_EQ(host_header(*parts), "[::1]:9000");
}

TEST(Url, RejectsBadUrls) {
  for (const char* bad : {"ftp://x/", "http://", "http://h:0/", "http://h:70000/", "http://h:x/",
                          "http://u@h/", "http://[::1/", "http://h?q"}) {
    EXPECT_FALSE(split_url(bad)) << bad;
  }
}

TEST(Url, AnySchemeMarksAUrlButOnlyHttpAndHttpsAreAbsoluteUrls) {
  for (const char* text : {"http://h/", "HTTPS://h/", "ftp://h/x", "svn+ssh://h", "a.b-c://h"}) {
    EXPECT_TRUE(has_url_scheme(text)) << text;
  }
  for (const char* text : {"scenario.yaml", "dir/x.json", "://h", "1ftp://h", "ft p://h",
                           "/tmp/a://b", "C:\\x.yaml", ""}) {
    EXPECT_FALSE(has_url_scheme(text)) << text;
  }
  EXPECT_FALSE(is_absolute_url("ftp://h/x"));
  EXPECT_FALSE(split_url("ftp://h/x").has_value());
}

TEST(Url, JoinsRelativeUrlsToTheBase) {
  EXPECT_EQ(*absolute_url("http://h:1/", "/api/x"), "http://h:1/api/x");
  EXPECT_EQ(*absolute_url("http://h:1/prefix", "api/x"), "http://h:1/prefix/api/x");
  EXPECT_EQ(*absolute_url("", "http://o/x"), "http://o/x");
  const auto missing = absolute_url("", "/api/x");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("base URL"), std::string::npos);
}

}  // namespace
}  // namespace loadlab::load::engine
