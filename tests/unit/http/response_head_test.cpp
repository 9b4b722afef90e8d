// The rendered head plus the body must be byte for byte what Beast's serializer writes.
#include "http/response_head.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

namespace loadlab::http {
namespace {

std::string beast_bytes(const Response& response) {
  std::ostringstream out;
  out << response;
  return out.str();
}

std::string rendered_bytes(const Response& response) {
  std::string head;
  render_response_head(response, nullptr, head);
  return head + response.body();
}

TEST(ResponseHead, MatchesBeastForAJsonAnswer) {
  Response response = json_response(Status::ok, nlohmann::json{{"message", "fast response"}});
  response.set("X-Request-ID", "0123456789abcdef");
  response.set("X-Process-Time", "0.000012");
  response.keep_alive(true);
  EXPECT_EQ(rendered_bytes(response), beast_bytes(response));
}

TEST(ResponseHead, MatchesBeastForHttp10ErrorsCustomReasonsAndEmptyBodies) {
  Response not_found = error_response(Status::not_found, "no such route", 10);
  not_found.keep_alive(false);
  EXPECT_EQ(rendered_bytes(not_found), beast_bytes(not_found));

  Response custom(Status::service_unavailable, 11);
  custom.reason("Shedding Load");
  custom.set(beast::http::field::retry_after, "1");
  custom.prepare_payload();
  EXPECT_EQ(rendered_bytes(custom), beast_bytes(custom));
  EXPECT_NE(rendered_bytes(custom).find("503 Shedding Load\r\n"), std::string::npos);

  Response unusual(static_cast<Status>(299), 11);
  unusual.set("X-Empty", "");
  unusual.prepare_payload();
  EXPECT_EQ(rendered_bytes(unusual), beast_bytes(unusual));
}

TEST(ResponseHead, ReusesTheStringAndReplacesItsContent) {
  std::string head = "left over from the previous response";
  Response response(Status::no_content, 11);
  render_response_head(response, nullptr, head);
  EXPECT_EQ(head, "HTTP/1.1 204 No Content\r\n\r\n");
}

TEST(ResponseHead, AStampIsRenderedAsTheFieldsItWouldSet) {
  Response response = json_response(Status::ok, nlohmann::json{{"message", "fast response"}});
  response.keep_alive(true);
  const ResponseStamp stamp("0123456789abcdef", std::chrono::microseconds(1'234'567));
  EXPECT_EQ(stamp.request_id(), "0123456789abcdef");
  EXPECT_EQ(stamp.process_time(), "1.234567");

  std::string head;
  render_response_head(response, &stamp, head);
  Response stamped = response;
  stamp.apply_to(stamped);
  EXPECT_EQ(head + response.body(), beast_bytes(stamped));
}

TEST(ResponseHead, AStampKeepsAtMostTheLongestAcceptedRequestId) {
  const std::string long_id(ResponseStamp::max_request_id_length + 10, 'x');
  const ResponseStamp stamp(long_id, std::chrono::nanoseconds(400));
  EXPECT_EQ(stamp.request_id(), long_id.substr(0, ResponseStamp::max_request_id_length));
  EXPECT_EQ(stamp.process_time(), "0.000000");
  EXPECT_EQ(ResponseStamp().request_id(), "");
}

}  // namespace
}  // namespace loadlab::http
