// Response head rendering (see response_head.hpp).
#include "http/response_head.hpp"

#include <charconv>

namespace loadlab::http {

void render_response_head(const Response& response, std::string& out) {
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
  out += "\r\n";
}

}  // namespace loadlab::http
