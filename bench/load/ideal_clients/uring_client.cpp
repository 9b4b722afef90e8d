// An ideal io_uring HTTP/1.1 client for the generator benchmark: multishot receives into provided
// buffers, sends queued without completions on success, one io_uring_enter per wake-up that both
// submits and waits. No parsing beyond finding the head's end, no timing, no recording: the floor
// a client using io_uring can reach (bench/load/ideal_clients.sh). Assumes small answers that
// arrive in one completion, as nginx's in the benchmark.
//
// IDEAL_URING_RECEIVE chooses how answers are received, to measure what each costs:
//   multishot (default)  one receive per connection that stays armed;
//   single               a one-shot receive queued with every request, the send still silent;
//   linked               a send with a completion of its own, linked to a one-shot receive (the
//                        shape of loadlab's io_uring backend).
#include <liburing.h>
#include <sys/mman.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "common.hpp"

namespace {
constexpr unsigned kBuffers = 256;
constexpr unsigned kBufferBytes = 4096;
constexpr std::uint64_t kSendTag = 1;                     // user data: connection << 1 | tag
constexpr std::uint64_t kLinkedSend = ~std::uint64_t{0};  // a linked send's own completion

enum class Receive { multishot, single, linked };

Receive receive_mode() {
  const char* value = std::getenv("IDEAL_URING_RECEIVE");
  const std::string_view mode = value == nullptr ? "multishot" : value;
  if (mode == "multishot") return Receive::multishot;
  if (mode == "single") return Receive::single;
  if (mode == "linked") return Receive::linked;
  std::fprintf(stderr, "IDEAL_URING_RECEIVE must be multishot, single or linked\n");
  std::exit(2);
}
}  // namespace

int main(int argc, char** argv) {
  const ideal::Options options = ideal::parse(argc, argv);
  const Receive mode = receive_mode();
  const std::string request = ideal::request(options.port);
  const std::vector<int> fds = ideal::connect_all(options);

  io_uring ring{};
  io_uring_params params{};
  params.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  if (const int error = io_uring_queue_init_params(1024, &ring, &params); error < 0) {
    std::fprintf(stderr, "io_uring_setup: %s\n", std::strerror(-error));
    return 1;
  }
  // liburing 2.3 has no io_uring_setup_buf_ring: map and register the buffer ring by hand.
  void* mapped = ::mmap(nullptr, kBuffers * sizeof(io_uring_buf), PROT_READ | PROT_WRITE,
                        MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  io_uring_buf_reg registration{};
  registration.ring_addr = reinterpret_cast<std::uint64_t>(mapped);
  registration.ring_entries = kBuffers;
  registration.bgid = 0;
  if (mapped == MAP_FAILED || io_uring_register_buf_ring(&ring, &registration, 0) < 0) {
    std::fprintf(stderr, "cannot register the buffer ring\n");
    return 1;
  }
  auto* buffer_ring = static_cast<io_uring_buf_ring*>(mapped);
  io_uring_buf_ring_init(buffer_ring);
  std::vector<char> buffers(std::size_t{kBuffers} * kBufferBytes);
  const int mask = io_uring_buf_ring_mask(kBuffers);
  for (unsigned id = 0; id < kBuffers; ++id) {
    io_uring_buf_ring_add(buffer_ring, &buffers[std::size_t{id} * kBufferBytes], kBufferBytes,
                          static_cast<unsigned short>(id), mask, static_cast<int>(id));
  }
  io_uring_buf_ring_advance(buffer_ring, kBuffers);

  const auto next_sqe = [&] {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    while (sqe == nullptr) {
      io_uring_submit(&ring);
      sqe = io_uring_get_sqe(&ring);
    }
    return sqe;
  };
  const auto receive = [&](std::size_t i) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_recv_multishot(sqe, fds[i], nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    io_uring_sqe_set_data64(sqe, std::uint64_t{i} << 1);
  };
  const auto receive_once = [&](std::size_t i) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_recv(sqe, fds[i], nullptr, kBufferBytes, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    io_uring_sqe_set_data64(sqe, std::uint64_t{i} << 1);
  };
  const auto send = [&](std::size_t i) {
    if (mode == Receive::linked && io_uring_sq_space_left(&ring) < 2) io_uring_submit(&ring);
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_send(sqe, fds[i], request.data(), request.size(), MSG_NOSIGNAL);
    if (mode == Receive::linked) {
      sqe->flags |= IOSQE_IO_LINK;
      io_uring_sqe_set_data64(sqe, kLinkedSend);
      receive_once(i);
      return;
    }
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, (std::uint64_t{i} << 1) | kSendTag);
    if (mode == Receive::single) receive_once(i);
  };
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (mode == Receive::multishot) receive(i);
    send(i);
  }

  long requests = 0;
  long enters = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(options.seconds);
  while ((enters & 255) != 0 || std::chrono::steady_clock::now() < end) {
    io_uring_submit_and_wait(&ring, 1);
    ++enters;
    io_uring_cqe* cqe = nullptr;
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      const std::uint64_t data = cqe->user_data;
      if (data == kLinkedSend) {
        if (cqe->res < 0) {
          std::fprintf(stderr, "send failed: %s\n", std::strerror(-cqe->res));
          return 1;
        }
        continue;
      }
      const auto i = static_cast<std::size_t>(data >> 1);
      if ((data & kSendTag) != 0) {  // only failed sends complete
        std::fprintf(stderr, "send failed: %s\n", std::strerror(-cqe->res));
        return 1;
      }
      if (mode == Receive::multishot && (cqe->flags & IORING_CQE_F_MORE) == 0) {
        receive(i);  // the multishot ended: re-arm
      }
      const bool one_shot = mode != Receive::multishot;
      if (cqe->res <= 0 || (cqe->flags & IORING_CQE_F_BUFFER) == 0) {  // e.g. ENOBUFS
        if (one_shot && cqe->res == -ENOBUFS) receive_once(i);
        continue;
      }
      const unsigned id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
      char* buffer = &buffers[std::size_t{id} * kBufferBytes];
      const bool answered =
          ::memmem(buffer, static_cast<std::size_t>(cqe->res), "\r\n\r\n", 4) != nullptr;
      io_uring_buf_ring_add(buffer_ring, buffer, kBufferBytes, static_cast<unsigned short>(id),
                            mask, 0);
      io_uring_buf_ring_advance(buffer_ring, 1);
      if (!answered) {
        if (one_shot) receive_once(i);  // the rest of the head is still to come
        continue;
      }
      ++requests;
      send(i);
    }
    io_uring_cq_advance(&ring, seen);
  }
  std::printf("requests %ld io_uring_enters %ld\n", requests, enters);
}
