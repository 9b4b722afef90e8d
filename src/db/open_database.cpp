// Chooses the backend for a --db URL (db::open_database of database.hpp).
#include <memory>

#include "db/database.hpp"
#include "db/database_url.hpp"
#include "db/pg_database.hpp"
#include "db/sqlite_database.hpp"

namespace loadlab::db {

// Connections are bound to the executor of the coroutine that uses them, so opening takes none.
std::unique_ptr<Database> open_database(const std::string& url, PoolOptions options,
                                        metrics::Registry& registry, core::Clock& clock) {
  const DatabaseUrl parsed = parse_database_url(url);
  if (parsed.backend == Backend::postgresql) {
    return std::make_unique<PgDatabase>(parsed.target, options, registry, clock);
  }
  return std::make_unique<SqliteDatabase>(parsed.target, options, registry, clock);
}

}  // namespace loadlab::db
