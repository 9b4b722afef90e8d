// The memory store's accounting: retained and transient bytes, the budget, clearing.
#include <gtest/gtest.h>

#include "target/memory.hpp"

namespace loadlab::target {
namespace {

TEST(MemoryStore, RetainAccumulatesUntilCleared) {
  MemoryStore store(0);
  auto first = store.retain(2 * mebibyte);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 2 * mebibyte);
  auto second = store.retain(3 * mebibyte);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, 5 * mebibyte);
  EXPECT_EQ(store.retained_blocks(), 2u);
  EXPECT_EQ(store.clear(), 5 * mebibyte);
  EXPECT_EQ(store.retained_bytes(), 0u);
  EXPECT_EQ(store.retained_blocks(), 0u);
  EXPECT_EQ(store.clear(), 0u);
}

TEST(MemoryStore, TransientBlocksCountUntilDestroyed) {
  MemoryStore store(0);
  {
    auto block = store.allocate(mebibyte);
    ASSERT_TRUE(block);
    EXPECT_EQ(block->size(), mebibyte);
    EXPECT_EQ(store.transient_bytes(), mebibyte);
    MemoryBlock moved = std::move(*block);
    EXPECT_EQ(store.transient_bytes(), mebibyte);
  }
  EXPECT_EQ(store.transient_bytes(), 0u);
  EXPECT_EQ(store.retained_bytes(), 0u);
}

TEST(MemoryStore, PagesAreWritten) {
  MemoryStore store(0);
  auto block = store.allocate(64 * 1024);
  ASSERT_TRUE(block);
  for (std::size_t offset = 0; offset < block->size(); offset += 4096) {
    EXPECT_NE(block->data()[offset], std::byte{0}) << offset;
  }
}

TEST(MemoryStore, BudgetCoversRetainedAndTransient) {
  MemoryStore store(4 * mebibyte);
  ASSERT_TRUE(store.retain(2 * mebibyte));
  auto spike = store.allocate(2 * mebibyte);
  ASSERT_TRUE(spike);
  auto over = store.retain(mebibyte);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error(), AllocationError::over_budget);
  EXPECT_EQ(store.retained_bytes(), 2 * mebibyte);  // a refusal changes nothing
  *spike = MemoryBlock{};
  EXPECT_TRUE(store.retain(mebibyte));
  EXPECT_EQ(store.retained_bytes(), 3 * mebibyte);
}

TEST(MemoryStore, ZeroBudgetMeansUnlimited) {
  MemoryStore store(0);
  EXPECT_EQ(store.budget_bytes(), 0u);
  EXPECT_TRUE(store.retain(8 * mebibyte));
}

}  // namespace
}  // namespace loadlab::target
