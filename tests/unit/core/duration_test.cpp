// Duration parsing in k6/wrk notation and its shortest printed form.
#include "core/duration.hpp"

#include <gtest/gtest.h>

namespace loadlab::core {
namespace {

using namespace std::chrono_literals;

TEST(Duration, ParsesK6Forms) {
  EXPECT_EQ(*parse_duration("30s"), 30s);
  EXPECT_EQ(*parse_duration("1m30s"), 90s);
  EXPECT_EQ(*parse_duration("500ms"), 500ms);
  EXPECT_EQ(*parse_duration("2h"), 2h);
  EXPECT_EQ(*parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(*parse_duration("250us"), 250us);
  EXPECT_EQ(*parse_duration("10"), 10s);
  EXPECT_EQ(*parse_duration("0"), 0s);
}

TEST(Duration, RejectsBadInputWithMessage) {
  for (const char* bad : {"", "s", "10x", "-5s", "1m30", "abc", "1..2s"}) {
    const auto parsed = parse_duration(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_FALSE(parsed.error().empty());
  }
  EXPECT_NE(parse_duration("10x").error().find("unknown unit 'x'"), std::string::npos);
}

TEST(Duration, FormatsShortest) {
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(250us), "250us");
  EXPECT_EQ(format_duration(2h), "2h");
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(*parse_duration(format_duration(3725s)), 3725s);
}

}  // namespace
}  // namespace loadlab::core
