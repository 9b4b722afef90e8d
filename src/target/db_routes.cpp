// Database routes.
#include "target/db_routes.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <vector>

#include "http/params.hpp"
#include "http/router.hpp"
#include "protect/protections.hpp"
#include "target/protection_gate.hpp"

namespace loadlab::target {

namespace {

std::string_view kind_name(db::DbErrorKind kind) noexcept {
  switch (kind) {
    case db::DbErrorKind::pool_timeout:
      return "pool_timeout";
    case db::DbErrorKind::query_failed:
      return "query_failed";
    case db::DbErrorKind::connection_failed:
      return "connection_failed";
    case db::DbErrorKind::shutting_down:
      return "shutting_down";
  }
  return "query_failed";
}

nlohmann::json task_json(const db::Task& task) {
  return {{"id", task.id},
          {"title", task.title},
          {"description", task.description},
          {"created_at", task.created_at}};
}

}  // namespace

http::Response database_error(const db::DbError& error, unsigned version) {
  const bool unavailable = error.kind == db::DbErrorKind::pool_timeout ||
                           error.kind == db::DbErrorKind::shutting_down ||
                           error.kind == db::DbErrorKind::connection_failed;
  return http::error_response(
      unavailable ? http::Status::service_unavailable : http::Status::internal_server_error,
      {{"error",
        error.kind == db::DbErrorKind::pool_timeout ? "database pool exhausted" : "database error"},
       {"kind", kind_name(error.kind)},
       {"detail", error.message}},
      version);
}

http::Response db_failure_response(const DbFailure& failure, unsigned version) {
  if (const auto* rejection = std::get_if<protect::Rejection>(&failure)) {
    return rejection_response(*rejection, version);
  }
  return database_error(std::get<db::DbError>(failure), version);
}

protect::CallOutcome breaker_outcome(const db::DbError& error) noexcept {
  return error.kind == db::DbErrorKind::shutting_down ? protect::CallOutcome::ignored
                                                      : protect::CallOutcome::failure;
}

void DbRoutes::set_protections(protect::Protections& protections) {
  guard_ = &protections.dependency("database");
}

template <class T>
boost::asio::awaitable<core::Expected<T, DbFailure>> DbRoutes::guarded(
    boost::asio::awaitable<core::Expected<T, db::DbError>> query) {
  protect::DependencyCall call;  // admits everything when the switches are off
  if (guard_ != nullptr) {
    auto admitted = guard_->begin_attempt();
    if (!admitted) co_return core::unexpected(DbFailure{admitted.error()});
    call = std::move(admitted).value();
  }
  auto result = co_await std::move(query);
  if (!result) {
    call.finish(breaker_outcome(result.error()));
    co_return core::unexpected(DbFailure{std::move(result).error()});
  }
  call.finish(protect::CallOutcome::success);
  co_return std::move(result).value();
}

void DbRoutes::register_routes(http::Router& router) {
  router.post("/api/tasks", [this](http::RequestContext& context) { return create_task(context); });
  router.get("/api/tasks", [this](http::RequestContext& context) { return list_tasks(context); });
  router.get("/api/expensive-query",
             [this](http::RequestContext& context) { return expensive_query(context); });
  router.get("/api/db-pool-exhaust",
             [this](http::RequestContext& context) { return pool_exhaust(context); });
}

boost::asio::awaitable<http::Response> DbRoutes::create_task(http::RequestContext& context) {
  const unsigned version = context.request.version();
  auto title = http::parse_string_param(context.query, "title", std::nullopt, 200);
  if (!title) co_return http::unprocessable(title.error(), version);
  if (title->empty()) {
    co_return http::unprocessable(http::ParamError{"title", "must not be empty"}, version);
  }
  auto description = http::parse_string_param(context.query, "description", "", 2000);
  if (!description) co_return http::unprocessable(description.error(), version);
  auto task = co_await guarded(database_.create_task(std::move(*title), std::move(*description)));
  if (!task) co_return db_failure_response(task.error(), version);
  co_return http::json_response(http::Status::ok, task_json(*task), version);
}

boost::asio::awaitable<http::Response> DbRoutes::list_tasks(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto limit = http::parse_int_param(context.query, "limit", 10, 1, 1000);
  if (!limit) co_return http::unprocessable(limit.error(), version);
  auto tasks = co_await guarded(database_.list_tasks(static_cast<int>(*limit)));
  if (!tasks) co_return db_failure_response(tasks.error(), version);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& task : *tasks) list.push_back(task_json(task));
  co_return http::json_response(http::Status::ok, {{"tasks", list}, {"count", list.size()}},
                                version);
}

boost::asio::awaitable<http::Response> DbRoutes::expensive_query(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto iterations = http::parse_int_param(context.query, "iterations", 1'000, 1, 10'000);
  if (!iterations) co_return http::unprocessable(iterations.error(), version);
  const auto started = std::chrono::steady_clock::now();
  auto count = co_await guarded(database_.expensive_query(static_cast<int>(*iterations)));
  if (!count) co_return db_failure_response(count.error(), version);
  co_return http::json_response(http::Status::ok,
                                {{"iterations", *iterations},
                                 {"count", *count},
                                 {"duration_ms", std::chrono::duration<double, std::milli>(
                                                     std::chrono::steady_clock::now() - started)
                                                     .count()}},
                                version);
}

boost::asio::awaitable<void> DbRoutes::sleep_query_into(std::chrono::milliseconds hold,
                                                        core::Expected<double, DbFailure>* slot) {
  *slot = co_await guarded(database_.sleep_query(hold));
}

boost::asio::awaitable<http::Response> DbRoutes::pool_exhaust(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto concurrent = http::parse_int_param(context.query, "concurrent_queries", 10, 1, 50);
  if (!concurrent) co_return http::unprocessable(concurrent.error(), version);
  // `hold` is ours (the seed holds each connection about 5 s); it keeps tests short.
  const auto hold = http::parse_double_param(
      context.query, "hold", std::chrono::duration<double>(exhaust_hold_).count(), 0.0, 30.0);
  if (!hold) co_return http::unprocessable(hold.error(), version);
  const std::chrono::milliseconds hold_ms(static_cast<std::int64_t>(*hold * 1000.0));

  auto executor = co_await boost::asio::this_coro::executor;
  std::vector<core::Expected<double, DbFailure>> results(
      static_cast<std::size_t>(*concurrent),
      core::unexpected(db::DbError{db::DbErrorKind::shutting_down, "not run"}));
  using QueryOp = decltype(boost::asio::co_spawn(executor, sleep_query_into(hold_ms, nullptr),
                                                 boost::asio::deferred));
  std::vector<QueryOp> operations;
  operations.reserve(results.size());
  for (auto& result : results) {
    operations.push_back(
        boost::asio::co_spawn(executor, sleep_query_into(hold_ms, &result), boost::asio::deferred));
  }
  const auto started = std::chrono::steady_clock::now();
  co_await boost::asio::experimental::make_parallel_group(std::move(operations))
      .async_wait(boost::asio::experimental::wait_for_all(), boost::asio::use_awaitable);
  const double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();

  int completed = 0;
  nlohmann::json failures = nlohmann::json::array();
  const DbFailure* first_error = nullptr;
  for (const auto& result : results) {
    if (result) {
      ++completed;
    } else {
      if (first_error == nullptr) first_error = &result.error();
      if (const auto* refused = std::get_if<protect::Rejection>(&result.error())) {
        failures.push_back(
            {{"kind", "refused"}, {"reason", protect::reason_name(refused->reason)}});
      } else {
        const auto& error = std::get<db::DbError>(result.error());
        failures.push_back({{"kind", kind_name(error.kind)}, {"detail", error.message}});
      }
    }
  }
  const auto stats = database_.stats();
  nlohmann::json body{
      {"concurrent_queries", *concurrent},
      {"completed", completed},
      {"failed", failures.size()},
      {"duration_ms", elapsed_ms},
      {"pool", {{"size", stats.size}, {"in_use", stats.in_use}, {"waiting", stats.waiting}}}};
  if (first_error == nullptr) co_return http::json_response(http::Status::ok, body, version);
  http::Response response = db_failure_response(*first_error, version);
  body["error"] = "some queries failed";
  body["failures"] = failures;
  response.body() = body.dump();
  response.prepare_payload();
  co_return response;
}

}  // namespace loadlab::target
