// Parses the --db URL into a backend and its target (pure; the factory acts on the result).
#pragma once

#include <string>

namespace loadlab::db {

enum class Backend { sqlite, postgresql };

struct DatabaseUrl {
  Backend backend = Backend::sqlite;
  // SQLite: a file path or ":memory:"; PostgreSQL: the URL itself, which libpq understands.
  std::string target;
};

// Accepts "sqlite:PATH", "sqlite://PATH", "sqlite::memory:", "postgresql://..." and
// "postgres://...". Throws std::invalid_argument naming the accepted forms otherwise.
DatabaseUrl parse_database_url(const std::string& url);

}  // namespace loadlab::db
