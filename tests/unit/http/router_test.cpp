// Exact-path routing, 404 and 405 (with Allow) answers.
#include "http/router.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
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
  EXPECT_EQ(match.allow, "GET, POST");
  const Response response = Router::method_not_allowed(Verb::delete_, match.allow);
  EXPECT_EQ(response.result(), Status::method_not_allowed);
  EXPECT_EQ(response[beast::http::field::allow], "GET, POST");
  EXPECT_EQ(nlohmann::json::parse(response.body())["error"], "method not allowed");
}

TEST(Router, NotFoundBodyIsJson) {
  const Response response = Router::not_found("/nope");
  EXPECT_EQ(response.result(), Status::not_found);
  const auto body = nlohmann::json::parse(response.body());
  EXPECT_EQ(body["path"], "/nope");
}

TEST(Router, DuplicateRouteIsAStartUpError) {
  Router router;
  router.get("/x", ok_handler());
  EXPECT_THROW(router.get("/x", ok_handler()), std::invalid_argument);
  EXPECT_NO_THROW(router.post("/x", ok_handler()));
}

}  // namespace
}  // namespace loadlab::http
