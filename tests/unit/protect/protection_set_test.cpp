// Protection profiles and lists, the JSON form of the settings, and run-time switching.
#include "protect/protection_set.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace loadlab::protect {
namespace {

using json = nlohmann::json;

TEST(ProtectionList, ProfilesAndLists) {
  EXPECT_EQ(*parse_protection_list("naked"), ProtectionMask::none());
  EXPECT_EQ(*parse_protection_list("protected"), ProtectionMask::all());
  auto mask = parse_protection_list("breaker, shed,timeouts");
  ASSERT_TRUE(mask);
  EXPECT_TRUE(mask->has(Protection::breaker));
  EXPECT_TRUE(mask->has(Protection::shed));
  EXPECT_TRUE(mask->has(Protection::timeouts));
  EXPECT_FALSE(mask->has(Protection::adaptive));
  EXPECT_EQ(format_protection_list(*mask), "timeouts,breaker,shed");
}

TEST(ProtectionList, ErrorsNameTheBadItem) {
  auto unknown = parse_protection_list("breaker,sheding");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("'sheding'"), std::string::npos) << unknown.error();
  EXPECT_FALSE(parse_protection_list(""));
  EXPECT_FALSE(parse_protection_list("breaker,,shed"));
  EXPECT_FALSE(parse_protection_list("breaker,"));
  EXPECT_FALSE(parse_protection_list("Naked"));
}

TEST(ProtectionList, EveryMaskSurvivesFormatAndParse) {
  for (std::uint32_t bits = 0; bits <= ProtectionMask::all().bits(); ++bits) {
    const auto mask = ProtectionMask::from_bits(bits);
    const auto parsed = parse_protection_list(format_protection_list(mask));
    ASSERT_TRUE(parsed) << bits;
    EXPECT_EQ(*parsed, mask) << format_protection_list(mask);
  }
}

ProtectionSettings unusual_settings() {
  ProtectionSettings settings;
  settings.enabled = *parse_protection_list("breaker,memory,retry");
  settings.params.breaker.rule = TripRule::consecutive_failures;
  settings.params.breaker.open_duration = std::chrono::seconds{7};
  settings.params.shed.limit = 64;
  settings.params.shed.tier_percent = {50, 80, 100};
  settings.params.adaptive.smoothing = 0.25;
  settings.params.queue.capacity = 9;
  settings.params.retry_budget.percent = 12.5;
  settings.params.memory.limit_bytes = 3ull << 30;
  settings.params.breaker_overrides["database"] = settings.params.breaker;
  settings.params.breaker_overrides["database"].open_duration = std::chrono::milliseconds{2500};
  settings.params.bulkhead_overrides["downstream"].max_concurrent = 3;
  settings.params.timeouts.default_timeout = std::chrono::milliseconds{1234};
  return settings;
}

TEST(ProtectionJson, RoundTripsEveryField) {
  const auto settings = unusual_settings();
  const json document = to_json(settings);
  EXPECT_EQ(document["profile"], "breaker,retry,memory");
  EXPECT_EQ(document["breaker"]["rule"], "consecutive_failures");
  EXPECT_EQ(document["breaker"]["open_ms"], 7000);
  EXPECT_EQ(document["timeouts"]["request_timeout_ms"], 1234);
  EXPECT_EQ(document["shed"]["enabled"], false);
  EXPECT_EQ(document["dependencies"]["database"]["breaker"]["open_ms"], 2500);
  EXPECT_FALSE(document["dependencies"]["database"].contains("bulkhead"));
  EXPECT_EQ(document["dependencies"]["downstream"]["bulkhead"]["max_concurrent"], 3);
  auto parsed = apply_json(ProtectionSettings{}, document);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(*parsed, settings);
  // And through text, as over HTTP.
  auto reparsed = apply_json(ProtectionSettings{}, json::parse(document.dump()));
  ASSERT_TRUE(reparsed);
  EXPECT_EQ(*reparsed, settings);
}

TEST(ProtectionJson, PartialUpdatesChangeOnlyWhatTheyName) {
  const ProtectionSettings current;  // naked, defaults
  auto next = apply_json(current, json::parse(R"({"breaker":{"enabled":true,"window_size":30}})"));
  ASSERT_TRUE(next) << next.error();
  EXPECT_EQ(next->enabled, *parse_protection_list("breaker"));
  EXPECT_EQ(next->params.breaker.window_size, 30);
  auto expected = current.params;
  expected.breaker.window_size = 30;
  EXPECT_EQ(next->params, expected);
}

TEST(ProtectionJson, ADependencyGetsABreakerAndBulkheadOfItsOwn) {
  ProtectionSettings current;
  // A first override starts from the shared section as this same update leaves it.
  auto next = apply_json(current, json::parse(R"({"breaker":{"open_ms":9000},
      "dependencies":{"database":{"breaker":{"window_size":40,"minimum_calls":20}}}})"));
  ASSERT_TRUE(next) << next.error();
  EXPECT_EQ(next->params.breaker_for("database").window_size, 40);
  EXPECT_EQ(next->params.breaker_for("database").open_duration, std::chrono::milliseconds{9000});
  EXPECT_EQ(next->params.breaker_for("downstream"), next->params.breaker);
  EXPECT_EQ(next->params.bulkhead_for("database"), next->params.bulkhead);

  // From then on it is independent of the shared section, and later updates add to it.
  next = apply_json(*next, json::parse(R"({"breaker":{"open_ms":1000},
      "dependencies":{"database":{"breaker":{"half_open_probes":2},
                                  "bulkhead":{"max_concurrent":4}}}})"));
  ASSERT_TRUE(next) << next.error();
  EXPECT_EQ(next->params.breaker_for("downstream").open_duration, std::chrono::seconds{1});
  EXPECT_EQ(next->params.breaker_for("database").open_duration, std::chrono::seconds{9});
  EXPECT_EQ(next->params.breaker_for("database").window_size, 40);
  EXPECT_EQ(next->params.breaker_for("database").half_open_probes, 2);
  EXPECT_EQ(next->params.bulkhead_for("database").max_concurrent, 4);
  EXPECT_EQ(next->params.bulkhead_for("downstream").max_concurrent, 10);

  // null removes one section's override, or all of a dependency's.
  auto fewer = apply_json(*next, json::parse(R"({"dependencies":{"database":{"breaker":null}}})"));
  ASSERT_TRUE(fewer) << fewer.error();
  EXPECT_EQ(fewer->params.breaker_for("database"), fewer->params.breaker);
  EXPECT_EQ(fewer->params.bulkhead_for("database").max_concurrent, 4);
  auto none = apply_json(*next, json::parse(R"({"dependencies":{"database":null}})"));
  ASSERT_TRUE(none) << none.error();
  EXPECT_TRUE(none->params.breaker_overrides.empty());
  EXPECT_TRUE(none->params.bulkhead_overrides.empty());
  EXPECT_EQ(to_json(*none)["dependencies"], json::parse(R"({"downstream":{},"database":{}})"));
}

TEST(ProtectionJson, DependencyErrorsNameThePath) {
  const ProtectionSettings current;
  const auto error_of = [&](const char* body) {
    auto result = apply_json(current, json::parse(body));
    return result ? std::string{"(no error)"} : result.error();
  };
  EXPECT_NE(error_of(R"({"dependencies":{"cache":{}}})").find("unknown dependency 'cache'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dependencies":{"database":{"retry":{}}}})")
                .find("'dependencies.database.retry'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dependencies":{"database":{"breaker":{"windw":3}}}})")
                .find("'dependencies.database.breaker.windw'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dependencies":{"database":{"breaker":{"enabled":true}}}})")
                .find("'breaker.enabled'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dependencies":{"downstream":{"bulkhead":{"max_concurrent":0}}}})")
                .find("dependencies.downstream.bulkhead.max_concurrent"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dependencies":{"downstream":{"bulkhead":7}}})")
                .find("'dependencies.downstream.bulkhead' must be an object"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dependencies":{"downstream":7}})").find("object or null"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dependencies":[]})").find("'dependencies' must be an object"),
            std::string::npos);
  // Nothing is applied when any part fails.
  auto failed = apply_json(current, json::parse(R"({"shed":{"limit":5},
      "dependencies":{"database":{"bulkhead":{"max_concurrent":2}},"cache":{}}})"));
  EXPECT_FALSE(failed);
}

TEST(ProtectionJson, ProfileAndEnabledSetTheWholeMask) {
  const ProtectionSettings current;
  EXPECT_EQ(apply_json(current, json{{"profile", "protected"}})->enabled, ProtectionMask::all());
  EXPECT_EQ(apply_json(current, json{{"enabled", "shed,queue"}})->enabled,
            *parse_protection_list("shed,queue"));
  EXPECT_EQ(apply_json(current, json{{"enabled", json::array({"adaptive"})}})->enabled,
            *parse_protection_list("adaptive"));
  // A section's "enabled" applies after the profile.
  auto mixed =
      apply_json(current, json::parse(R"({"profile":"protected","retry":{"enabled":false}})"));
  ASSERT_TRUE(mixed);
  EXPECT_FALSE(mixed->enabled.has(Protection::retry));
  EXPECT_TRUE(mixed->enabled.has(Protection::breaker));
}

TEST(ProtectionJson, ErrorsNameWhatIsWrong) {
  const ProtectionSettings current;
  const auto error_of = [&](const char* body) {
    auto result = apply_json(current, json::parse(body));
    return result ? std::string{"(no error)"} : result.error();
  };
  EXPECT_NE(error_of(R"({"breakers":{}})").find("unknown protection 'breakers'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"profile":"armoured"})").find("'armoured'"), std::string::npos);
  EXPECT_NE(error_of(R"({"enabled":["shed","nope"]})").find("'nope'"), std::string::npos);
  EXPECT_NE(error_of(R"({"breaker":{"windw":3}})").find("'breaker.windw'"), std::string::npos);
  EXPECT_NE(error_of(R"({"breaker":{"window_size":"big"}})").find("'breaker.window_size'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"breaker":{"window_size":5}})").find("breaker.minimum_calls"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"breaker":{"rule":"sometimes"}})").find("'breaker.rule'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"shed":{"enabled":"yes"}})").find("'shed.enabled'"), std::string::npos);
  EXPECT_NE(error_of(R"({"queue":{"capacity":-1}})").find("'queue.capacity'"), std::string::npos);
  EXPECT_NE(error_of(R"({"timeouts":{"request_timeout_ms":1.5}})").find("request_timeout_ms"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"shed":7})").find("'shed' must be an object"), std::string::npos);
  EXPECT_NE(error_of(R"([1,2])").find("object"), std::string::npos);
  EXPECT_EQ(error_of(R"({})"), "(no error)");
}

TEST(ProtectionSet, RunTimeUpdatesFlipTheSwitchesAndNotifyListeners) {
  ProtectionSet set(ProtectionSettings{});
  EXPECT_FALSE(set.enabled(Protection::shed));
  int calls = 0;
  set.add_listener([&](const ProtectionSettings& before, const ProtectionSettings& after) {
    ++calls;
    EXPECT_FALSE(before.enabled.has(Protection::shed));
    EXPECT_TRUE(after.enabled.has(Protection::shed));
    EXPECT_EQ(after.params.shed.limit, 12);
  });
  auto updated = set.update(json::parse(R"({"shed":{"enabled":true,"limit":12}})"));
  ASSERT_TRUE(updated);
  EXPECT_TRUE(set.enabled(Protection::shed));
  EXPECT_EQ(set.settings().params.shed.limit, 12);
  EXPECT_EQ(calls, 1);
}

TEST(ProtectionSet, AFailedUpdateChangesNothing) {
  ProtectionSet set(ProtectionSettings{});
  int calls = 0;
  set.add_listener([&](const ProtectionSettings&, const ProtectionSettings&) { ++calls; });
  auto failed = set.update(json::parse(R"({"shed":{"enabled":true,"limit":0}})"));
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().find("shed.limit"), std::string::npos) << failed.error();
  EXPECT_FALSE(set.enabled(Protection::shed));
  EXPECT_EQ(set.settings(), ProtectionSettings{});
  EXPECT_EQ(calls, 0);
}

TEST(ProtectionSet, DefaultsAreValid) {
  EXPECT_EQ(validate(ProtectionParams{}), "");
}

}  // namespace
}  // namespace loadlab::protect
