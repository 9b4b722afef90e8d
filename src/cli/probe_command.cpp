// `loadlab probe URL`: one bounded HTTP GET that exits 0 on 2xx, for container HEALTHCHECKs.
// Container images for loadlab ship no curl or wget; the binary probes itself instead.
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cli/commands.hpp"
#include "core/duration.hpp"

namespace loadlab::cli {
namespace {

constexpr std::size_t kMaxStatusLineBytes = 4096;

struct ProbeTarget {
  std::string host;
  std::string port;
  std::string path;
};

// Only plain http://HOST[:PORT][/PATH] is accepted: a health probe never needs more.
std::optional<ProbeTarget> parse_probe_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) return std::nullopt;
  url.remove_prefix(scheme.size());
  const auto slash = url.find('/');
  const std::string_view authority = url.substr(0, slash);
  ProbeTarget target;
  target.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  const auto colon = authority.rfind(':');
  if (colon == std::string_view::npos) {
    target.host = std::string(authority);
    target.port = "80";
  } else {
    target.host = std::string(authority.substr(0, colon));
    target.port = std::string(authority.substr(colon + 1));
  }
  if (target.host.size() > 2 && target.host.front() == '[' && target.host.back() == ']') {
    target.host = target.host.substr(1, target.host.size() - 2);
  }
  if (target.host.empty() || target.port.empty()) return std::nullopt;
  return target;
}

// "HTTP/1.1 204 No Content" -> 204; anything else -> nullopt.
std::optional<int> parse_status_code(std::string_view status_line) {
  if (status_line.substr(0, 5) != "HTTP/") return std::nullopt;
  const auto space = status_line.find(' ');
  if (space == std::string_view::npos || status_line.size() < space + 4) return std::nullopt;
  int code = 0;
  for (std::size_t i = space + 1; i < space + 4; ++i) {
    const char digit = status_line[i];
    if (digit < '0' || digit > '9') return std::nullopt;
    code = code * 10 + (digit - '0');
  }
  return code;
}

class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds budget)
      : end_(std::chrono::steady_clock::now() + budget) {}
  [[nodiscard]] int remaining_ms() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end_ - std::chrono::steady_clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
  }

 private:
  std::chrono::steady_clock::time_point end_;
};

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_;
};

bool wait_for(int fd, short events, const Deadline& deadline) {
  pollfd entry{fd, events, 0};
  int ready = 0;
  do {
    ready = ::poll(&entry, 1, deadline.remaining_ms());
  } while (ready < 0 && errno == EINTR);
  return ready == 1 && (entry.revents & (events | POLLHUP)) != 0;
}

// Returns the status code, or a one-line reason why none was received in time.
core::Expected<int, std::string> fetch_status(const ProbeTarget& target, const Deadline& deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* resolved = nullptr;
  if (const int rc = ::getaddrinfo(target.host.c_str(), target.port.c_str(), &hints, &resolved);
      rc != 0) {
    return core::unexpected(std::string("cannot resolve ") + target.host + ": " + gai_strerror(rc));
  }
  Socket socket(::socket(resolved->ai_family, resolved->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                         resolved->ai_protocol));
  const int connect_rc =
      socket.fd() < 0 ? -1 : ::connect(socket.fd(), resolved->ai_addr, resolved->ai_addrlen);
  ::freeaddrinfo(resolved);
  if (socket.fd() < 0 || (connect_rc != 0 && errno != EINPROGRESS)) {
    return core::unexpected(std::string("cannot connect: ") + std::strerror(errno));
  }
  if (!wait_for(socket.fd(), POLLOUT, deadline))
    return core::unexpected(std::string("connect timed out"));
  int socket_error = 0;
  socklen_t length = sizeof(socket_error);
  ::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &socket_error, &length);
  if (socket_error != 0) {
    return core::unexpected(std::string("cannot connect: ") + std::strerror(socket_error));
  }

  const std::string request = "GET " + target.path + " HTTP/1.1\r\nHost: " + target.host + ":" +
                              target.port +
                              "\r\nUser-Agent: loadlab-probe\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_for(socket.fd(), POLLOUT, deadline))
      return core::unexpected(std::string("send timed out"));
    const ssize_t n =
        ::send(socket.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return core::unexpected(std::string("send failed: ") + std::strerror(errno));
    }
    if (n > 0) sent += static_cast<std::size_t>(n);
  }

  std::string received;
  while (received.find("\r\n") == std::string::npos) {
    if (received.size() >= kMaxStatusLineBytes)
      return core::unexpected(std::string("status line too long"));
    if (!wait_for(socket.fd(), POLLIN, deadline))
      return core::unexpected(std::string("no response in time"));
    char buffer[1024];
    const ssize_t n = ::recv(socket.fd(), buffer, sizeof(buffer), 0);
    if (n == 0) break;
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return core::unexpected(std::string("receive failed: ") + std::strerror(errno));
    }
    if (n > 0) received.append(buffer, static_cast<std::size_t>(n));
  }
  const auto code = parse_status_code(std::string_view(received).substr(0, received.find("\r\n")));
  if (!code) return core::unexpected(std::string("not an HTTP response"));
  return *code;
}

}  // namespace

void add_probe_command(CLI::App& app) {
  struct Options {
    std::string url;
    std::string timeout = "2s";
    bool quiet = false;
  };
  auto options = std::make_shared<Options>();
  auto* command = app.add_subcommand(
      "probe", "GET a URL once (health check); exit 0 on 2xx, 1 otherwise, 2 on bad input");
  command->add_option("url", options->url, "http://HOST:PORT/PATH")->required();
  command->add_option("--timeout", options->timeout, "whole-probe deadline (e.g. 2s, 500ms)")
      ->capture_default_str();
  command->add_flag("-q,--quiet", options->quiet, "print nothing on success");
  command->callback([options] {
    const auto target = parse_probe_url(options->url);
    if (!target)
      throw CommandFailed(2,
                          "probe: expected http://HOST[:PORT][/PATH], got '" + options->url + "'");
    const auto timeout = core::parse_duration(options->timeout);
    if (!timeout) throw CommandFailed(2, "probe: --timeout: " + timeout.error());
    const Deadline deadline(std::chrono::duration_cast<std::chrono::milliseconds>(*timeout));
    const auto status = fetch_status(*target, deadline);
    if (!status) throw CommandFailed(1, "probe: " + options->url + ": " + status.error());
    if (*status < 200 || *status > 299) {
      throw CommandFailed(1, "probe: " + options->url + ": HTTP " + std::to_string(*status));
    }
    if (!options->quiet) std::printf("probe: %s: HTTP %d\n", options->url.c_str(), *status);
  });
}

}  // namespace loadlab::cli
