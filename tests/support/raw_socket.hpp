// Test support: a plain blocking TCP client socket for what a well-behaved HTTP client never does
// (malformed requests, trickled headers, hanging up mid-request). Every read has a deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loadlab::testing {

class RawSocket {
 public:
  // Connects at once; connected() tells whether it worked.
  RawSocket(const std::string& host, std::uint16_t port,
            std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  [[nodiscard]] bool connected() const noexcept { return fd_ >= 0; }
  // Sends everything; false when the peer has gone.
  bool send(std::string_view bytes);
  // Reads until the peer closes or `deadline` passes; returns what arrived.
  std::string read_until_closed(std::chrono::milliseconds deadline);
  // Reads one complete response (head plus Content-Length body) or nullopt at the deadline/EOF.
  // Bytes after it stay buffered for the next call.
  std::optional<std::string> read_response(std::chrono::milliseconds deadline);
  // True when the peer closes (EOF or reset) within `deadline`; data arriving meanwhile is kept.
  bool wait_closed_by_peer(std::chrono::milliseconds deadline);
  // Hard close (RST instead of FIN when linger 0 is requested).
  void close(bool reset = false);

 private:
  enum class ReadOutcome { data, closed, timeout };
  ReadOutcome read_some(std::chrono::steady_clock::time_point give_up);

  int fd_ = -1;
  std::string pending_;
};

// Status code of a raw response text ("HTTP/1.1 431 ..." -> 431), 0 if unparsable.
int status_of(std::string_view response);
// Body of a raw response text (after the blank line).
std::string body_of(std::string_view response);

}  // namespace loadlab::testing
