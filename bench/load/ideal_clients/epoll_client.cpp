// An ideal epoll HTTP/1.1 client for the generator benchmark: per connection, send a request,
// wait for the answer, send the next. No parsing beyond finding the head's end, no timing, no
// recording: the floor a client using the sockets API can reach (bench/load/ideal_clients.sh).
// Assumes small answers that arrive in one read, as nginx's in the benchmark.
#include <fcntl.h>
#include <sys/epoll.h>

#include <array>
#include <chrono>
#include <cstring>

#include "common.hpp"

int main(int argc, char** argv) {
  const ideal::Options options = ideal::parse(argc, argv);
  const std::string request = ideal::request(options.port);
  const std::vector<int> fds = ideal::connect_all(options);
  const int set = ::epoll_create1(0);
  for (std::size_t i = 0; i < fds.size(); ++i) {
    ::fcntl(fds[i], F_SETFL, ::fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN | EPOLLET;
    event.data.u64 = i;
    ::epoll_ctl(set, EPOLL_CTL_ADD, fds[i], &event);
    ::send(fds[i], request.data(), request.size(), MSG_NOSIGNAL);
  }
  long requests = 0;
  long waits = 0;
  char buffer[4096];
  std::array<epoll_event, 128> events{};
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(options.seconds);
  while ((waits & 255) != 0 || std::chrono::steady_clock::now() < end) {
    const int count = ::epoll_wait(set, events.data(), static_cast<int>(events.size()), -1);
    ++waits;
    for (int k = 0; k < count; ++k) {
      const int fd = fds[events[static_cast<std::size_t>(k)].data.u64];
      const ssize_t received = ::recv(fd, buffer, sizeof buffer, 0);
      if (received <= 0) continue;
      if (::memmem(buffer, static_cast<std::size_t>(received), "\r\n\r\n", 4) == nullptr) continue;
      ++requests;
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    }
  }
  std::printf("requests %ld epoll_waits %ld\n", requests, waits);
}
