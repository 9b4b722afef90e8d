// The sockets of one I/O thread (a server shard, a generator worker), watched outside Asio's
// reactor by a set of their own that is nested in the io_context's reactor as one descriptor.
// Two backends:
//
// - epoll: an edge-triggered epoll set. A socket is registered once, for input and output, and
//   needs no call until its next edge; its owner reads with recv() once an edge said input came.
//   Asio's reactor cannot do that: async_read_some first tries a recv() (which fails with EAGAIN
//   right after a request went out, or after a response), and async_wait re-registers the socket
//   with epoll_ctl every time; either costs a system call per request.
// - io_uring: the input itself arrives through a ring. An owner that wants input arms a recv()
//   whose buffer the kernel picks from the ring's provided buffers when data arrives (an idle
//   socket holds no buffer); the completion is the owner's "input arrived", and reading it is a
//   copy. All recvs armed and completed in one wake-up cost one io_uring_enter, where epoll needs a
//   recv() each: the system calls per request fall from about 2.5 to about 1.5 (the send stays a
//   synchronous call). A socket that must wait to write arms a one-shot poll for output.
//
// Owners see one interface, Socket: receive() to read what is there, want_input() and
// want_output() before waiting (no-ops with epoll, whose edges come unasked), and on_ready() when
// input or writability came.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

enum class PollerBackend : std::uint8_t { epoll, io_uring };
// "epoll" or "io_uring".
[[nodiscard]] std::string_view to_string(PollerBackend backend) noexcept;
// The backend a `--io-backend` value asks for: "epoll", "io_uring", or "auto" (io_uring when this
// process may create a ring, else epoll); nullopt for anything else.
[[nodiscard]] std::optional<PollerBackend> choose_poller_backend(std::string_view name);
// True when the kernel lets this process create a ring with the features the io_uring backend
// needs (Linux 6.0 or later; containers often forbid io_uring_setup).
[[nodiscard]] bool io_uring_available() noexcept;

class ReadinessPoller {
 public:
  // Receives EPOLLIN when input (or the end of the stream, or an error) can be read, EPOLLOUT
  // when the socket can be written, possibly with EPOLLRDHUP, EPOLLHUP or EPOLLERR.
  class Watcher {
   public:
    virtual void on_ready(std::uint32_t events) = 0;

   protected:
    ~Watcher() = default;
  };

  // A watched socket, owned by its connection. Closing it (or destroying it) leaves the set;
  // an io_uring operation still in flight is cancelled and its completion ignored.
  class Socket {
   public:
    Socket() = default;
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() { close(); }

    [[nodiscard]] int fd() const noexcept { return fd_; }
    [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
    // True while a read may find something: read before waiting for more.
    [[nodiscard]] bool input_pending() const noexcept;
    // One non-blocking read into data: a recv() once an edge said input came (epoll), or a copy
    // of what the ring delivered (io_uring). would_block when nothing is there; asio::error::eof
    // once the peer closed and everything before was read.
    std::size_t receive(void* data, std::size_t size, boost::system::error_code& error) noexcept;
    // Before waiting for on_ready: io_uring arms a recv (or a poll for output) unless one is in
    // flight; epoll reports edges unasked.
    void want_input() noexcept;
    void want_output() noexcept;
    // io_uring only: sends all of outgoing() and then waits for input, in one submission with
    // no system call of its own; outgoing() must not change until on_ready. A failed send is
    // reported as input (EPOLLIN | EPOLLERR) with output_error() set. Returns false, sending
    // nothing, with epoll (the caller sends itself) or once the input ended.
    [[nodiscard]] bool send_outgoing_then_want_input() noexcept;
    [[nodiscard]] std::string& outgoing() noexcept { return outgoing_; }
    // Ends the stream both ways (shutdown), once a send in flight has gone out: a waiting owner
    // then reads the end of the stream.
    void shut_down() noexcept;
    [[nodiscard]] const boost::system::error_code& output_error() const noexcept {
      return output_error_;
    }
    // Closes the descriptor. A RST instead of a FIN is the caller's SO_LINGER, set before.
    void close() noexcept;

   private:
    friend class ReadinessPoller;
    static constexpr std::uint32_t no_slot = ~std::uint32_t{0};

    ReadinessPoller* poller_ = nullptr;
    Watcher* watcher_ = nullptr;
    int fd_ = -1;
    std::uint32_t slot_ = no_slot;  // io_uring: its in-flight operations
    bool edge_pending_ = false;     // epoll: input came since the last short read
    bool peer_closed_ = false;      // epoll: an edge said the peer closed (no edge follows)
    // io_uring: the ring buffer being handed to the watcher, input kept past it (when the
    // watcher did not take all of it), and the end of the stream or an error after them.
    const char* delivered_ = nullptr;
    std::size_t delivered_size_ = 0;
    std::string kept_;
    std::size_t kept_taken_ = 0;
    boost::system::error_code input_end_;
    boost::system::error_code output_error_;
    std::string outgoing_;
    bool shut_down_after_send_ = false;
  };

  // Throws boost::system::system_error when the set or the ring cannot be created (start-up
  // only); io_uring_available() says beforehand whether the io_uring backend can be.
  ReadinessPoller(boost::asio::io_context& io, PollerBackend backend);
  ~ReadinessPoller();
  ReadinessPoller(const ReadinessPoller&) = delete;
  ReadinessPoller& operator=(const ReadinessPoller&) = delete;

  [[nodiscard]] PollerBackend backend() const noexcept { return backend_; }
  // Watches a connected non-blocking socket through `socket` until it is closed; the watcher
  // must outlive the watch. On failure the descriptor is closed and the error returned.
  [[nodiscard]] boost::system::error_code watch(Socket& socket, int fd, Watcher* watcher);
  // Stops waiting so the io_context can run dry; nothing is delivered afterwards.
  void stop();

 private:
  class Ring;

  void arm();
  void deliver_ready();
  void deliver_epoll_batch(int count);

  static constexpr int max_rounds_per_wake = 8;

  PollerBackend backend_;
  boost::asio::io_context& io_;
  std::unique_ptr<Ring> ring_;                      // io_uring only
  boost::asio::posix::stream_descriptor waitable_;  // the epoll set's or the ring's descriptor
  bool waiting_ = false;
  bool stopped_ = false;
  std::array<epoll_event, 128> batch_{};
};

}  // namespace loadlab::http
