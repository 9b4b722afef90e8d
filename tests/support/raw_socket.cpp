// Blocking TCP client with poll()-based deadlines (see raw_socket.hpp).
#include "raw_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace loadlab::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

int remaining_ms(SteadyClock::time_point give_up) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(give_up - SteadyClock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

std::optional<std::size_t> content_length_of(std::string_view head) {
  std::string lowered(head);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::size_t at = lowered.find("\r\ncontent-length:");
  if (at == std::string::npos) return std::nullopt;
  return static_cast<std::size_t>(std::strtoull(lowered.c_str() + at + 17, nullptr, 10));
}

}  // namespace

RawSocket::RawSocket(const std::string& host, std::uint16_t port,
                     std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return;
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd >= 0) {
    const int result = connect(fd, found->ai_addr, found->ai_addrlen);
    bool ok = result == 0;
    if (!ok && errno == EINPROGRESS) {
      pollfd descriptor{fd, POLLOUT, 0};
      int error = 0;
      socklen_t length = sizeof(error);
      ok = poll(&descriptor, 1, static_cast<int>(timeout.count())) == 1 &&
           getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
    }
    if (ok)
      fd_ = fd;
    else
      ::close(fd);
  }
  freeaddrinfo(found);
}

RawSocket::~RawSocket() {
  close();
}

bool RawSocket::send(std::string_view bytes) {
  const auto give_up = SteadyClock::now() + std::chrono::seconds(10);
  while (fd_ >= 0 && !bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd descriptor{fd_, POLLOUT, 0};
      if (poll(&descriptor, 1, remaining_ms(give_up)) <= 0) return false;
      continue;
    }
    return false;
  }
  return fd_ >= 0;
}

RawSocket::ReadOutcome RawSocket::read_some(SteadyClock::time_point give_up) {
  if (fd_ < 0) return ReadOutcome::closed;
  for (;;) {
    pollfd descriptor{fd_, POLLIN, 0};
    const int ready = poll(&descriptor, 1, remaining_ms(give_up));
    if (ready == 0) return ReadOutcome::timeout;
    if (ready < 0) return errno == EINTR ? read_some(give_up) : ReadOutcome::closed;
    char chunk[8192];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      pending_.append(chunk, static_cast<std::size_t>(n));
      return ReadOutcome::data;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    return ReadOutcome::closed;  // EOF or reset
  }
}

std::string RawSocket::read_until_closed(std::chrono::milliseconds deadline) {
  const auto give_up = SteadyClock::now() + deadline;
  while (read_some(give_up) == ReadOutcome::data) {
  }
  return std::exchange(pending_, {});
}

std::optional<std::string> RawSocket::read_response(std::chrono::milliseconds deadline) {
  const auto give_up = SteadyClock::now() + deadline;
  for (;;) {
    const std::size_t head_end = pending_.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const std::size_t body_length = content_length_of(pending_.substr(0, head_end)).value_or(0);
      const std::size_t total = head_end + 4 + body_length;
      if (pending_.size() >= total) {
        std::string response = pending_.substr(0, total);
        pending_.erase(0, total);
        return response;
      }
    }
    if (read_some(give_up) != ReadOutcome::data) return std::nullopt;
  }
}

bool RawSocket::wait_closed_by_peer(std::chrono::milliseconds deadline) {
  const auto give_up = SteadyClock::now() + deadline;
  for (;;) {
    const ReadOutcome outcome = read_some(give_up);
    if (outcome == ReadOutcome::closed) return true;
    if (outcome == ReadOutcome::timeout) return false;
  }
}

void RawSocket::close(bool reset) {
  if (fd_ < 0) return;
  if (reset) {
    linger option{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
  }
  ::close(fd_);
  fd_ = -1;
}

int status_of(std::string_view response) {
  if (response.size() < 12 || !response.starts_with("HTTP/1.")) return 0;
  return std::atoi(std::string(response.substr(9, 3)).c_str());
}

std::string body_of(std::string_view response) {
  const std::size_t head_end = response.find("\r\n\r\n");
  return head_end == std::string_view::npos ? std::string{}
                                            : std::string(response.substr(head_end + 4));
}

}  // namespace loadlab::testing
