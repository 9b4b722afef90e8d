// Response helpers shared by the server and every route: JSON bodies, errors included.
#include "http/message.hpp"

#include <nlohmann/json.hpp>

namespace loadlab::http {

Response json_response(Status status, const nlohmann::json& body, unsigned version) {
  Response response{status, version};
  response.set(beast::http::field::content_type, "application/json");
  // Replace, never throw: an error body may echo a client's bytes (a parameter name, a value)
  // that are not UTF-8, and the answer must stay the 4xx it is, not an exception.
  response.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.prepare_payload();
  return response;
}

Response error_response(Status status, std::string_view message, unsigned version) {
  return json_response(status, nlohmann::json{{"error", message}}, version);
}

Response error_response(Status status, const nlohmann::json& body, unsigned version) {
  return json_response(status, body, version);
}

Response error_response(Status status, const char* message, unsigned version) {
  return error_response(status, std::string_view(message), version);
}

}  // namespace loadlab::http
