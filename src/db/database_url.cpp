// Parses the --db URL; see database_url.hpp.
#include "db/database_url.hpp"

#include <stdexcept>
#include <string_view>

namespace loadlab::db {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Never echo a PostgreSQL URL back: it may carry a password.
std::string scheme_of(std::string_view url) {
  const auto colon = url.find(':');
  return colon == std::string_view::npos ? std::string("(none)")
                                         : std::string(url.substr(0, colon));
}

}  // namespace

DatabaseUrl parse_database_url(const std::string& url) {
  const std::string_view view(url);
  if (starts_with(view, "postgresql://") || starts_with(view, "postgres://")) {
    return DatabaseUrl{Backend::postgresql, url};
  }
  if (starts_with(view, "sqlite:")) {
    std::string_view path = view.substr(7);
    if (starts_with(path, "//")) path.remove_prefix(2);
    if (path.empty()) {
      throw std::invalid_argument(
          "--db sqlite: needs a path, e.g. sqlite:loadlab.db or sqlite::memory:");
    }
    return DatabaseUrl{Backend::sqlite, std::string(path)};
  }
  throw std::invalid_argument("--db: unknown database URL scheme '" + scheme_of(view) +
                              "'; expected sqlite:PATH, sqlite::memory: or postgresql://...");
}

}  // namespace loadlab::db
