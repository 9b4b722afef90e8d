// Incremental HTTP/1.1 response parser for the load generator: no allocation per response.
// Bytes arrive in arbitrary slices (from a buffer shared by every connection of a worker), so
// all state lives here; only a header line split across two reads is copied (into a reused
// carry buffer). The body is counted, and kept only when a check needs it (up to a cap).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace loadlab::load::engine {

enum class ParseError : std::uint8_t {
  none,
  bad_status_line,
  bad_header,
  header_too_large,
  bad_content_length,
  bad_chunk,
  unsupported_status,  // 101 Switching Protocols: not a load-generator conversation
  truncated,           // the peer closed before the message ended
};

[[nodiscard]] std::string_view to_string(ParseError error) noexcept;

struct ResponseLimits {
  std::size_t max_header_bytes = 64 * 1024;  // status line + fields, per response
  std::size_t max_body_capture = 0;          // bytes of body kept for checks (0: none)
};

class ResponseParser {
 public:
  enum class Progress : std::uint8_t { need_more, complete, failed };
  struct Step {
    Progress progress;
    std::size_t consumed;  // bytes of the input used; the rest belongs to no response
  };

  explicit ResponseParser(ResponseLimits limits = {}) noexcept : limits_(limits) {}

  // Prepares for the next response; head_request: the body is absent whatever the headers say.
  void reset(bool head_request = false) noexcept;

  // Consumes bytes until the response completes or the input ends.
  [[nodiscard]] Step feed(std::string_view data);

  // The peer closed the connection: completes a read-until-close body, else fails (truncated).
  [[nodiscard]] Progress finish_on_eof() noexcept;

  [[nodiscard]] int status() const noexcept { return status_; }
  [[nodiscard]] bool keep_alive() const noexcept { return keep_alive_; }
  [[nodiscard]] bool started() const noexcept { return started_; }
  [[nodiscard]] std::uint64_t body_bytes() const noexcept { return body_bytes_; }
  [[nodiscard]] std::string_view body() const noexcept { return body_; }
  [[nodiscard]] ParseError error() const noexcept { return error_; }
  void set_limits(ResponseLimits limits) noexcept { limits_ = limits; }

 private:
  enum class State : std::uint8_t {
    status_line,
    header_line,
    body_fixed,
    body_until_close,
    chunk_size_line,
    chunk_data,
    chunk_data_end,
    trailer_line,
    done,
    failed,
  };

  // Returns false when the line is invalid (error_ set).
  bool on_line(std::string_view line);
  bool on_status_line(std::string_view line);
  bool on_header_line(std::string_view line);
  bool on_headers_end();
  bool on_chunk_size_line(std::string_view line);
  void take_body(std::string_view bytes);
  Step fail(ParseError error, std::size_t consumed) noexcept;

  ResponseLimits limits_;
  State state_ = State::status_line;
  ParseError error_ = ParseError::none;
  bool head_request_ = false;
  bool started_ = false;
  bool keep_alive_ = true;
  bool http10_ = false;
  bool chunked_ = false;
  bool transfer_encoding_ = false;
  bool has_content_length_ = false;
  int status_ = 0;
  std::uint64_t content_length_ = 0;
  std::uint64_t remaining_ = 0;  // of the fixed body or of the current chunk
  std::uint64_t body_bytes_ = 0;
  std::size_t header_bytes_ = 0;
  std::string carry_;  // a line split across reads
  std::string body_;   // captured body (only when limits_.max_body_capture > 0)
};

}  // namespace loadlab::load::engine
