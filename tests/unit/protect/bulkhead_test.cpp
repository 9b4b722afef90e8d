// Bulkhead: a per-dependency cap that answers at once and releases with its permits.
#include "protect/bulkhead.hpp"

#include <gtest/gtest.h>

#include "metrics/registry.hpp"

namespace loadlab::protect {
namespace {

TEST(Bulkhead, AdmitsUpToTheCapThenRejectsWith503) {
  metrics::Registry registry;
  Bulkhead bulkhead("downstream", BulkheadConfig{2, std::chrono::seconds{2}}, registry);
  auto a = bulkhead.try_acquire();
  auto b = bulkhead.try_acquire();
  ASSERT_TRUE(a && b);
  auto c = bulkhead.try_acquire();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().reason, RejectReason::bulkhead_full);
  EXPECT_EQ(c.error().status(), 503);
  EXPECT_EQ(c.error().retry_after, std::chrono::seconds{2});
  EXPECT_EQ(registry.gauge("bulkhead_inflight", "", {"dependency"}).with({"downstream"}).value(),
            2);
  a->release();
  EXPECT_TRUE(bulkhead.try_acquire());
  EXPECT_EQ(
      registry.counter("bulkhead_rejected_total", "", {"dependency"}).with({"downstream"}).value(),
      1);
}

TEST(Bulkhead, DependenciesAreIndependent) {
  metrics::Registry registry;
  Bulkhead slow("downstream", BulkheadConfig{1}, registry);
  Bulkhead db("database", BulkheadConfig{1}, registry);
  auto held = slow.try_acquire();
  ASSERT_TRUE(held);
  EXPECT_FALSE(slow.try_acquire());
  EXPECT_TRUE(db.try_acquire());
}

TEST(Bulkhead, ScopedPermitsReleaseAndGaugeFollows) {
  metrics::Registry registry;
  Bulkhead bulkhead("downstream", BulkheadConfig{1}, registry);
  {
    auto permit = bulkhead.try_acquire();
    ASSERT_TRUE(permit);
    EXPECT_EQ(bulkhead.inflight(), 1);
  }
  EXPECT_EQ(bulkhead.inflight(), 0);
  EXPECT_EQ(registry.gauge("bulkhead_inflight", "", {"dependency"}).with({"downstream"}).value(),
            0);
  bulkhead.reconfigure(BulkheadConfig{3});
  EXPECT_EQ(bulkhead.limit(), 3);
}

}  // namespace
}  // namespace loadlab::protect
