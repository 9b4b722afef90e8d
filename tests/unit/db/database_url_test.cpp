// --db URL parsing: the accepted forms and a clear message for the rest.
#include "db/database_url.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace loadlab::db {
namespace {

TEST(DatabaseUrl, AcceptsSqliteForms) {
  EXPECT_EQ(parse_database_url("sqlite::memory:").target, ":memory:");
  EXPECT_EQ(parse_database_url("sqlite:data/loadlab.db").target, "data/loadlab.db");
  EXPECT_EQ(parse_database_url("sqlite:///tmp/x.db").target, "/tmp/x.db");
  EXPECT_EQ(parse_database_url("sqlite:/tmp/x.db").backend, Backend::sqlite);
}

TEST(DatabaseUrl, AcceptsPostgresForms) {
  const auto url = parse_database_url("postgresql://u:p@127.0.0.1:5432/db");
  EXPECT_EQ(url.backend, Backend::postgresql);
  EXPECT_EQ(url.target, "postgresql://u:p@127.0.0.1:5432/db");
  EXPECT_EQ(parse_database_url("postgres://h/db").backend, Backend::postgresql);
}

TEST(DatabaseUrl, RejectsUnknownSchemesWithoutEchoingSecrets) {
  try {
    parse_database_url("mysql://root:secret@db/x");
    FAIL() << "accepted mysql";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'mysql'"), std::string::npos) << message;
    EXPECT_NE(message.find("sqlite:PATH"), std::string::npos) << message;
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
  }
  EXPECT_THROW(parse_database_url(""), std::invalid_argument);
  EXPECT_THROW(parse_database_url("sqlite:"), std::invalid_argument);
}

}  // namespace
}  // namespace loadlab::db
