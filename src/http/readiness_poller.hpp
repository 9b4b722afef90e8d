// Readiness of sockets through an edge-triggered epoll set of their own, nested in an
// io_context's reactor as one descriptor. The generator's workers watch their connected
// plain-http sockets with one; each I/O thread of the server watches its sessions with another.
//
// Why: Asio's reactor cannot wait for a socket's next input without a system call per wait.
// async_read_some first tries a recv() (which fails with EAGAIN when the peer has not answered
// yet: right after a request went out, or after a response, before the next request), and
// async_wait re-registers the socket with epoll_ctl every time. Either costs a system call per
// request: about a tenth of the generator's CPU, and 0.87 extra recv() per request on the server.
// A socket registered here once, for input and output with EPOLLET, needs no call until its
// next edge; its owner remembers an edge it could not use yet. Only sockets that left Asio's
// reactor (tcp::socket::release) are watched here, so no edge is reported twice.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace loadlab::http {

// The error of a failed non-blocking socket call on a watched descriptor, from errno: EAGAIN and
// EWOULDBLOCK become asio::error::would_block (wait for the next edge), the rest system errors.
[[nodiscard]] boost::system::error_code socket_call_error(int error_number) noexcept;

// True when a socket call would have blocked: Asio's would_block and try_again (EWOULDBLOCK and
// EAGAIN in the system category). Compares values, skipping error_code's generic equivalence
// calls: it runs once or twice a request.
[[nodiscard]] inline bool would_block(const boost::system::error_code& error) noexcept {
  return (error.value() == EWOULDBLOCK || error.value() == EAGAIN) &&
         error.category() == boost::system::system_category();
}

// One recv() on a non-blocking descriptor (retried after EINTR): the bytes read, or 0 with
// asio::error::eof when the peer closed, would_block, or another system error.
std::size_t receive_some(int fd, void* data, std::size_t size,
                         boost::system::error_code& error) noexcept;

class ReadinessPoller {
 public:
  // Receives the epoll events (EPOLLIN, EPOLLOUT, EPOLLERR, ...) of the socket it watches.
  class Watcher {
   public:
    virtual void on_ready(std::uint32_t events) = 0;

   protected:
    ~Watcher() = default;
  };

  // Throws boost::system::system_error when no epoll set can be created (start-up only).
  explicit ReadinessPoller(boost::asio::io_context& io);
  ReadinessPoller(const ReadinessPoller&) = delete;
  ReadinessPoller& operator=(const ReadinessPoller&) = delete;

  // Watches a non-blocking socket until it is closed (closing removes it from the set). The
  // watcher must outlive the registration and ignore events that arrive after it closed the fd:
  // events of one batch are read before any of them is delivered.
  [[nodiscard]] boost::system::error_code watch(int fd, Watcher* watcher);
  // Stops waiting so the io_context can run dry; nothing is delivered afterwards.
  void stop();

 private:
  void arm();
  void deliver_ready();

  static constexpr int max_rounds_per_wake = 8;

  boost::asio::posix::stream_descriptor epoll_;
  bool waiting_ = false;
  bool stopped_ = false;
  std::array<epoll_event, 128> batch_{};
};

}  // namespace loadlab::http
