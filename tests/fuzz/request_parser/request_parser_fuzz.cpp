// libFuzzer target: the server's request parsing (Beast's parser with the server's limits, fed in
// two arbitrary pieces) and the query-string and parameter parsing of every handler must never
// crash, and the split must never change the message parsed (see the check at the end).
#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/params.hpp"

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;

struct Verdict {
  bool done = false;
  bool failed = false;
  std::string target;
  std::size_t body_size = 0;
};

Verdict parse(std::string_view data, std::size_t split) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(2048);
  parser.body_limit(4096);
  parser.eager(true);
  beast::error_code error;
  std::string pending;
  Verdict verdict;
  for (const std::string_view piece : {data.substr(0, split), data.substr(split)}) {
    pending.append(piece);
    while (!pending.empty() && !parser.is_done()) {
      const std::size_t used = parser.put(boost::asio::buffer(pending), error);
      if (error == bhttp::error::need_more) {
        // Beast may still have consumed complete header lines: drop them, or they are fed twice.
        error = {};
        pending.erase(0, used);
        break;
      }
      if (error) {
        verdict.failed = true;
        return verdict;
      }
      if (used > pending.size()) std::abort();
      pending.erase(0, used);
      if (used == 0) break;
    }
  }
  if (parser.is_done()) {
    verdict.done = true;
    verdict.target = std::string(parser.get().target());
    verdict.body_size = parser.get().body().size();
  }
  return verdict;
}

std::size_t characters(std::string_view utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void exercise_query(std::string_view target) {
  const std::size_t question = target.find('?');
  const std::string_view query_text =
      question == std::string_view::npos ? target : target.substr(question + 1);
  const loadlab::http::QueryParams query = loadlab::http::parse_query(query_text);
  for (const auto& [name, value] : query.items()) {
    if (query.find(name) == nullptr) std::abort();
    const auto integer = loadlab::http::parse_int_param(query, name, std::nullopt, -1000, 1000);
    if (integer && (*integer < -1000 || *integer > 1000)) std::abort();
    const auto number = loadlab::http::parse_double_param(query, name, std::nullopt, 0.0, 30.0);
    if (number && !(*number >= 0.0 && *number <= 30.0)) std::abort();
    const auto text = loadlab::http::parse_string_param(query, name, std::nullopt, 64);
    // The limit counts characters (code points), not bytes: an accepted value is valid UTF-8,
    // whose characters are its bytes that are not continuation bytes (10xxxxxx).
    if (text && characters(*text) > 64) std::abort();
    if (!integer) (void)loadlab::http::unprocessable(integer.error());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  const Verdict whole = parse(input, size);
  const Verdict pieces = parse(input, split);
  // However the bytes are split, a request never parses into two different messages, nor into a
  // message one way and an error the other. A split may delay an error (Beast looks for the end of
  // the header again and still waits for more): the server's header deadline ends that wait.
  const bool contradiction =
      (whole.done && pieces.failed) || (whole.failed && pieces.done) ||
      (whole.done && pieces.done &&
       (whole.target != pieces.target || whole.body_size != pieces.body_size));
  if (contradiction) std::abort();
  exercise_query(whole.done ? std::string_view(whole.target) : input);
  return 0;
}
