// Watched sockets through a nested epoll set or an io_uring ring (see readiness_poller.hpp).
#include "http/readiness_poller.hpp"

#include <liburing.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

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

// Task work (the kernel's side of a completion) runs when the thread next returns from any system
// call, instead of interrupting it with an IPI; the flag in the submission ring tells whether
// some is waiting. The ring's descriptor still becomes readable for Asio's reactor when a
// completion is posted while the thread sleeps there.
constexpr unsigned ring_flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
constexpr unsigned ring_entries = 1024;
// Room for a completion from every connection of a 10,000-connection generator worker at once;
// beyond it the kernel keeps completions on an overflow list until the next io_uring_enter.
constexpr unsigned completion_entries = 16 * 1024;
// Provided receive buffers, taken in ring order: 128 x 8 KiB = 1 MiB per I/O thread. A request
// or response larger than a buffer arrives in several completions.
constexpr unsigned receive_buffer_count = 128;
constexpr std::size_t receive_buffer_bytes = 8 * 1024;
constexpr int receive_buffer_group = 0;
// A socket's outgoing bytes keep their allocation between requests up to this size.
constexpr std::size_t max_kept_outgoing_bytes = 4 * 1024;

// A completion's user data: the slot in the high half, then a generation (so a completion for a
// slot since reused is recognised) and the operation in the two low bits.
enum Operation : std::uint64_t {
  ignored_operation = 0,
  receive_operation = 1,
  poll_operation = 2,
  send_operation = 3,
};
constexpr std::uint64_t generation_mask = (std::uint64_t{1} << 30) - 1;

std::size_t buffer_ring_bytes(unsigned entries) {
  return entries * sizeof(io_uring_buf);
}

// Maps a provided-buffer ring of `entries` and registers it with `ring` as the receive group:
// the mapping (to munmap after the ring is gone), or nullptr with the reason in `error`.
io_uring_buf_ring* register_buffer_ring(io_uring& ring, unsigned entries, error_code& error) {
  const std::size_t bytes = buffer_ring_bytes(entries);
  void* mapped = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mapped == MAP_FAILED) {
    error = error_code(errno, boost::system::system_category());
    return nullptr;
  }
  io_uring_buf_reg registration{};
  registration.ring_addr = reinterpret_cast<std::uint64_t>(mapped);
  registration.ring_entries = entries;
  registration.bgid = receive_buffer_group;
  if (const int result = io_uring_register_buf_ring(&ring, &registration, 0); result < 0) {
    ::munmap(mapped, bytes);
    error = error_code(-result, boost::system::system_category());
    return nullptr;
  }
  return static_cast<io_uring_buf_ring*>(mapped);
}

std::uint64_t user_data_for(std::uint32_t slot, std::uint32_t generation, Operation operation) {
  return (std::uint64_t{slot} << 32) | ((generation & generation_mask) << 2) | operation;
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

std::string_view to_string(PollerBackend backend) noexcept {
  return backend == PollerBackend::io_uring ? "io_uring" : "epoll";
}

std::optional<PollerBackend> choose_poller_backend(std::string_view name) {
  if (name == "epoll") return PollerBackend::epoll;
  if (name == "io_uring") return PollerBackend::io_uring;
  if (name == "auto") {
    return io_uring_available() ? PollerBackend::io_uring : PollerBackend::epoll;
  }
  return std::nullopt;
}

// The io_uring backend's ring, receive buffers and the in-flight operations of its sockets.
class ReadinessPoller::Ring {
 public:
  // Throws boost::system::system_error when the kernel refuses the ring or its buffers.
  explicit Ring(ReadinessPoller& owner) : owner_(owner) {
    io_uring_params params{};
    params.flags = ring_flags | IORING_SETUP_CQSIZE;
    params.cq_entries = completion_entries;
    if (const int result = io_uring_queue_init_params(ring_entries, &ring_, &params); result < 0) {
      throw boost::system::system_error(error_code(-result, boost::system::system_category()),
                                        "io_uring_setup");
    }
    error_code error;
    buffer_ring_ = register_buffer_ring(ring_, receive_buffer_count, error);
    if (buffer_ring_ == nullptr) {
      io_uring_queue_exit(&ring_);
      throw boost::system::system_error(error, "receive buffer ring");
    }
    buffer_ring_bytes_ = buffer_ring_bytes(receive_buffer_count);
    buffers_ = std::make_unique<char[]>(receive_buffer_count * receive_buffer_bytes);
    io_uring_buf_ring_init(buffer_ring_);
    for (unsigned id = 0; id < receive_buffer_count; ++id) {
      io_uring_buf_ring_add(buffer_ring_, buffer(id), receive_buffer_bytes,
                            static_cast<unsigned short>(id), buffer_mask(), static_cast<int>(id));
    }
    io_uring_buf_ring_advance(buffer_ring_, static_cast<int>(receive_buffer_count));
  }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() {
    // Sockets that outlive the poller (destroyed later with their io_context's handlers) only
    // close their descriptors from now on.
    for (Slot& slot : slots_) {
      if (slot.owner != nullptr) {
        slot.owner->poller_ = nullptr;
        slot.owner->slot_ = Socket::no_slot;
      }
    }
    io_uring_queue_exit(&ring_);  // cancels what is still in flight
    ::munmap(buffer_ring_, buffer_ring_bytes_);
  }

  [[nodiscard]] int fd() const noexcept { return ring_.ring_fd; }

  std::uint32_t open_slot(Socket* socket) {
    std::uint32_t index = 0;
    if (free_slots_.empty()) {
      index = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    } else {
      index = free_slots_.back();
      free_slots_.pop_back();
    }
    slots_[index].owner = socket;
    slots_[index].allocated = true;
    return index;
  }

  // The socket is gone: its operations in flight are cancelled; the slot is reused once their
  // completions came back.
  void close_slot(std::uint32_t index) {
    Slot& slot = slots_[index];
    // The kernel may still read a send's bytes until its cancellation completed.
    if (slot.sending) slot.orphaned_bytes = std::move(slot.owner->outgoing_);
    slot.owner = nullptr;
    if (slot.receiving) cancel(user_data_for(index, slot.generation, receive_operation));
    if (slot.polling) cancel(user_data_for(index, slot.generation, poll_operation));
    if (slot.sending) cancel(user_data_for(index, slot.generation, send_operation));
    release_if_unused(index);
  }

  void want_input(std::uint32_t index, int fd) {
    if (slots_[index].receiving) return;
    queue_receive(index, fd);
    submit_soon();
  }

  // A send linked to the receive after it: the receive starts once everything was sent, and a
  // failed send cancels it.
  void send_then_want_input(std::uint32_t index, int fd, std::string_view bytes) {
    if (io_uring_sq_space_left(&ring_) < 2) io_uring_submit(&ring_);  // the pair goes together
    Slot& slot = slots_[index];
    io_uring_sqe* send = next_sqe();
    io_uring_prep_send(send, fd, bytes.data(), bytes.size(), MSG_WAITALL | MSG_NOSIGNAL);
    send->flags |= IOSQE_IO_LINK;
    io_uring_sqe_set_data64(send, user_data_for(index, slot.generation, send_operation));
    slot.sending = true;
    slot.send_size = bytes.size();
    queue_receive(index, fd);
    submit_soon();
  }

  [[nodiscard]] bool sending(std::uint32_t index) const noexcept { return slots_[index].sending; }

  void want_output(std::uint32_t index, int fd) {
    Slot& slot = slots_[index];
    if (slot.polling) return;
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_poll_add(sqe, fd, POLLOUT);
    io_uring_sqe_set_data64(sqe, user_data_for(index, slot.generation, poll_operation));
    slot.polling = true;
    submit_soon();
  }

  // Up to max_rounds_per_wake rounds of: submit what was queued and collect completions (one
  // io_uring_enter), then hand them out. A round is skipped, and the wake-up ends, when nothing
  // is queued, nothing completed and no task work waits: no system call to find out.
  void deliver(const bool& stopped) {
    delivering_ = true;
    for (int round = 0; round < max_rounds_per_wake && !stopped; ++round) {
      if (io_uring_sq_ready(&ring_) > 0 || task_work_waiting()) {
        io_uring_submit_and_get_events(&ring_);
      }
      if (handle_completions(stopped) == 0) break;
    }
    if (!stopped && io_uring_sq_ready(&ring_) > 0) io_uring_submit(&ring_);
    delivering_ = false;
  }

 private:
  struct Slot {
    Socket* owner = nullptr;
    std::uint32_t generation = 0;
    bool allocated = false;  // between open_slot and its release (released once)
    bool receiving = false;
    bool polling = false;
    bool sending = false;        // a send linked to a receive
    std::size_t send_size = 0;   // its bytes: a shorter completion failed
    std::string orphaned_bytes;  // a closed socket's bytes while its send is in flight
  };

  [[nodiscard]] char* buffer(unsigned id) const noexcept {
    return buffers_.get() + std::size_t{id} * receive_buffer_bytes;
  }
  [[nodiscard]] static int buffer_mask() noexcept {
    return io_uring_buf_ring_mask(receive_buffer_count);
  }
  // A receive whose buffer the kernel takes from the ring when data arrives.
  void queue_receive(std::uint32_t index, int fd) {
    Slot& slot = slots_[index];
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_recv(sqe, fd, nullptr, receive_buffer_bytes, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = receive_buffer_group;
    io_uring_sqe_set_data64(sqe, user_data_for(index, slot.generation, receive_operation));
    slot.receiving = true;
  }

  void recycle(unsigned id) {
    io_uring_buf_ring_add(buffer_ring_, buffer(id), receive_buffer_bytes,
                          static_cast<unsigned short>(id), buffer_mask(), 0);
    io_uring_buf_ring_advance(buffer_ring_, 1);
  }

  [[nodiscard]] bool task_work_waiting() const noexcept {
    // Or completions that did not fit the completion queue.
    return (IO_URING_READ_ONCE(*ring_.sq.kflags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) !=
           0;
  }

  io_uring_sqe* next_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (sqe == nullptr) {  // the submission queue is full: hand it to the kernel first
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  void cancel(std::uint64_t target) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_cancel64(sqe, target, 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, ignored_operation);
    submit_soon();
  }

  // Outside a wake-up (a handler finished on a timer or a worker thread and its connection now
  // waits for input), queued operations are submitted by one posted call for all of them.
  void submit_soon() {
    if (delivering_ || submit_posted_) return;
    submit_posted_ = true;
    asio::post(owner_.io_, [this] {
      submit_posted_ = false;
      if (!owner_.stopped_ && io_uring_sq_ready(&ring_) > 0) io_uring_submit(&ring_);
    });
  }

  void release_if_unused(std::uint32_t index) {
    Slot& slot = slots_[index];
    if (!slot.allocated || slot.owner != nullptr || slot.receiving || slot.polling ||
        slot.sending) {
      return;
    }
    slot.allocated = false;
    ++slot.generation;
    free_slots_.push_back(index);
  }

  std::size_t handle_completions(const bool& stopped) {
    std::size_t handled = 0;
    io_uring_cqe* cqe = nullptr;
    while (!stopped && io_uring_peek_cqe(&ring_, &cqe) == 0) {
      const std::uint64_t data = io_uring_cqe_get_data64(cqe);
      const int result = cqe->res;
      const std::uint32_t flags = cqe->flags;
      io_uring_cqe_seen(&ring_, cqe);  // first: handlers may submit, which may reap
      ++handled;
      const auto operation = static_cast<Operation>(data & 3);
      if (operation == ignored_operation) continue;
      const auto index = static_cast<std::uint32_t>(data >> 32);
      const auto generation = static_cast<std::uint32_t>((data >> 2) & generation_mask);
      Slot& slot = slots_[index];
      const bool current = (slot.generation & generation_mask) == generation;
      if (operation == receive_operation) {
        if (current) slot.receiving = false;
        on_received(index, current, result, flags);
      } else if (operation == send_operation) {
        if (current) {
          slot.sending = false;
          std::string().swap(slot.orphaned_bytes);
        }
        if (current && slot.owner != nullptr) on_sent(*slot.owner, result, slot.send_size);
      } else {
        if (current) slot.polling = false;
        if (current && slot.owner != nullptr) {
          const std::uint32_t events =
              result < 0 ? std::uint32_t{EPOLLOUT | EPOLLERR} : static_cast<std::uint32_t>(result);
          slot.owner->watcher_->on_ready(events);
        }
      }
      if (current) release_if_unused(index);
    }
    return handled;
  }

  // After a failed send the receive linked after it is cancelled: the owner hears of the failure
  // as input instead.
  static void on_sent(Socket& socket, int result, std::size_t expected) {
    if (socket.outgoing_.capacity() > max_kept_outgoing_bytes) {
      std::string().swap(socket.outgoing_);
    } else {
      socket.outgoing_.clear();
    }
    if (std::exchange(socket.shut_down_after_send_, false)) ::shutdown(socket.fd_, SHUT_RDWR);
    if (result == -ECANCELED || (result >= 0 && static_cast<std::size_t>(result) == expected)) {
      return;
    }
    // A short send (the socket was shut down, or the peer went away, while it waited for room)
    // also cancels the linked receive.
    socket.output_error_ = result < 0 ? error_code(-result, boost::system::system_category())
                                      : error_code(asio::error::broken_pipe);
    socket.input_end_ = socket.output_error_;
    socket.watcher_->on_ready(EPOLLIN | EPOLLERR);
  }

  void on_received(std::uint32_t index, bool current, int result, std::uint32_t flags) {
    const bool has_buffer = (flags & IORING_CQE_F_BUFFER) != 0;
    const unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
    Socket* socket = current ? slots_[index].owner : nullptr;
    if (socket == nullptr || result == -ECANCELED) {
      if (has_buffer) recycle(id);
      return;
    }
    if (result == -ENOBUFS) {  // every buffer was taken in this batch: ask again
      want_input(index, socket->fd_);
      return;
    }
    if (result > 0 && has_buffer) {
      socket->delivered_ = buffer(id);
      socket->delivered_size_ = static_cast<std::size_t>(result);
    } else if (result == 0) {
      socket->input_end_ = asio::error::eof;
    } else if (result < 0) {
      socket->input_end_ = error_code(-result, boost::system::system_category());
    }
    const std::uint32_t generation = slots_[index].generation;
    socket->watcher_->on_ready(result > 0 ? EPOLLIN : EPOLLIN | EPOLLRDHUP);
    // The watcher may have closed (or destroyed) the socket; otherwise what it did not read is
    // kept, since the buffer goes back to the ring.
    const Slot& slot = slots_[index];
    if (slot.owner == socket && slot.generation == generation && socket->delivered_size_ > 0) {
      if (socket->kept_taken_ > 0) {
        socket->kept_.erase(0, socket->kept_taken_);
        socket->kept_taken_ = 0;
      }
      socket->kept_.append(socket->delivered_, socket->delivered_size_);
    }
    if (slot.owner == socket && slot.generation == generation) {
      socket->delivered_ = nullptr;
      socket->delivered_size_ = 0;
    }
    if (has_buffer) recycle(id);
  }

  ReadinessPoller& owner_;
  io_uring ring_{};
  io_uring_buf_ring* buffer_ring_ = nullptr;
  std::size_t buffer_ring_bytes_ = 0;
  std::unique_ptr<char[]> buffers_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  bool delivering_ = false;
  bool submit_posted_ = false;
};

bool io_uring_available() noexcept {
  io_uring ring{};
  io_uring_params params{};
  params.flags = ring_flags;
  if (io_uring_queue_init_params(8, &ring, &params) < 0) return false;
  // Provided buffer rings (Linux 5.19) and the features used with them.
  error_code error;
  io_uring_buf_ring* buffers = register_buffer_ring(ring, 8, error);
  const bool usable = buffers != nullptr && (params.features & IORING_FEAT_CQE_SKIP) != 0;
  io_uring_queue_exit(&ring);
  if (buffers != nullptr) ::munmap(buffers, buffer_ring_bytes(8));
  return usable;
}

bool ReadinessPoller::Socket::input_pending() const noexcept {
  if (poller_ == nullptr || poller_->backend_ == PollerBackend::epoll) return edge_pending_;
  return kept_taken_ < kept_.size() || delivered_size_ > 0 || input_end_;
}

std::size_t ReadinessPoller::Socket::receive(void* data, std::size_t size,
                                             error_code& error) noexcept {
  if (fd_ < 0) {
    error = asio::error::bad_descriptor;
    return 0;
  }
  if (poller_ == nullptr || poller_->backend_ == PollerBackend::epoll) {
    if (!edge_pending_) {
      error = asio::error::would_block;
      return 0;
    }
    const std::size_t received = receive_some(fd_, data, size, error);
    // A full buffer may have left more behind; a short read emptied the socket, and new input
    // will be a new edge. Once the peer closed there is no further edge, so reads go on until
    // they return the end of the stream (and keep returning it).
    if (!error) edge_pending_ = received == size || peer_closed_;
    if (would_block(error)) edge_pending_ = false;
    return received;
  }
  auto* out = static_cast<char*>(data);
  if (kept_taken_ < kept_.size()) {
    const std::size_t n = std::min(size, kept_.size() - kept_taken_);
    std::memcpy(out, kept_.data() + kept_taken_, n);
    kept_taken_ += n;
    if (kept_taken_ == kept_.size()) {
      kept_.clear();
      kept_taken_ = 0;
    }
    error.clear();
    return n;
  }
  if (delivered_size_ > 0) {
    const std::size_t n = std::min(size, delivered_size_);
    std::memcpy(out, delivered_, n);
    delivered_ += n;
    delivered_size_ -= n;
    error.clear();
    return n;
  }
  error = input_end_ ? input_end_ : error_code(asio::error::would_block);
  return 0;
}

void ReadinessPoller::Socket::want_input() noexcept {
  if (fd_ < 0 || poller_ == nullptr || slot_ == no_slot || input_end_) return;
  poller_->ring_->want_input(slot_, fd_);
}

bool ReadinessPoller::Socket::send_outgoing_then_want_input() noexcept {
  if (fd_ < 0 || poller_ == nullptr || slot_ == no_slot || input_end_) return false;
  // Kept out of the string object itself (no short-string storage): if the socket closes while
  // the send is in flight, the slot takes the bytes over and they must not move.
  if (outgoing_.capacity() < 32) outgoing_.reserve(32);
  poller_->ring_->send_then_want_input(slot_, fd_, outgoing_);
  return true;
}

void ReadinessPoller::Socket::shut_down() noexcept {
  if (fd_ < 0) return;
  if (poller_ != nullptr && slot_ != no_slot && poller_->ring_->sending(slot_)) {
    shut_down_after_send_ = true;
    return;
  }
  ::shutdown(fd_, SHUT_RDWR);
}

void ReadinessPoller::Socket::want_output() noexcept {
  if (fd_ < 0 || poller_ == nullptr || slot_ == no_slot) return;
  poller_->ring_->want_output(slot_, fd_);
}

void ReadinessPoller::Socket::close() noexcept {
  if (fd_ < 0) return;
  if (poller_ != nullptr && slot_ != no_slot) poller_->ring_->close_slot(slot_);
  ::close(fd_);  // with epoll, also leaves the set
  fd_ = -1;
  slot_ = no_slot;
  watcher_ = nullptr;
  edge_pending_ = false;
  peer_closed_ = false;
  delivered_ = nullptr;
  delivered_size_ = 0;
  kept_.clear();
  kept_.shrink_to_fit();
  kept_taken_ = 0;
  input_end_.clear();
  output_error_.clear();
  std::string().swap(outgoing_);
  shut_down_after_send_ = false;
}

ReadinessPoller::ReadinessPoller(asio::io_context& io, PollerBackend backend)
    : backend_(backend),
      io_(io),
      ring_(backend == PollerBackend::io_uring ? std::make_unique<Ring>(*this) : nullptr),
      waitable_(io, ring_ ? ring_->fd() : create_epoll_set()) {}

ReadinessPoller::~ReadinessPoller() {
  if (ring_) {
    // The ring's descriptor is the ring's to close.
    error_code ignored;
    waitable_.cancel(ignored);
    (void)waitable_.release();
  }
}

error_code ReadinessPoller::watch(Socket& socket, int fd, Watcher* watcher) {
  socket.close();
  if (fd < 0) return asio::error::bad_descriptor;
  socket.fd_ = fd;
  socket.watcher_ = watcher;
  socket.poller_ = this;
  if (ring_) {
    socket.slot_ = ring_->open_slot(&socket);
  } else {
    epoll_event registration{};
    registration.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    registration.data.ptr = &socket;
    if (::epoll_ctl(waitable_.native_handle(), EPOLL_CTL_ADD, fd, &registration) != 0) {
      const error_code error(errno, boost::system::system_category());
      socket.close();
      return error;
    }
  }
  if (!waiting_ && !stopped_) arm();
  return {};
}

void ReadinessPoller::stop() {
  stopped_ = true;
  error_code ignored;
  waitable_.cancel(ignored);
}

void ReadinessPoller::arm() {
  waiting_ = true;
  // The set's (or ring's) descriptor becomes readable while an event (a completion) is queued.
  waitable_.async_wait(asio::posix::stream_descriptor::wait_read, [this](const error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // stop(), or the poller is being destroyed
    waiting_ = false;
    if (stopped_) return;
    deliver_ready();
    if (!stopped_) arm();
  });
}

void ReadinessPoller::deliver_ready() {
  if (ring_) {
    ring_->deliver(stopped_);
    return;
  }
  // Events that arrived while a batch was being handled are collected in the same wake-up, for up
  // to max_rounds_per_wake batches: going back to Asio's reactor costs an epoll_ctl (its wait
  // re-registers the set) and an epoll_wait of its own, collecting here one epoll_wait(0). Under
  // load, with a batch every few requests, that is most of the server's and the generator's
  // system calls beside recv and send. The bound keeps the io_context's timers and other
  // descriptors from waiting for long.
  for (int round = 0; round < max_rounds_per_wake && !stopped_;) {
    const int count =
        ::epoll_wait(waitable_.native_handle(), batch_.data(), static_cast<int>(batch_.size()), 0);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) return;
    deliver_epoll_batch(count);
    ++round;
  }
}

void ReadinessPoller::deliver_epoll_batch(int count) {
  for (int i = 0; i < count; ++i) {
    const epoll_event& event = batch_[static_cast<std::size_t>(i)];
    auto* socket = static_cast<Socket*>(event.data.ptr);
    if (socket->fd_ < 0) continue;  // closed earlier in this batch
    if ((event.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
      socket->edge_pending_ = true;
    }
    if ((event.events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) socket->peer_closed_ = true;
    socket->watcher_->on_ready(event.events);
  }
}

}  // namespace loadlab::http
