// Nested epoll set for plain-http sockets (see readiness_poller.hpp).
#include "http/readiness_poller.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/system/system_error.hpp>
#include <cerrno>

namespace loadlab::http {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {
int create_epoll_set() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    throw boost::system::system_error(error_code(errno, boost::system::system_category()),
                                      "epoll_create1");
  }
  return fd;
}
}  // namespace

error_code socket_call_error(int error_number) noexcept {
  if (error_number == EAGAIN || error_number == EWOULDBLOCK) return asio::error::would_block;
  return {error_number, boost::system::system_category()};
}

std::size_t receive_some(int fd, void* data, std::size_t size, error_code& error) noexcept {
  for (;;) {
    const ssize_t received = ::recv(fd, data, size, 0);
    if (received > 0) {
      error.clear();
      return static_cast<std::size_t>(received);
    }
    if (received == 0) {
      error = asio::error::eof;
      return 0;
    }
    if (errno == EINTR) continue;
    error = socket_call_error(errno);
    return 0;
  }
}

ReadinessPoller::ReadinessPoller(asio::io_context& io) : epoll_(io, create_epoll_set()) {}

error_code ReadinessPoller::watch(int fd, Watcher* watcher) {
  epoll_event registration{};
  registration.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  registration.data.ptr = watcher;
  if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, fd, &registration) != 0) {
    return {errno, boost::system::system_category()};
  }
  if (!waiting_ && !stopped_) arm();
  return {};
}

void ReadinessPoller::stop() {
  stopped_ = true;
  error_code ignored;
  epoll_.cancel(ignored);
}

void ReadinessPoller::arm() {
  waiting_ = true;
  // The epoll set's own descriptor becomes readable while any watched socket has an event queued.
  epoll_.async_wait(asio::posix::stream_descriptor::wait_read, [this](const error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // stop(), or the poller is being destroyed
    waiting_ = false;
    if (stopped_) return;
    deliver_ready();
    if (!stopped_) arm();
  });
}

void ReadinessPoller::deliver_ready() {
  // Events that arrived while a batch was being handled are collected in the same wake-up, for up
  // to max_rounds_per_wake batches: going back to Asio's reactor costs an epoll_ctl (its wait
  // re-registers the set) and an epoll_wait of its own, collecting here one epoll_wait(0). Under
  // load, with a batch every few requests, that is most of the server's and the generator's
  // system calls beside recv and send. The bound keeps the io_context's timers and other
  // descriptors from waiting for long.
  for (int round = 0; round < max_rounds_per_wake && !stopped_;) {
    const int count =
        ::epoll_wait(epoll_.native_handle(), batch_.data(), static_cast<int>(batch_.size()), 0);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) return;
    for (int i = 0; i < count; ++i) {
      const epoll_event& event = batch_[static_cast<std::size_t>(i)];
      static_cast<Watcher*>(event.data.ptr)->on_ready(event.events);
    }
    ++round;
  }
}

}  // namespace loadlab::http
