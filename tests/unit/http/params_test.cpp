// Query decoding and strict parameter validation (the 422 contract of SPEC §2.1).
#include "http/params.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace loadlab::http {
namespace {

TEST(ParseQuery, SplitsAndDecodes) {
  const QueryParams query = parse_query("a=1&b=x%20y&c=p+q&empty=&flag&&d=%zz&a=2");
  ASSERT_NE(query.find("a"), nullptr);
  EXPECT_EQ(*query.find("a"), "1");  // first match wins
  EXPECT_EQ(*query.find("b"), "x y");
  EXPECT_EQ(*query.find("c"), "p q");
  EXPECT_EQ(*query.find("empty"), "");
  EXPECT_EQ(*query.find("flag"), "");
  EXPECT_EQ(*query.find("d"), "%zz");  // malformed escape kept verbatim
  EXPECT_EQ(query.find("missing"), nullptr);
  EXPECT_EQ(query.items().size(), 7u);
}

TEST(ParseQuery, TruncatedEscapeAndEmptyInput) {
  EXPECT_TRUE(parse_query("").items().empty());
  EXPECT_EQ(*parse_query("x=%4").find("x"), "%4");
  EXPECT_EQ(*parse_query("x=%41").find("x"), "A");
  EXPECT_EQ(*parse_query("%61=b").find("a"), "b");
}

TEST(RequestTarget, OriginFormSplitsAtTheFirstQuestionMark) {
  const auto split = split_request_target("/api/fast?a=1?b");
  EXPECT_EQ(split.path, "/api/fast");
  EXPECT_EQ(split.query, "a=1?b");
  EXPECT_FALSE(split_request_target("/api/fast").query);
  EXPECT_EQ(split_request_target("*").path, "*");
}

TEST(RequestTarget, AbsoluteFormLosesSchemeAndAuthority) {
  EXPECT_EQ(split_request_target("http://example.com/api/fast").path, "/api/fast");
  const auto split = split_request_target("HTTPS://user@Example.com:8443/a/b?x=1");
  EXPECT_EQ(split.path, "/a/b");
  EXPECT_EQ(split.query, "x=1");
  EXPECT_EQ(split_request_target("http://example.com").path, "/");
  const auto query_only = split_request_target("http://example.com?x=1");
  EXPECT_EQ(query_only.path, "/");
  EXPECT_EQ(query_only.query, "x=1");
  EXPECT_EQ(split_request_target("ftp://example.com/a").path, "ftp://example.com/a");  // a miss
}

TEST(IntParam, AcceptsRangeAndDefault) {
  const QueryParams query = parse_query("complexity=40&low=1");
  EXPECT_EQ(parse_int_param(query, "complexity", 30, 1, 40).value(), 40);
  EXPECT_EQ(parse_int_param(query, "low", 30, 1, 40).value(), 1);
  EXPECT_EQ(parse_int_param(query, "absent", 30, 1, 40).value(), 30);
}

TEST(IntParam, RejectsOutOfRangeNonNumericAndMissing) {
  const QueryParams query =
      parse_query("big=41&zero=0&word=abc&frac=1.5&space=%201&empty=&plus=%2B5");
  for (const char* name : {"big", "zero", "word", "frac", "space", "empty", "plus"}) {
    const auto result = parse_int_param(query, name, 30, 1, 40);
    ASSERT_FALSE(result.has_value()) << name;
    EXPECT_EQ(result.error().parameter, name);
    EXPECT_NE(result.error().message.find("between 1 and 40"), std::string::npos);
  }
  const auto missing = parse_int_param(query, "required", std::nullopt, 1, 40);
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("required"), std::string::npos);
}

TEST(IntParam, RejectsOverflow) {
  const QueryParams query = parse_query("n=99999999999999999999999");
  EXPECT_FALSE(parse_int_param(query, "n", 1, 1, 100).has_value());
}

TEST(DoubleParam, AcceptsFractionsRejectsNanInf) {
  const QueryParams query =
      parse_query("delay=0.25&edge=30&nan=nan&inf=inf&minf=-inf&big=30.01&neg=-0.1&word=x");
  EXPECT_DOUBLE_EQ(parse_double_param(query, "delay", 5.0, 0, 30).value(), 0.25);
  EXPECT_DOUBLE_EQ(parse_double_param(query, "edge", 5.0, 0, 30).value(), 30.0);
  EXPECT_DOUBLE_EQ(parse_double_param(query, "absent", 5.0, 0, 30).value(), 5.0);
  for (const char* name : {"nan", "inf", "minf", "big", "neg", "word"}) {
    const auto result = parse_double_param(query, name, 5.0, 0, 30);
    ASSERT_FALSE(result.has_value()) << name;
    EXPECT_NE(result.error().message.find("between 0 and 30"), std::string::npos) << name;
  }
  EXPECT_FALSE(parse_double_param(query, "absent", std::nullopt, 0, 30).has_value());
}

TEST(StringParam, LengthLimitAndDefault) {
  const QueryParams query = parse_query("title=hello&long=abcdefghijk");
  EXPECT_EQ(parse_string_param(query, "title", std::nullopt, 10).value(), "hello");
  EXPECT_EQ(parse_string_param(query, "absent", std::string("x"), 10).value(), "x");
  EXPECT_FALSE(parse_string_param(query, "long", std::nullopt, 10).has_value());
  EXPECT_FALSE(parse_string_param(query, "absent", std::nullopt, 10).has_value());
}

// The seed (pydantic) counts characters: 150 "é" (300 bytes) fit in 200, 201 do not.
TEST(StringParam, TheLimitCountsCharactersNotBytes) {
  std::string accents;
  for (int i = 0; i < 150; ++i) accents += "%C3%A9";
  EXPECT_EQ(parse_string_param(parse_query("title=" + accents), "title", std::nullopt, 200)->size(),
            300u);
  std::string two_hundred;
  for (int i = 0; i < 200; ++i) two_hundred += "%F0%9F%98%80";  // U+1F600, four bytes each
  EXPECT_TRUE(parse_string_param(parse_query("t=" + two_hundred), "t", std::nullopt, 200));
  EXPECT_FALSE(
      parse_string_param(parse_query("t=" + two_hundred + "%C3%A9"), "t", std::nullopt, 200));
}

TEST(StringParam, InvalidUtf8IsRejectedWithAClearMessage) {
  for (const char* bad :
       {"%FF", "%C3", "%C3%28", "%C0%AF", "%E0%80%AF", "%ED%A0%80", "%F4%90%80%80", "ab%E2%82"}) {
    const auto result =
        parse_string_param(parse_query(std::string("t=") + bad), "t", std::nullopt, 200);
    ASSERT_FALSE(result.has_value()) << bad;
    EXPECT_EQ(result.error().message, "must be valid UTF-8") << bad;
  }
  EXPECT_TRUE(parse_string_param(parse_query("t=%E2%82%AC%F4%8F%BF%BF"), "t", std::nullopt, 2));
}

TEST(Unprocessable, NamesParameterAndRange) {
  const auto error = parse_int_param(parse_query("complexity=99"), "complexity", 30, 1, 40).error();
  const Response response = unprocessable(error);
  EXPECT_EQ(response.result(), Status::unprocessable_entity);
  EXPECT_EQ(response[beast::http::field::content_type], "application/json");
  const auto body = nlohmann::json::parse(response.body());
  EXPECT_EQ(body["parameter"], "complexity");
  EXPECT_NE(body["detail"].get<std::string>().find("between 1 and 40"), std::string::npos);
}

// Found by the request fuzzer: a parameter name that is not UTF-8 made the JSON body throw, so
// the client got a 500 instead of its 422.
TEST(Unprocessable, ANameThatIsNotUtf8StillGivesA422WithJson) {
  const std::string name = "ti\xff\xfetle";
  const Response response = unprocessable(ParamError{name, "is required"});
  EXPECT_EQ(response.result(), Status::unprocessable_entity);
  const auto body = nlohmann::json::parse(response.body());
  EXPECT_EQ(body["parameter"].get<std::string>(), "ti\xEF\xBF\xBD\xEF\xBF\xBDtle");
}

}  // namespace
}  // namespace loadlab::http
