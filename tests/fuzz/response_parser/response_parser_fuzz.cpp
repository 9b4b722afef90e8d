// libFuzzer target: the response parser must never crash, never over-consume, and give the same
// verdict whether the bytes arrive at once or split at an arbitrary point.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "load/engine/response_parser.hpp"

namespace {

using loadlab::load::engine::ResponseParser;

struct Verdict {
  ResponseParser::Progress progress;
  std::size_t consumed;
  int status;
  std::uint64_t body_bytes;
};

Verdict parse(std::string_view data, std::size_t split, bool head) {
  ResponseParser parser({.max_header_bytes = 512, .max_body_capture = 16});
  parser.reset(head);
  std::size_t used = 0;
  ResponseParser::Step step{ResponseParser::Progress::need_more, 0};
  for (const auto piece : {data.substr(0, split), data.substr(split)}) {
    if (piece.empty()) continue;
    step = parser.feed(piece);
    if (step.consumed > piece.size()) std::abort();
    used += step.consumed;
    if (step.progress != ResponseParser::Progress::need_more) break;
  }
  if (step.progress == ResponseParser::Progress::need_more) (void)parser.finish_on_eof();
  if (parser.body().size() > 16) std::abort();
  return {step.progress, used, parser.status(), parser.body_bytes()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool head = (data[0] & 0x80) != 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t split = input.empty() ? 0 : (data[0] & 0x7f) % (input.size() + 1);
  const auto whole = parse(input, input.size(), head);
  const auto split_verdict = parse(input, split, head);
  if (whole.progress != split_verdict.progress || whole.status != split_verdict.status)
    std::abort();
  if (whole.progress == ResponseParser::Progress::complete &&
      (whole.consumed != split_verdict.consumed || whole.body_bytes != split_verdict.body_bytes)) {
    std::abort();
  }
  return 0;
}
