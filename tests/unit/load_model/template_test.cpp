// Templated request values.
#include "load/template.hpp"

#include <gtest/gtest.h>

#include <set>

namespace loadlab::load {
namespace {

EnvLookup env_with(std::map<std::string, std::string> values) {
  return [values](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Template, RendersEveryPlaceholder) {
  auto t = Template::compile(
      "/api/cpu?complexity=${randInt(25,34)}&s=${seq}&vu=${vu}&i=${iter}&h=${__ENV.HOST}",
      env_with({{"HOST", "x"}}));
  ASSERT_TRUE(t.has_value()) << t.error();
  EXPECT_FALSE(t->is_constant());
  Random random(7);
  TemplateContext context{random, 42, 3, 9};
  std::set<std::string> complexities;
  for (int i = 0; i < 500; ++i) {
    const std::string out = t->render(context);
    const auto start = out.find('=') + 1;
    const int value = std::stoi(out.substr(start, out.find('&') - start));
    EXPECT_GE(value, 25);
    EXPECT_LE(value, 34);
    complexities.insert(out.substr(start, out.find('&') - start));
    EXPECT_NE(out.find("&s=42&vu=3&i=9&h=x"), std::string::npos) << out;
  }
  EXPECT_EQ(complexities.size(), 10U);  // every value of the range shows up
}

TEST(Template, UuidIsVersion4AndVaries) {
  auto t = Template::compile("${uuid}", {});
  ASSERT_TRUE(t.has_value());
  Random random(1);
  TemplateContext context{random};
  const std::string a = t->render(context);
  const std::string b = t->render(context);
  ASSERT_EQ(a.size(), 36U);
  EXPECT_EQ(a[14], '4');
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');
  EXPECT_NE(a, b);
}

TEST(Template, LiteralsAndEscapes) {
  auto t = Template::compile("cost $$5 and $x", {});
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(t->is_constant());
  Random random;
  TemplateContext context{random};
  EXPECT_EQ(t->render(context), "cost $5 and $x");
  const Template literal = Template::literal("a$b");
  EXPECT_EQ(literal.source(), "a$$b");
  EXPECT_EQ(literal.render(context), "a$b");
  EXPECT_EQ(Template::compile(literal.source(), {})->render(context), "a$b");
}

TEST(Template, EnvDefaultsAndErrors) {
  Random random;
  TemplateContext context{random};
  EXPECT_EQ(Template::compile("${__ENV.NOPE:-http://h}", env_with({}))->render(context),
            "http://h");
  auto missing = Template::compile("${__ENV.NOPE}", env_with({}));
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().find("'NOPE' is not set"), std::string::npos);
  EXPECT_NE(Template::compile("${nope}", {}).error().find("unknown placeholder '${nope}'"),
            std::string::npos);
  EXPECT_NE(Template::compile("${randInt(5,1)}", {}).error().find("low <= high"),
            std::string::npos);
  EXPECT_NE(Template::compile("${randInt(a,1)}", {}).error().find("two integers"),
            std::string::npos);
  EXPECT_NE(Template::compile("abc${seq", {}).error().find("unterminated"), std::string::npos);
}

}  // namespace
}  // namespace loadlab::load
