// Blocking loopback HTTP GET with poll() deadlines and a size cap.
#include "lab/http_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace loadlab::lab {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

int remaining_ms(SteadyTime until) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<long long>(0, left.count()));
}

bool wait_for(int fd, short events, SteadyTime until) {
  pollfd entry{fd, events, 0};
  while (true) {
    const int ready = ::poll(&entry, 1, remaining_ms(until));
    if (ready > 0) return true;
    if (ready == 0 || errno != EINTR) return false;
  }
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

bool decode_chunked(const std::string& encoded, std::string& decoded) {
  std::size_t at = 0;
  while (true) {
    const auto line_end = encoded.find("\r\n", at);
    if (line_end == std::string::npos) return false;
    std::size_t size = 0;
    try {
      size = std::stoul(encoded.substr(at, line_end - at), nullptr, 16);
    } catch (...) {
      return false;
    }
    at = line_end + 2;
    if (size == 0) return true;
    if (at + size > encoded.size()) return false;
    decoded.append(encoded, at, size);
    at += size + 2;
  }
}

core::Expected<ProbeResponse, std::string> http_get(const std::string& host, int port,
                                                    const std::string& target, ProbeLimits limits,
                                                    const std::string& method,
                                                    const std::string& body) {
  const auto until = std::chrono::steady_clock::now() + limits.deadline;
  Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (socket.fd() < 0) return core::unexpected(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    return core::unexpected("not an IPv4 address: " + host);
  }
  if (::connect(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    if (errno != EINPROGRESS)
      return core::unexpected(std::string("connect: ") + std::strerror(errno));
    if (!wait_for(socket.fd(), POLLOUT, until))
      return core::unexpected(std::string("connect: deadline exceeded"));
    int error = 0;
    socklen_t length = sizeof(error);
    ::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) return core::unexpected(std::string("connect: ") + std::strerror(error));
  }
  const std::string request =
      method + " " + target + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
      "\r\nConnection: close\r\n" +
      (method == "GET" ? std::string()
                       : "Content-Type: application/json\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n") +
      "\r\n" + body;
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_for(socket.fd(), POLLOUT, until))
      return core::unexpected(std::string("send: deadline exceeded"));
    const auto n = ::send(socket.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return core::unexpected(std::string("send: ") + std::strerror(errno));
    if (n > 0) sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buffer[16384];
  while (true) {
    if (!wait_for(socket.fd(), POLLIN, until))
      return core::unexpected(std::string("read: deadline exceeded"));
    const auto n = ::recv(socket.fd(), buffer, sizeof(buffer), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return core::unexpected(std::string("read: ") + std::strerror(errno));
    }
    raw.append(buffer, static_cast<std::size_t>(n));
    if (raw.size() > limits.max_bytes) return core::unexpected(std::string("response too large"));
  }
  const auto header_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || header_end == std::string::npos || raw.size() < 12) {
    return core::unexpected(std::string("malformed HTTP response"));
  }
  ProbeResponse response;
  response.status = std::atoi(raw.c_str() + 9);
  const auto headers = lower(raw.substr(0, header_end));
  std::string payload = raw.substr(header_end + 4);
  if (headers.find("transfer-encoding: chunked") != std::string::npos) {
    if (!decode_chunked(payload, response.body))
      return core::unexpected(std::string("malformed chunked body"));
  } else {
    response.body = std::move(payload);
  }
  return response;
}

}  // namespace loadlab::lab
