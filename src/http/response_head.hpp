// The bytes of a response's status line and header fields, as Beast's serializer writes them,
// rendered into a reused string. The session sends them and the body with one sendmsg(): Beast's
// serializer walks a view of some ten buffers per response, about a tenth of the server's user
// time on small responses. Chunked responses still go through Beast's serializer.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "http/message.hpp"

namespace loadlab::http {

// The two fields the server adds to every response: X-Request-ID (the client's, or a generated
// one) and X-Process-Time (seconds with six decimals, like the seed's "%.6f"). They travel beside
// the response instead of in its fields, and are rendered with its head: two field insertions,
// with an allocation and a name lookup each, fewer per request.
class ResponseStamp {
 public:
  static constexpr std::size_t max_request_id_length = 128;

  ResponseStamp() = default;
  // An id longer than max_request_id_length is cut there (callers validate ids first).
  ResponseStamp(std::string_view request_id, core::Duration elapsed) noexcept;

  [[nodiscard]] std::string_view request_id() const noexcept { return {id_.data(), id_size_}; }
  [[nodiscard]] std::string_view process_time() const noexcept {
    return {seconds_.data(), seconds_size_};
  }
  // Sets both as ordinary fields (for responses that go through Beast's serializer).
  void apply_to(Response& response) const;

 private:
  std::array<char, max_request_id_length> id_{};
  std::array<char, 32> seconds_{};
  std::uint8_t id_size_ = 0;
  std::uint8_t seconds_size_ = 0;
};

// Replaces out with "HTTP/x.y CODE REASON\r\n", every field as "Name: value\r\n", the stamp's two
// fields when one is given, and "\r\n".
void render_response_head(const Response& response, const ResponseStamp* stamp, std::string& out);

}  // namespace loadlab::http
