// Database pool starvation (seed 000): task CRUD, the expensive query and concurrent slow
// queries that each hold a pooled connection.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "core/expected.hpp"
#include "db/database.hpp"
#include "http/message.hpp"

namespace loadlab::http {
class Router;
}

namespace loadlab::target {

// 503 when the pool had no connection in time or the database is going away, 500 otherwise.
http::Response database_error(const db::DbError& error, unsigned version);

class DbRoutes {
 public:
  explicit DbRoutes(db::Database& database,
                    std::chrono::milliseconds exhaust_hold = std::chrono::seconds(5))
      : database_(database), exhaust_hold_(exhaust_hold) {}
  void register_routes(http::Router& router);

  boost::asio::awaitable<http::Response> create_task(http::RequestContext& context);
  boost::asio::awaitable<http::Response> list_tasks(http::RequestContext& context);
  boost::asio::awaitable<http::Response> expensive_query(http::RequestContext& context);
  boost::asio::awaitable<http::Response> pool_exhaust(http::RequestContext& context);

 private:
  boost::asio::awaitable<void> sleep_query_into(std::chrono::milliseconds hold,
                                                core::Expected<double, db::DbError>* slot);

  db::Database& database_;
  std::chrono::milliseconds exhaust_hold_;
};

}  // namespace loadlab::target
