// `loadlab lab --start-postgres`'s database: a real PostgreSQL started as the lab's child,
// reachable at the URL it reports with the connection limit it claims, and gone (process and
// folder) after.
#include "lab/local_postgres.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace loadlab::lab {
namespace {

std::string query_one(PGconn* connection, const char* sql) {
  PGresult* result = ::PQexec(connection, sql);
  std::string value = ::PQresultStatus(result) == PGRES_TUPLES_OK && ::PQntuples(result) == 1
                          ? ::PQgetvalue(result, 0, 0)
                          : std::string("error: ") + ::PQerrorMessage(connection);
  ::PQclear(result);
  return value;
}

TEST(LocalPostgres, StartsServesTheLoadlabDatabaseAndCleansUp) {
  ASSERT_FALSE(find_postgres_bin().empty()) << "PostgreSQL server missing: run scripts/setup.sh";
  const auto logs = std::filesystem::temp_directory_path() /
                    ("loadlab-lab-pg-test-" + std::to_string(::getpid()));
  LocalPostgresSettings settings;
  settings.log_dir = logs.string();
  settings.max_connections = 12;
  auto started = LocalPostgres::start(settings);
  ASSERT_TRUE(started.has_value()) << started.error();
  std::unique_ptr<LocalPostgres> postgres = std::move(*started);
  EXPECT_EQ(postgres->url().rfind("postgresql://postgres@127.0.0.1:", 0), 0U) << postgres->url();

  PGconn* connection = ::PQconnectdb(postgres->url().c_str());
  ASSERT_EQ(::PQstatus(connection), CONNECTION_OK) << ::PQerrorMessage(connection);
  EXPECT_EQ(query_one(connection, "SELECT current_database()"), "loadlab");
  EXPECT_EQ(query_one(connection, "SHOW max_connections"), "12");
  const std::string data_dir = query_one(connection, "SHOW data_directory");
  ::PQfinish(connection);
  ASSERT_TRUE(std::filesystem::exists(data_dir)) << data_dir;

  const std::string url = postgres->url();
  postgres.reset();
  EXPECT_NE(::PQping(url.c_str()), PQPING_OK) << "the server still answers after shutdown";
  EXPECT_FALSE(std::filesystem::exists(data_dir)) << "cluster folder left behind: " << data_dir;
  EXPECT_TRUE(std::filesystem::exists(logs / "postgres.log"));
  std::filesystem::remove_all(logs);
}

}  // namespace
}  // namespace loadlab::lab
