// Shared by the two ideal clients (see ideal_clients.sh): arguments and connecting.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace ideal {

struct Options {
  int port = 0;
  int seconds = 0;
  int connections = 50;
};

// usage: CLIENT PORT SECONDS [CONNECTIONS]; exits with a message on bad arguments.
inline Options parse(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PORT SECONDS [CONNECTIONS]\n", argv[0]);
    std::exit(2);
  }
  Options options{std::atoi(argv[1]), std::atoi(argv[2]), argc > 3 ? std::atoi(argv[3]) : 50};
  if (options.port <= 0 || options.port > 65535 || options.seconds <= 0 ||
      options.connections <= 0 || options.connections > 1000) {
    std::fprintf(stderr, "bad arguments\n");
    std::exit(2);
  }
  return options;
}

// The request wrk sends for `wrk URL`, give or take the User-Agent.
inline std::string request(int port) {
  return "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nUser-Agent: ideal\r\n\r\n";
}

// Blocking connects to 127.0.0.1:port with TCP_NODELAY; exits on failure.
inline std::vector<int> connect_all(const Options& options) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(options.port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<int> fds;
  for (int i = 0; i < options.connections; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      std::perror("connect");
      std::exit(1);
    }
    fds.push_back(fd);
  }
  return fds;
}

}  // namespace ideal
