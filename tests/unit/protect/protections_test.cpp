// The service-wide Protections: request admission, deadlines and run-time switching.
#include "protect/protections.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "metrics/registry.hpp"

namespace loadlab::protect {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

ProtectionSettings settings_for(std::string_view list) {
  ProtectionSettings settings;
  settings.enabled = *parse_protection_list(list);
  settings.params.shed.limit = 10;
  return settings;
}

class ProtectionsTest : public ::testing::Test {
 protected:
  core::ManualClock clock;
  metrics::Registry registry;
};

TEST_F(ProtectionsTest, NakedAdmitsEveryRequestAndHasNoDeadline) {
  Protections protections(settings_for("naked"), clock, registry);
  std::vector<RequestAdmission> held;
  for (int i = 0; i < 100; ++i) {
    auto admitted = protections.admit_request(Priority::low);
    ASSERT_TRUE(admitted);
    held.push_back(std::move(admitted).value());
  }
  auto deadline = protections.request_deadline(clock.now(), std::string_view{"garbage"});
  ASSERT_TRUE(deadline);  // the header is ignored when timeouts are off
  EXPECT_FALSE(deadline->expired(clock.now() + 24h));
  EXPECT_TRUE(protections.try_reserve_memory(std::uint64_t{1} << 40));
}

TEST_F(ProtectionsTest, SheddingRejectsWith429AtTheTierLimit) {
  Protections protections(settings_for("shed"), clock, registry);
  std::vector<RequestAdmission> held;
  for (int i = 0; i < 7; ++i)
    held.push_back(std::move(protections.admit_request(Priority::low)).value());
  auto refused = protections.admit_request(Priority::low);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status(), 429);
  EXPECT_TRUE(protections.admit_request(Priority::high));
}

TEST_F(ProtectionsTest, AnAdaptiveRejectionReleasesTheShedSlot) {
  Protections protections(settings_for("shed,adaptive"), clock, registry);
  std::vector<RequestAdmission> held;
  for (int i = 0; i < 3; ++i)
    held.push_back(std::move(protections.admit_request(Priority::high)).value());
  auto refused = protections.admit_request(Priority::high);  // pinned to 3 while measuring
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, RejectReason::adaptive_limit);
  EXPECT_EQ(protections.shedder().inflight(), 3);
  held.clear();
  EXPECT_EQ(protections.shedder().inflight(), 0);
  EXPECT_EQ(protections.adaptive_limiter().inflight(), 0);
}

TEST_F(ProtectionsTest, DeadlinesAndStepTimeouts) {
  Protections protections(settings_for("timeouts"), clock, registry);
  auto deadline = protections.request_deadline(clock.now(), std::nullopt);
  ASSERT_TRUE(deadline);
  EXPECT_EQ(deadline->remaining(clock), 30s);
  EXPECT_EQ(protections.read_timeout(*deadline), 10s);
  EXPECT_EQ(protections.connect_timeout(*deadline), 1s);
  clock.advance(29500ms);
  EXPECT_EQ(protections.read_timeout(*deadline), 500ms);
  EXPECT_EQ(protections.pool_acquire_timeout(*deadline), 500ms);
  auto bad = protections.request_deadline(clock.now(), std::string_view{"soon"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("X-Request-Timeout-Ms"), std::string::npos);
}

TEST_F(ProtectionsTest, OutboundCallsCarryTheRemainingDeadlineOnlyWithTimeouts) {
  Protections protections(settings_for("timeouts"), clock, registry);
  const auto deadline = protections.request_deadline(clock.now(), std::string_view{"2000"});
  ASSERT_TRUE(deadline);
  EXPECT_EQ(protections.outbound_timeout_ms(*deadline), 2000);
  clock.advance(750ms);  // each attempt computes it when it is sent
  EXPECT_EQ(protections.outbound_timeout_ms(*deadline), 1250);
  clock.advance(1249ms + 999us);
  EXPECT_EQ(protections.outbound_timeout_ms(*deadline), 1);

  ASSERT_TRUE(protections.settings().update(json{{"profile", "naked"}}));
  EXPECT_EQ(protections.outbound_timeout_ms(*deadline), std::nullopt);
  const auto never = protections.request_deadline(clock.now(), std::nullopt);
  ASSERT_TRUE(never);
  ASSERT_TRUE(protections.settings().update(json{{"profile", "timeouts"}}));
  EXPECT_EQ(protections.outbound_timeout_ms(*never), std::nullopt);  // no deadline to carry
}

TEST_F(ProtectionsTest, RunTimeToggleAndRetuneTakeEffectAtOnce) {
  Protections protections(settings_for("naked"), clock, registry);
  std::vector<RequestAdmission> held;
  for (int i = 0; i < 5; ++i)
    held.push_back(std::move(protections.admit_request(Priority::low)).value());
  auto updated = protections.settings().update(
      json::parse(R"({"shed":{"enabled":true,"limit":2},"timeouts":{"request_timeout_ms":5000}})"));
  ASSERT_TRUE(updated) << updated.error();
  // Requests admitted while shedding was off hold no slot: the limit counts from the switch on.
  for (int i = 0; i < 2; ++i)
    held.push_back(std::move(protections.admit_request(Priority::high)).value());
  EXPECT_FALSE(protections.admit_request(Priority::high));  // 2 in flight, limit 2
  EXPECT_FALSE(protections.request_deadline(clock.now(), std::nullopt)->expired(clock.now() + 24h));
  ASSERT_TRUE(protections.settings().update(json{{"profile", "protected"}}));
  EXPECT_EQ(protections.request_deadline(clock.now(), std::nullopt)->remaining(clock), 5s);
  ASSERT_TRUE(protections.settings().update(json{{"profile", "naked"}}));
  EXPECT_TRUE(protections.admit_request(Priority::low));
}

TEST_F(ProtectionsTest, MemoryAdmissionWhenOn) {
  auto settings = settings_for("memory");
  settings.params.memory.limit_bytes = 100 << 20;
  Protections protections(settings, clock, registry);
  EXPECT_TRUE(protections.try_reserve_memory(80 << 20));
  auto refused = protections.try_reserve_memory((80 << 20) + 1);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status(), 503);
}

TEST_F(ProtectionsTest, DependenciesAreKnownByName) {
  Protections protections(settings_for("protected"), clock, registry);
  EXPECT_EQ(protections.dependency("downstream").name(), "downstream");
  EXPECT_EQ(protections.dependency("database").name(), "database");
  EXPECT_THROW(protections.dependency("cache"), std::out_of_range);
}

TEST_F(ProtectionsTest, ADependencysOwnBulkheadAppliesToItAlone) {
  Protections protections(settings_for("bulkhead"), clock, registry);
  auto& database = protections.dependency("database");
  auto& downstream = protections.dependency("downstream");
  ASSERT_TRUE(protections.settings().update(
      json::parse(R"({"dependencies":{"database":{"bulkhead":{"max_concurrent":1}}}})")));
  auto first = database.begin_attempt();
  ASSERT_TRUE(first);
  auto second = database.begin_attempt();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().reason, RejectReason::bulkhead_full);
  // The downstream keeps the shared cap of 10.
  std::vector<DependencyCall> calls;
  for (int i = 0; i < 10; ++i) {
    auto call = downstream.begin_attempt();
    ASSERT_TRUE(call) << i;
    calls.push_back(std::move(call).value());
  }
  EXPECT_FALSE(downstream.begin_attempt());
  // Removing the override gives the database the shared cap back.
  ASSERT_TRUE(protections.settings().update(json::parse(R"({"dependencies":{"database":null}})")));
  auto third = database.begin_attempt();
  EXPECT_TRUE(third);
}

TEST_F(ProtectionsTest, InvalidInitialSettingsAreAStartUpError) {
  auto settings = settings_for("protected");
  settings.params.shed.limit = 0;
  EXPECT_THROW(Protections(settings, clock, registry), std::invalid_argument);
}

}  // namespace
}  // namespace loadlab::protect
