// Chooses the backend for a --db URL (db::open_database of database.hpp).
#include <memory>

#include "db/database.hpp"
#include "db/database_url.hpp"
#include "db/sqlite_database.hpp"

namespace loadlab::db {

std::unique_ptr<Database> open_database(const std::string& url, PoolOptions options,
                                        boost::asio::any_io_executor executor,
                                        metrics::Registry& registry, core::Clock& clock) {
  const DatabaseUrl parsed = parse_database_url(url);
  (void)executor;
  switch (parsed.backend) {
    case Backend::sqlite:
      return std::make_unique<SqliteDatabase>(parsed.target, options, registry, clock);
    case Backend::postgresql:
      break;
  }
  throw std::invalid_argument("--db: PostgreSQL support is not built yet");
}

}  // namespace loadlab::db
