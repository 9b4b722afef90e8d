// Incremental HTTP/1.1 response parser (RFC 9112 message framing, client side).
#include "load/engine/response_parser.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace loadlab::load::engine {
namespace {

constexpr std::size_t kMaxChunkLine = 4096;
constexpr int kMaxChunkSizeDigits = 15;  // < 2^60: no overflow

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110 §5.6.2 tchar, as a table: every byte of every field name is checked, and the
// parser is about half of the load generator's own instructions per request (callgrind).
constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~")) {
    table[static_cast<unsigned char>(c)] = true;
  }
  return table;
}();

bool is_token_char(char c) noexcept {
  return kTokenChars[static_cast<unsigned char>(c)];
}

// Calls visit(token) for each comma-separated, trimmed, non-empty element of a field value.
template <class Visit>
void for_each_token(std::string_view value, Visit&& visit) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    const auto token = trim(value.substr(0, comma));
    if (!token.empty()) visit(token);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view to_string(ParseError error) noexcept {
  switch (error) {
    case ParseError::none:
      return "none";
    case ParseError::bad_status_line:
      return "bad status line";
    case ParseError::bad_header:
      return "bad header field";
    case ParseError::header_too_large:
      return "response header too large";
    case ParseError::bad_content_length:
      return "bad Content-Length";
    case ParseError::bad_chunk:
      return "bad chunked encoding";
    case ParseError::unsupported_status:
      return "unsupported status (101)";
    case ParseError::truncated:
      return "connection closed before the response ended";
  }
  return "unknown";
}

void ResponseParser::reset(bool head_request) noexcept {
  state_ = State::status_line;
  error_ = ParseError::none;
  head_request_ = head_request;
  started_ = false;
  keep_alive_ = true;
  http10_ = false;
  chunked_ = false;
  transfer_encoding_ = false;
  has_content_length_ = false;
  status_ = 0;
  content_length_ = 0;
  remaining_ = 0;
  body_bytes_ = 0;
  header_bytes_ = 0;
  carry_.clear();
  body_.clear();
}

ResponseParser::Step ResponseParser::fail(ParseError error, std::size_t consumed) noexcept {
  state_ = State::failed;
  error_ = error;
  keep_alive_ = false;
  return {Progress::failed, consumed};
}

ResponseParser::Step ResponseParser::feed(std::string_view data) {
  if (state_ == State::failed) return {Progress::failed, 0};
  if (state_ == State::done) return {Progress::complete, 0};
  if (!data.empty()) started_ = true;
  std::size_t pos = 0;
  while (pos < data.size()) {
    switch (state_) {
      case State::status_line:
      case State::header_line:
      case State::chunk_size_line:
      case State::chunk_data_end:
      case State::trailer_line: {
        const bool in_head = state_ == State::status_line || state_ == State::header_line ||
                             state_ == State::trailer_line;
        const std::size_t line_limit = in_head ? limits_.max_header_bytes : kMaxChunkLine;
        const char* start = data.data() + pos;
        const auto* newline = static_cast<const char*>(std::memchr(start, '\n', data.size() - pos));
        const std::size_t take =
            newline == nullptr ? data.size() - pos : static_cast<std::size_t>(newline - start) + 1;
        if (in_head) {
          header_bytes_ += take;
          if (header_bytes_ > limits_.max_header_bytes) {
            return fail(ParseError::header_too_large, pos + take);
          }
        } else if (carry_.size() + take > line_limit) {
          return fail(ParseError::bad_chunk, pos + take);
        }
        if (newline == nullptr) {
          carry_.append(start, take);
          return {Progress::need_more, data.size()};
        }
        std::string_view line;
        if (carry_.empty()) {
          line = std::string_view(start, take - 1);
        } else {
          carry_.append(start, take - 1);
          line = carry_;
        }
        pos += take;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const bool ok = on_line(line);
        carry_.clear();
        if (!ok) return fail(error_, pos);
        if (state_ == State::done) return {Progress::complete, pos};
        break;
      }
      case State::body_fixed:
      case State::chunk_data: {
        const auto take =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - pos));
        take_body(data.substr(pos, take));
        pos += take;
        remaining_ -= take;
        if (remaining_ == 0) {
          if (state_ == State::chunk_data) {
            state_ = State::chunk_data_end;
          } else {
            state_ = State::done;
            return {Progress::complete, pos};
          }
        }
        break;
      }
      case State::body_until_close:
        take_body(data.substr(pos));
        pos = data.size();
        break;
      case State::done:
        return {Progress::complete, pos};
      case State::failed:
        return {Progress::failed, pos};
    }
  }
  return {Progress::need_more, pos};
}

ResponseParser::Progress ResponseParser::finish_on_eof() noexcept {
  if (state_ == State::done) return Progress::complete;
  if (state_ == State::body_until_close) {
    state_ = State::done;
    keep_alive_ = false;
    return Progress::complete;
  }
  state_ = State::failed;
  error_ = ParseError::truncated;
  keep_alive_ = false;
  return Progress::failed;
}

void ResponseParser::take_body(std::string_view bytes) {
  body_bytes_ += bytes.size();
  if (body_.size() < limits_.max_body_capture) {
    body_.append(bytes.data(), std::min(bytes.size(), limits_.max_body_capture - body_.size()));
  }
}

bool ResponseParser::on_line(std::string_view line) {
  switch (state_) {
    case State::status_line:
      if (line.empty()) return true;  // tolerate stray CRLF between messages (RFC 9112 §2.2)
      return on_status_line(line);
    case State::header_line:
      if (line.empty()) return on_headers_end();
      return on_header_line(line);
    case State::chunk_size_line:
      return on_chunk_size_line(line);
    case State::chunk_data_end:
      if (!line.empty()) {
        error_ = ParseError::bad_chunk;
        return false;
      }
      state_ = State::chunk_size_line;
      return true;
    case State::trailer_line:
      if (line.empty()) state_ = State::done;
      return true;
    default:
      return true;
  }
}

bool ResponseParser::on_status_line(std::string_view line) {
  // HTTP/1.x SP 3DIGIT [SP reason]
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') ||
      line[8] != ' ' || (line.size() > 12 && line[12] != ' ')) {
    error_ = ParseError::bad_status_line;
    return false;
  }
  int code = 0;
  for (int i = 9; i < 12; ++i) {
    const char c = line[static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') {
      error_ = ParseError::bad_status_line;
      return false;
    }
    code = code * 10 + (c - '0');
  }
  if (code < 100) {
    error_ = ParseError::bad_status_line;
    return false;
  }
  status_ = code;
  http10_ = line[7] == '0';
  keep_alive_ = !http10_;
  state_ = State::header_line;
  return true;
}

bool ResponseParser::on_header_line(std::string_view line) {
  // field-name ":" ...: the name is one or more token characters, and the first byte that is
  // not one must be the colon (one pass, instead of finding the colon and checking the name).
  std::size_t colon = 0;
  while (colon < line.size() && is_token_char(line[colon])) ++colon;
  if (colon == 0 || colon == line.size() || line[colon] != ':') {
    error_ = ParseError::bad_header;
    return false;
  }
  const auto name = line.substr(0, colon);
  // Only three fields frame the message: the value is read for those alone, and the others
  // (Date, Server, ...) are skipped once their name is known to be valid.
  const auto value = [line, colon] { return trim(line.substr(colon + 1)); };
  if (iequals(name, "content-length")) {
    const auto digits = value();
    if (digits.empty() || digits.size() > 18) {
      error_ = ParseError::bad_content_length;
      return false;
    }
    std::uint64_t length = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') {
        error_ = ParseError::bad_content_length;
        return false;
      }
      length = length * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (has_content_length_ && length != content_length_) {
      error_ = ParseError::bad_content_length;
      return false;
    }
    has_content_length_ = true;
    content_length_ = length;
  } else if (iequals(name, "transfer-encoding")) {
    bool last_is_chunked = false;
    for_each_token(value(),
                   [&](std::string_view coding) { last_is_chunked = iequals(coding, "chunked"); });
    // Transfer-Encoding overrides Content-Length; without a final "chunked" the body ends at
    // close (RFC 9112 §6.3).
    transfer_encoding_ = true;
    chunked_ = last_is_chunked;
  } else if (iequals(name, "connection")) {
    for_each_token(value(), [&](std::string_view option) {
      if (iequals(option, "close")) keep_alive_ = false;
      if (http10_ && iequals(option, "keep-alive")) keep_alive_ = true;
    });
  }
  return true;
}

bool ResponseParser::on_headers_end() {
  if (status_ == 101) {
    error_ = ParseError::unsupported_status;
    return false;
  }
  if (status_ < 200) {  // interim response (100 Continue, 103 Early Hints): the real one follows
    const bool head = head_request_;
    const auto bytes = header_bytes_;
    reset(head);
    header_bytes_ = bytes;
    started_ = true;
    return true;
  }
  if (head_request_ || status_ == 204 || status_ == 304) {
    state_ = State::done;
  } else if (chunked_) {
    state_ = State::chunk_size_line;
  } else if (has_content_length_ && !transfer_encoding_) {
    remaining_ = content_length_;
    state_ = remaining_ == 0 ? State::done : State::body_fixed;
  } else {
    keep_alive_ = false;
    state_ = State::body_until_close;
  }
  return true;
}

bool ResponseParser::on_chunk_size_line(std::string_view line) {
  std::uint64_t size = 0;
  int digits = 0;
  std::size_t i = 0;
  for (; i < line.size(); ++i) {
    const int digit = hex_digit(line[i]);
    if (digit < 0) break;
    if (++digits > kMaxChunkSizeDigits) {
      error_ = ParseError::bad_chunk;
      return false;
    }
    size = size * 16 + static_cast<std::uint64_t>(digit);
  }
  const auto rest = trim(line.substr(i));
  if (digits == 0 || (!rest.empty() && rest.front() != ';')) {
    error_ = ParseError::bad_chunk;
    return false;
  }
  if (size == 0) {
    state_ = State::trailer_line;
  } else {
    remaining_ = size;
    state_ = State::chunk_data;
  }
  return true;
}

}  // namespace loadlab::load::engine
