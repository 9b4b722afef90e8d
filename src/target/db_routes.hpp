// Database pool starvation (seed 000): task CRUD, the expensive query and concurrent slow
// queries that each hold a pooled connection.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <variant>

#include "core/expected.hpp"
#include "db/database.hpp"
#include "http/message.hpp"
#include "protect/call_outcome.hpp"
#include "protect/rejection.hpp"

namespace loadlab::http {
class Router;
}

namespace loadlab::protect {
class DependencyGuard;
class Protections;
}  // namespace loadlab::protect

namespace loadlab::target {

// 503 when the pool had no connection in time or the database is going away, 500 otherwise.
http::Response database_error(const db::DbError& error, unsigned version);

// Why a database call gave no result: the database's own error, or a protection's refusal
// (breaker open, bulkhead full), in which case no query was issued.
using DbFailure = std::variant<db::DbError, protect::Rejection>;
// database_error() for the first, rejection_response() (503 + Retry-After) for the second.
http::Response db_failure_response(const DbFailure& failure, unsigned version);

// What a database error tells the "database" breaker: pool timeouts, failed queries and lost
// connections are failures; a pool closing for shutdown says nothing about the database.
protect::CallOutcome breaker_outcome(const db::DbError& error) noexcept;

class DbRoutes {
 public:
  explicit DbRoutes(db::Database& database,
                    std::chrono::milliseconds exhaust_hold = std::chrono::seconds(5))
      : database_(database), exhaust_hold_(exhaust_hold) {}
  void register_routes(http::Router& router);
  // Puts every query behind the "database" dependency guard: its breaker and bulkhead, when the
  // `breaker` and `bulkhead` protections are on (no retries: a query is not repeated).
  void set_protections(protect::Protections& protections);

  boost::asio::awaitable<http::Response> create_task(http::RequestContext& context);
  boost::asio::awaitable<http::Response> list_tasks(http::RequestContext& context);
  boost::asio::awaitable<http::Response> expensive_query(http::RequestContext& context);
  boost::asio::awaitable<http::Response> pool_exhaust(http::RequestContext& context);

 private:
  // Runs `query` (not started yet) as one attempt at the database, or refuses it without
  // starting it.
  template <class T>
  boost::asio::awaitable<core::Expected<T, DbFailure>> guarded(
      boost::asio::awaitable<core::Expected<T, db::DbError>> query);
  boost::asio::awaitable<void> sleep_query_into(std::chrono::milliseconds hold,
                                                core::Expected<double, DbFailure>* slot);

  db::Database& database_;
  std::chrono::milliseconds exhaust_hold_;
  protect::DependencyGuard* guard_ = nullptr;  // null: no protections (tests of the bare routes)
};

}  // namespace loadlab::target
