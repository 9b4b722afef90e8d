// Expected holds a value or an error, never both.
#include "core/expected.hpp"

#include <gtest/gtest.h>

#include <string>

namespace loadlab::core {
namespace {

Expected<int, std::string> half(int v) {
  if (v % 2 != 0) return unexpected(std::string("odd"));
  return v / 2;
}

TEST(Expected, ValueOrError) {
  const auto ok = half(4);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 2);
  const auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "odd");
  EXPECT_EQ(bad.value_or(-1), -1);
}

}  // namespace
}  // namespace loadlab::core
