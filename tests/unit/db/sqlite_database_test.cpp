// The Database contract on SQLite (shared in-memory and file databases), plus SQLite specifics.
#include "database_contract.hpp"

namespace loadlab::db::contract {
namespace {

INSTANTIATE_TEST_SUITE_P(Sqlite, DatabaseContract,
                         ::testing::Values("sqlite::memory:", "sqlite-file"),
                         [](const auto& param_info) {
                           return std::string(param_info.param == "sqlite-file" ? "File"
                                                                                : "Memory");
                         });

TEST(SqliteDatabase, TwoInMemoryDatabasesAreSeparate) {
  asio::io_context io;
  metrics::Registry registry;
  auto first = open_database("sqlite::memory:", {}, registry, core::SteadyClock::instance());
  auto second = open_database("sqlite::memory:", {}, registry, core::SteadyClock::instance());
  std::optional<std::size_t> second_count;
  asio::co_spawn(
      io,
      [](Database& a, Database& b, std::optional<std::size_t>& out) -> asio::awaitable<void> {
        (void)co_await a.create_task("only-in-first", "");
        auto listed = co_await b.list_tasks(10);
        if (listed) out = listed->size();
      }(*first, *second, second_count),
      asio::detached);
  io.run();
  EXPECT_EQ(second_count, 0u);
}

TEST(SqliteDatabase, UnopenableFileIsAStartUpError) {
  asio::io_context io;
  metrics::Registry registry;
  EXPECT_THROW(
      open_database("sqlite:/nonexistent-dir/x/y.db", {}, registry, core::SteadyClock::instance()),
      std::runtime_error);
}

TEST(SqliteDatabase, UnknownSchemeIsInvalidArgument) {
  asio::io_context io;
  metrics::Registry registry;
  EXPECT_THROW(open_database("mongodb://x", {}, registry, core::SteadyClock::instance()),
               std::invalid_argument);
}

}  // namespace
}  // namespace loadlab::db::contract
