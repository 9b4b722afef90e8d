// Exact-path routing, 404 and 405 (with Allow) answers.
#include "http/router.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

namespace loadlab::http {
namespace {

asio::awaitable<Response> answer_ok(unsigned version) {
  co_return json_response(Status::ok, nlohmann::json{{"ok", true}}, version);
}

Handler ok_handler() {
  return [](RequestContext& context) { return answer_ok(context.request.version()); };
}

TEST(Router, MatchesExactPathAndMethod) {
  Router router;
  router.get("/api/tasks", ok_handler());
  router.post("/api/tasks", ok_handler());
  router.get("/health", ok_handler());
  EXPECT_EQ(router.route_count(), 3u);

  const RouteMatch get = router.match(Verb::get, "/api/tasks");
  ASSERT_EQ(get.outcome, RouteMatch::Outcome::found);
  EXPECT_EQ(get.route->path, "/api/tasks");
  EXPECT_EQ(get.route->method, Verb::get);
  EXPECT_EQ(router.match(Verb::post, "/api/tasks").route->method, Verb::post);
  EXPECT_EQ(router.match(Verb::get, "/health").route->index, 2u);
}

TEST(Router, UnknownPathIsNotFound) {
  Router router;
  router.get("/health", ok_handler());
  EXPECT_EQ(router.match(Verb::get, "/healt").outcome, RouteMatch::Outcome::not_found);
  EXPECT_EQ(router.match(Verb::get, "/health/").outcome, RouteMatch::Outcome::not_found);
  EXPECT_EQ(router.match(Verb::get, "").outcome, RouteMatch::Outcome::not_found);
}

TEST(Router, WrongMethodListsAllowed) {
  Router router;
  router.get("/api/tasks", ok_handler());
  router.post("/api/tasks", ok_handler());
  const RouteMatch match = router.match(Verb::delete_, "/api/tasks");
  ASSERT_EQ(match.outcome, RouteMatch::Outcome::method_not_allowed);
  EXPECT_EQ(match.allow, "GET, HEAD, POST");
  EXPECT_EQ(match.path, "/api/tasks");  // the metrics count the 405 under the route's path
  const Response response = Router::method_not_allowed(Verb::delete_, match.allow);
  EXPECT_EQ(response.result(), Status::method_not_allowed);
  EXPECT_EQ(response[beast::http::field::allow], "GET, HEAD, POST");
  EXPECT_EQ(nlohmann::json::parse(response.body())["error"], "method not allowed");
}

TEST(Router, HeadIsAnsweredByTheGetRoute) {
  Router router;
  router.get("/health", ok_handler());
  router.post("/work", ok_handler());
  const RouteMatch head = router.match(Verb::head, "/health");
  ASSERT_EQ(head.outcome, RouteMatch::Outcome::found);
  EXPECT_EQ(head.route->method, Verb::get);
  EXPECT_EQ(head.path, "/health");
  const RouteMatch no_get = router.match(Verb::head, "/work");
  EXPECT_EQ(no_get.outcome, RouteMatch::Outcome::method_not_allowed);
  EXPECT_EQ(no_get.allow, "POST");
}

TEST(Router, AnExplicitHeadRouteWinsAndIsListedOnce) {
  Router router;
  router.get("/both", ok_handler());
  router.add(Verb::head, "/both", ok_handler());
  EXPECT_EQ(router.match(Verb::head, "/both").route->method, Verb::head);
  EXPECT_EQ(router.match(Verb::put, "/both").allow, "GET, HEAD");
}

TEST(Router, NotImplementedNamesTheMethod) {
  const Response response = Router::not_implemented("FOO");
  EXPECT_EQ(response.result(), Status::not_implemented);
  EXPECT_EQ(nlohmann::json::parse(response.body())["method"], "FOO");
}

TEST(Router, NotFoundBodyIsJson) {
  const Response response = Router::not_found("/nope");
  EXPECT_EQ(response.result(), Status::not_found);
  const auto body = nlohmann::json::parse(response.body());
  EXPECT_EQ(body["path"], "/nope");
}

TEST(Router, AnImmediateRouteCanAlsoBeAwaited) {
  Router router;
  router.get(
      "/now", ImmediateHandler([](RequestContext& context) {
        return json_response(Status::ok, nlohmann::json{{"now", true}}, context.request.version());
      }));
  const RouteMatch match = router.match(Verb::get, "/now");
  ASSERT_EQ(match.outcome, RouteMatch::Outcome::found);
  ASSERT_TRUE(match.route->immediate);
  ASSERT_TRUE(match.route->handler);
  EXPECT_FALSE(router.match(Verb::get, "/missing").route);

  const Request request(Verb::get, "/now", 11);
  const QueryParams query;
  asio::io_context io;
  RequestContext context{request, "/now", query, "/now", "id", {}, {}, io.get_executor()};
  EXPECT_EQ(match.route->immediate(context).body(), R"({"now":true})");
  std::optional<Response> awaited;
  asio::co_spawn(io, match.route->handler(context),
                 [&](std::exception_ptr, Response response) { awaited = std::move(response); });
  io.run();
  ASSERT_TRUE(awaited);
  EXPECT_EQ(awaited->body(), R"({"now":true})");
}

TEST(Router, DuplicateRouteIsAStartUpError) {
  Router router;
  router.get("/x", ok_handler());
  EXPECT_THROW(router.get("/x", ok_handler()), std::invalid_argument);
  EXPECT_NO_THROW(router.post("/x", ok_handler()));
}

}  // namespace
}  // namespace loadlab::http
