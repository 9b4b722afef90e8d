// Response parser: framing (length, chunked, close-delimited), keep-alive, limits, every split.
#include "load/engine/response_parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace loadlab::load::engine {
namespace {

using Progress = ResponseParser::Progress;

// Feeds the message in pieces of `piece` bytes; returns the final progress and bytes consumed.
std::pair<Progress, std::size_t> feed_in_pieces(ResponseParser& parser, std::string_view message,
                                                std::size_t piece) {
  std::size_t used = 0;
  while (used < message.size()) {
    const auto step = parser.feed(message.substr(used, std::min(piece, message.size() - used)));
    used += step.consumed;
    if (step.progress != Progress::need_more) return {step.progress, used};
  }
  return {Progress::need_more, used};
}

TEST(ResponseParser, ContentLengthBodyAtEverySplit) {
  const std::string message = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
  for (std::size_t piece = 1; piece <= message.size(); ++piece) {
    ResponseParser parser({.max_header_bytes = 1024, .max_body_capture = 64});
    parser.reset();
    const auto [progress, used] = feed_in_pieces(parser, message, piece);
    ASSERT_EQ(progress, Progress::complete) << "piece " << piece;
    EXPECT_EQ(used, message.size());
    EXPECT_EQ(parser.status(), 200);
    EXPECT_EQ(parser.body_bytes(), 5u);
    EXPECT_EQ(parser.body(), "hello");
    EXPECT_TRUE(parser.keep_alive());
  }
}

TEST(ResponseParser, ChunkedBodyWithExtensionsAndTrailersAtEverySplit) {
  const std::string message =
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "4;ext=1\r\nwiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: 1\r\n\r\n";
  for (std::size_t piece = 1; piece <= message.size(); ++piece) {
    ResponseParser parser({.max_header_bytes = 1024, .max_body_capture = 64});
    parser.reset();
    const auto [progress, used] = feed_in_pieces(parser, message, piece);
    ASSERT_EQ(progress, Progress::complete) << "piece " << piece;
    EXPECT_EQ(used, message.size());
    EXPECT_EQ(parser.status(), 201);
    EXPECT_EQ(parser.body(), "wikipedia in\r\n\r\nchunks.");
  }
}

TEST(ResponseParser, StopsAtTheEndOfTheMessage) {
  ResponseParser parser;
  parser.reset();
  const std::string two = "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n";
  const auto step = parser.feed(two);
  EXPECT_EQ(step.progress, Progress::complete);
  EXPECT_EQ(step.consumed, two.find("HTTP/1.1 200"));
}

TEST(ResponseParser, CloseDelimitedBodyCompletesOnEof) {
  ResponseParser parser;
  parser.reset();
  EXPECT_EQ(parser.feed("HTTP/1.1 200 OK\r\n\r\nsome bytes").progress, Progress::need_more);
  EXPECT_EQ(parser.finish_on_eof(), Progress::complete);
  EXPECT_FALSE(parser.keep_alive());
  EXPECT_EQ(parser.body_bytes(), 10u);
}

TEST(ResponseParser, TruncatedBodyFailsOnEof) {
  ResponseParser parser;
  parser.reset();
  EXPECT_EQ(parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").progress,
            Progress::need_more);
  EXPECT_EQ(parser.finish_on_eof(), Progress::failed);
  EXPECT_EQ(parser.error(), ParseError::truncated);
}

TEST(ResponseParser, KeepAliveRules) {
  ResponseParser parser;
  parser.reset();
  (void)parser.feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(parser.keep_alive());
  parser.reset();
  (void)parser.feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(parser.keep_alive());
  parser.reset();
  (void)parser.feed("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(parser.keep_alive());
}

TEST(ResponseParser, FramingFieldNamesMatchInAnyCaseAndOnlyThoseNames) {
  ResponseParser parser;
  parser.reset();
  auto step = parser.feed("HTTP/1.1 200 OK\r\nCONTENT-LENGTH:2\r\nCONNECTION: Close\r\n\r\nok");
  EXPECT_EQ(step.progress, Progress::complete);
  EXPECT_FALSE(parser.keep_alive());
  EXPECT_EQ(parser.body_bytes(), 2U);

  parser.reset();
  step = parser.feed(
      "HTTP/1.1 200 OK\r\ntransfer-ENCODING: gzip, Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
  EXPECT_EQ(step.progress, Progress::complete);
  EXPECT_EQ(parser.body_bytes(), 2U);

  // Other fields frame nothing, whether they have the length of Content-Length (14),
  // Transfer-Encoding (17) or Connection (10), or extend one: the body runs to the close.
  parser.reset();
  step = parser.feed(
      "HTTP/1.1 200 OK\r\nContent-Lengths: 2\r\nX-Request-Time: 2\r\n"
      "X-Transfer-Chunks: chunked\r\nConnectio-: close\r\n\r\nok");
  EXPECT_EQ(step.progress, Progress::need_more);
  EXPECT_FALSE(parser.keep_alive());  // close-delimited
  EXPECT_EQ(parser.finish_on_eof(), Progress::complete);
  EXPECT_EQ(parser.body_bytes(), 2U);
}

TEST(ResponseParser, HeadAndNoContentHaveNoBody) {
  ResponseParser parser;
  parser.reset(/*head_request=*/true);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
  EXPECT_EQ(parser.feed(head).progress, Progress::complete);
  parser.reset();
  EXPECT_EQ(parser.feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n").progress,
            Progress::complete);
}

TEST(ResponseParser, SkipsInterimResponses) {
  ResponseParser parser;
  parser.reset();
  const std::string message =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const auto step = parser.feed(message);
  EXPECT_EQ(step.progress, Progress::complete);
  EXPECT_EQ(step.consumed, message.size());
  EXPECT_EQ(parser.status(), 200);
}

TEST(ResponseParser, RejectsMalformedInput) {
  const std::pair<std::string, ParseError> cases[] = {
      {"HTTX/1.1 200 OK\r\n\r\n", ParseError::bad_status_line},
      {"HTTP/1.1 2x0 OK\r\n\r\n", ParseError::bad_status_line},
      {"HTTP/1.1 200OK\r\n\r\n", ParseError::bad_status_line},
      {"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", ParseError::bad_header},
      {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", ParseError::bad_header},
      {"HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\n", ParseError::bad_header},
      {"HTTP/1.1 200 OK\r\n: x\r\n\r\n", ParseError::bad_header},
      {"HTTP/1.1 200 OK\r\nX-A\r\n\r\n", ParseError::bad_header},
      {"HTTP/1.1 200 OK\r\nX-(A): x\r\n\r\n", ParseError::bad_header},
      {std::string("HTTP/1.1 200 OK\r\nX-") + '\0' + "A: x\r\n\r\n", ParseError::bad_header},
      {"HTTP/1.1 200 OK\r\nX-\x80: x\r\n\r\n", ParseError::bad_header},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", ParseError::bad_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       ParseError::bad_content_length},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ParseError::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", ParseError::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
       ParseError::bad_chunk},
      {"HTTP/1.1 101 Switching Protocols\r\n\r\n", ParseError::unsupported_status},
  };
  for (const auto& [message, expected] : cases) {
    ResponseParser parser;
    parser.reset();
    EXPECT_EQ(parser.feed(message).progress, Progress::failed) << message;
    EXPECT_EQ(parser.error(), expected) << message;
    EXPECT_FALSE(parser.keep_alive());
  }
}

TEST(ResponseParser, BoundsTheHeaderSize) {
  ResponseParser parser({.max_header_bytes = 64, .max_body_capture = 0});
  parser.reset();
  const std::string big = "HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a');  // no newline yet
  EXPECT_EQ(parser.feed(big).progress, Progress::failed);
  EXPECT_EQ(parser.error(), ParseError::header_too_large);
}

TEST(ResponseParser, BodyCaptureIsCapped) {
  ResponseParser parser({.max_header_bytes = 1024, .max_body_capture = 3});
  parser.reset();
  EXPECT_EQ(parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").progress,
            Progress::complete);
  EXPECT_EQ(parser.body(), "hel");
  EXPECT_EQ(parser.body_bytes(), 5u);
}

}  // namespace
}  // namespace loadlab::load::engine
