// Response head rendering (see response_head.hpp).
#include "http/response_head.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

namespace loadlab::http {

ResponseStamp::ResponseStamp(std::string_view request_id, core::Duration elapsed) noexcept {
  id_size_ = static_cast<std::uint8_t>(std::min(request_id.size(), id_.size()));
  std::copy_n(request_id.data(), id_size_, id_.data());
  // to_chars skips printf's locale and format parsing.
  const auto [end, error] =
      std::to_chars(seconds_.data(), seconds_.data() + seconds_.size(),
                    std::chrono::duration<double>(elapsed).count(), std::chars_format::fixed, 6);
  seconds_size_ = static_cast<std::uint8_t>(error == std::errc{} ? end - seconds_.data() : 0);
}

void ResponseStamp::apply_to(Response& response) const {
  response.set("X-Request-ID", request_id());
  response.set("X-Process-Time", process_time());
}

void render_response_head(const Response& response, const ResponseStamp* stamp, std::string& out) {
  out.clear();
  const unsigned version = response.version();
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10 % 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
  out += ' ';
  char code[8];
  const auto [end, error] = std::to_chars(code, code + sizeof code, response.result_int());
  out.append(code, error == std::errc{} ? end : code);
  out += ' ';
  out += response.reason();
  out += "\r\n";
  for (const auto& field : response) {
    out += field.name_string();
    out += ": ";
    out += field.value();
    out += "\r\n";
  }
  if (stamp != nullptr) {
    out += "X-Request-ID: ";
    out += stamp->request_id();
    out += "\r\nX-Process-Time: ";
    out += stamp->process_time();
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace loadlab::http
