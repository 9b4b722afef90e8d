// The I/O threads' socket watcher, with both backends: input reaches the watcher once it asked
// for it, reads take exactly what arrived, a closed socket gets nothing (and its peer sees the
// close), and stop() lets the loop run dry. Unix socket pairs stand in for TCP.
#include "http/readiness_poller.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loopback.hpp"

namespace loadlab::http {
namespace {

struct SocketPair {
  SocketPair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds.data()), 0);
  }
  ~SocketPair() {
    for (const int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  // The watched end goes to a ReadinessPoller::Socket, which closes it.
  int give_away() { return std::exchange(fds[0], -1); }
  void send(const std::string& bytes) const {
    ASSERT_EQ(::send(fds[1], bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  std::array<int, 2> fds{-1, -1};
};

// Records events and, like the server's sessions, asks for input again after each delivery
// unless told to read nothing.
struct RecordingWatcher final : ReadinessPoller::Watcher {
  void on_ready(std::uint32_t events) override {
    seen.push_back(events);
    if (on_event) on_event();
  }
  [[nodiscard]] std::size_t inputs() const {
    std::size_t n = 0;
    for (const auto events : seen) n += (events & EPOLLIN) != 0 ? 1 : 0;
    return n;
  }
  std::vector<std::uint32_t> seen;
  std::function<void()> on_event;
};

std::string read_all(ReadinessPoller::Socket& socket, boost::system::error_code& error) {
  std::string out;
  std::array<char, 4096> buffer{};
  for (;;) {
    const std::size_t n = socket.receive(buffer.data(), buffer.size(), error);
    if (error) return out;
    out.append(buffer.data(), n);
  }
}

// Runs the loop until `done` holds (or about two seconds passed): completions and edges of
// socket pairs arrive within a round or two.
void run_until(boost::asio::io_context& io, const std::function<bool()>& done) {
  for (int i = 0; i < 200 && !done(); ++i) {
    io.restart();
    io.run_for(std::chrono::milliseconds{10});
  }
}

// Two watched socket pairs, each socket waiting for input.
struct TwoWatchedSockets {
  explicit TwoWatchedSockets(ReadinessPoller& poller) {
    EXPECT_FALSE(poller.watch(socket_a, first.give_away(), &a));
    EXPECT_FALSE(poller.watch(socket_b, second.give_away(), &b));
    socket_a.want_input();
    socket_b.want_input();
  }
  // Sends one text to each and checks that each socket reads its own.
  void both_receive(boost::asio::io_context& io, const std::string& for_a,
                    const std::string& for_b) {
    first.send(for_a);
    second.send(for_b);
    run_until(io, [&] { return a.inputs() >= 1 && b.inputs() >= 1; });
    boost::system::error_code error;
    EXPECT_EQ(read_all(socket_a, error), for_a);
    EXPECT_EQ(read_all(socket_b, error), for_b);
  }

  SocketPair first;
  SocketPair second;
  RecordingWatcher a;
  RecordingWatcher b;
  ReadinessPoller::Socket socket_a;
  ReadinessPoller::Socket socket_b;
};

// A pattern whose every byte says where it belongs, for checking what a peer received.
std::string numbered_bytes(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>('a' + i % 23);
  return bytes;
}

class ReadinessPollerTest : public ::testing::TestWithParam<PollerBackend> {
 protected:
  void SetUp() override {
    if (GetParam() == PollerBackend::io_uring && !io_uring_available()) {
      GTEST_SKIP() << "io_uring is not allowed here; the epoll cases still run";
    }
  }
};

// One socket pair whose first end is watched (by `socket`, reporting to `watcher`).
class WatchedSocketTest : public ReadinessPollerTest {
 protected:
  void SetUp() override {
    ReadinessPollerTest::SetUp();
    if (IsSkipped()) return;
    poller.emplace(io, GetParam());
    ASSERT_FALSE(poller->watch(socket, pair.give_away(), &watcher));
  }

  // Starts a send of 1 MB, more than the pair takes at once, and lets the loop submit it: the
  // kernel then still holds part of it. Returns the bytes sent.
  std::string start_a_send_larger_than_the_socket_takes() {
    std::string bytes = numbered_bytes(1'000'000);
    socket.outgoing() = bytes;
    EXPECT_TRUE(socket.send_outgoing_then_want_input());
    io.restart();
    io.run_for(std::chrono::milliseconds{10});
    return bytes;
  }

  // Appends to `received` what the peer end can read now.
  void receive_at_the_peer(std::string& received) {
    std::array<char, 65536> buffer{};
    for (;;) {
      const ssize_t n = ::recv(pair.fds[1], buffer.data(), buffer.size(), 0);
      if (n <= 0) return;
      received.append(buffer.data(), static_cast<std::size_t>(n));
    }
  }

  boost::asio::io_context io;
  std::optional<ReadinessPoller> poller;
  SocketPair pair;
  RecordingWatcher watcher;
  ReadinessPoller::Socket socket;  // first to go: a socket may outlive its poller, not need to
};

TEST_P(ReadinessPollerTest, DeliversInputOnceAskedAndReadsTakeExactlyWhatArrived) {
  boost::asio::io_context io;
  ReadinessPoller poller(io, GetParam());
  EXPECT_EQ(poller.backend(), GetParam());
  SocketPair pair;
  RecordingWatcher watcher;
  ReadinessPoller::Socket socket;
  ASSERT_FALSE(poller.watch(socket, pair.give_away(), &watcher));
  socket.want_input();
  pair.send("hello");
  run_until(io, [&] { return watcher.inputs() >= 1; });
  ASSERT_EQ(watcher.inputs(), 1u);
  EXPECT_TRUE(socket.input_pending());
  boost::system::error_code error;
  EXPECT_EQ(read_all(socket, error), "hello");
  EXPECT_EQ(error, boost::asio::error::would_block);
  EXPECT_FALSE(socket.input_pending());

  socket.want_input();
  pair.send("again");
  run_until(io, [&] { return watcher.inputs() >= 2; });
  EXPECT_EQ(watcher.inputs(), 2u) << "new input after a read is a new delivery";
  EXPECT_EQ(read_all(socket, error), "again");

  poller.stop();
  io.restart();
  pair.send("late");
  io.run();  // returns: the poller no longer waits, and nothing else is pending
  EXPECT_EQ(watcher.inputs(), 2u);
}

TEST_P(ReadinessPollerTest, InputAlreadyWaitingWhenWatchingStartsIsDelivered) {
  // The server relies on this: a session starts with no input pending and waits for some.
  boost::asio::io_context io;
  ReadinessPoller poller(io, GetParam());
  SocketPair pair;
  pair.send("x");
  RecordingWatcher watcher;
  ReadinessPoller::Socket socket;
  ASSERT_FALSE(poller.watch(socket, pair.give_away(), &watcher));
  socket.want_input();
  run_until(io, [&] { return watcher.inputs() >= 1; });
  EXPECT_EQ(watcher.inputs(), 1u);
  boost::system::error_code error;
  EXPECT_EQ(read_all(socket, error), "x");
}

TEST_P(WatchedSocketTest, ThePeersCloseIsInputThatReadsAsTheEndOfTheStream) {
  socket.want_input();
  pair.send("last words");
  ::close(pair.fds[1]);
  pair.fds[1] = -1;
  boost::system::error_code error;
  std::string got;
  run_until(io, [&] {
    if (socket.input_pending()) got += read_all(socket, error);
    if (error == boost::asio::error::would_block) socket.want_input();
    return error == boost::asio::error::eof;
  });
  EXPECT_EQ(got, "last words");
  EXPECT_EQ(error, boost::asio::error::eof);
  EXPECT_TRUE(socket.input_pending()) << "the end stays readable";
}

TEST_P(ReadinessPollerTest, AClosedSocketGetsNothingWhileOthersGoOn) {
  boost::asio::io_context io;
  ReadinessPoller poller(io, GetParam());
  TwoWatchedSockets two(poller);
  two.both_receive(io, "1", "2");
  // b asks for more and is then closed: what its peer sends (and its close) reaches nobody.
  two.socket_b.want_input();
  two.socket_b.close();
  EXPECT_FALSE(two.socket_b.is_open());
  (void)::send(two.second.fds[1], "3", 1, MSG_NOSIGNAL);  // fails: nobody reads that end now
  two.socket_a.want_input();
  two.first.send("4");
  run_until(io, [&] { return two.a.inputs() >= 2; });
  boost::system::error_code error;
  EXPECT_EQ(read_all(two.socket_a, error), "4");
  EXPECT_EQ(two.b.inputs(), 1u);
}

TEST_P(ReadinessPollerTest, SocketsClosedByTheirWatchersLeaveEveryLaterSocketItsOwnInput) {
  // A server session ends inside the delivery of its peer's close. With io_uring each socket
  // has a slot for its operations; a slot given back twice would later be shared by two sockets.
  boost::asio::io_context io;
  ReadinessPoller poller(io, GetParam());
  for (int round = 0; round < 3; ++round) {
    SocketPair churn;
    RecordingWatcher closer;
    ReadinessPoller::Socket closing;
    closer.on_event = [&] { closing.close(); };
    ASSERT_FALSE(poller.watch(closing, churn.give_away(), &closer));
    closing.want_input();
    ::close(churn.fds[1]);
    churn.fds[1] = -1;
    run_until(io, [&] { return !closing.is_open(); });
    ASSERT_FALSE(closing.is_open());
  }
  TwoWatchedSockets two(poller);
  two.both_receive(io, "for a", "for b");
}

TEST_P(WatchedSocketTest, ThePeerSeesTheCloseOfASocketThatWasWaitingForInput) {
  // With io_uring, a receive in flight holds the socket open until it is cancelled.
  socket.want_input();
  io.restart();
  io.run_for(std::chrono::milliseconds{10});  // the receive is in flight
  socket.close();
  char byte = 0;
  ssize_t got = -1;
  run_until(io, [&] {
    got = ::recv(pair.fds[1], &byte, 1, 0);
    return got == 0;
  });
  EXPECT_EQ(got, 0) << "the peer reads the end of the stream";
  EXPECT_EQ(watcher.inputs(), 0u);
}

TEST_P(WatchedSocketTest, InputTheWatcherLeavesUnreadIsKeptForTheNextRead) {
  std::string first;
  watcher.on_event = [&] {
    std::array<char, 2> two{};
    boost::system::error_code error;
    const std::size_t n = socket.receive(two.data(), two.size(), error);
    first.assign(two.data(), n);
  };
  socket.want_input();
  pair.send("abcdef");
  run_until(io, [&] { return watcher.inputs() >= 1; });
  EXPECT_EQ(first, "ab");
  EXPECT_TRUE(socket.input_pending());
  boost::system::error_code error;
  EXPECT_EQ(read_all(socket, error), "cdef");
}

TEST_P(WatchedSocketTest, InputLargerThanAReceiveBufferArrivesWholeAndInOrder) {
  std::string sent;
  for (int i = 0; sent.size() < 40'000; ++i) sent += std::to_string(i) + ",";
  pair.send(sent);
  std::string got;
  boost::system::error_code error;
  socket.want_input();
  run_until(io, [&] {
    if (socket.input_pending()) got += read_all(socket, error);
    if (!socket.input_pending()) socket.want_input();
    return got.size() >= sent.size();
  });
  EXPECT_EQ(got, sent);
}

TEST_P(WatchedSocketTest, ASocketThatCannotTakeMoreIsToldWhenItCan) {
  io.restart();
  io.run_for(std::chrono::milliseconds{10});
  watcher.seen.clear();
  const std::string chunk(4096, 'z');
  while (::send(socket.fd(), chunk.data(), chunk.size(), MSG_NOSIGNAL) > 0) {
  }
  ASSERT_EQ(errno, EAGAIN);
  socket.want_output();
  std::array<char, 65536> sink{};
  while (::recv(pair.fds[1], sink.data(), sink.size(), 0) > 0) {
  }
  const auto writable = [&] {
    for (const auto events : watcher.seen) {
      if ((events & EPOLLOUT) != 0) return true;
    }
    return false;
  };
  run_until(io, writable);
  EXPECT_TRUE(writable());
}

TEST_P(WatchedSocketTest, InputAskedForOutsideAWakeUpIsStillDelivered) {
  // A session whose handler finished on a timer asks for its next request from a posted handler.
  boost::asio::post(io, [&] { socket.want_input(); });
  io.restart();
  io.run_for(std::chrono::milliseconds{10});
  pair.send("q");
  run_until(io, [&] { return watcher.inputs() >= 1; });
  EXPECT_EQ(watcher.inputs(), 1u);
}

TEST_P(ReadinessPollerTest, ASocketThatOutlivesItsPollerStillClosesItsDescriptor) {
  // A session frame destroyed with its io_context, after the shard's poller.
  auto socket = std::make_unique<ReadinessPoller::Socket>();
  SocketPair pair;
  {
    boost::asio::io_context io;
    auto poller = std::make_unique<ReadinessPoller>(io, GetParam());
    RecordingWatcher watcher;
    ASSERT_FALSE(poller->watch(*socket, pair.give_away(), &watcher));
    socket->want_input();
    poller.reset();
  }
  socket.reset();
  char byte = 0;
  EXPECT_EQ(::recv(pair.fds[1], &byte, 1, 0), 0);
}

TEST_P(WatchedSocketTest, SendThenWaitSendsEverythingAndDeliversTheAnswer) {
  const std::string request(100'000, 'r');  // more than the socket takes at once
  socket.outgoing() = request;
  if (!socket.send_outgoing_then_want_input()) {
    EXPECT_EQ(GetParam(), PollerBackend::epoll) << "only io_uring sends for its owner";
    return;
  }
  std::string received;
  run_until(io, [&] {
    receive_at_the_peer(received);
    return received.size() >= request.size();
  });
  EXPECT_EQ(received, request);
  EXPECT_EQ(watcher.inputs(), 0u) << "nothing came back yet";
  pair.send("answer");
  run_until(io, [&] { return watcher.inputs() >= 1; });
  boost::system::error_code error;
  EXPECT_EQ(read_all(socket, error), "answer");
  EXPECT_FALSE(socket.output_error());
}

TEST_P(WatchedSocketTest, AFailedSendIsReportedAsAnOutputError) {
  if (GetParam() == PollerBackend::epoll) GTEST_SKIP() << "the caller sends itself with epoll";
  ::close(pair.fds[1]);
  pair.fds[1] = -1;
  socket.outgoing() = "GET / HTTP/1.1\r\n\r\n";
  ASSERT_TRUE(socket.send_outgoing_then_want_input());
  run_until(io, [&] { return watcher.inputs() >= 1; });
  ASSERT_EQ(watcher.inputs(), 1u);
  EXPECT_NE(watcher.seen.front() & EPOLLERR, 0u);
  EXPECT_EQ(socket.output_error(), boost::asio::error::broken_pipe);
  EXPECT_TRUE(socket.input_pending());
  boost::system::error_code error;
  std::array<char, 16> buffer{};
  EXPECT_EQ(socket.receive(buffer.data(), buffer.size(), error), 0u);
  EXPECT_EQ(error, boost::asio::error::broken_pipe) << "a read says why";
}

// What the peer end `fd` receives while the loop runs, until the end of the stream (or a reset).
std::string receive_until_the_end(boost::asio::io_context& io, int fd, bool* ended) {
  std::string received;
  std::array<char, 65536> buffer{};
  run_until(io, [&] {
    for (;;) {
      const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n == 0 || (n < 0 && errno != EAGAIN)) *ended = true;
      if (n <= 0) break;
      received.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return *ended;
  });
  return received;
}

TEST_P(WatchedSocketTest, AShutDownWaitsForTheSendInFlight) {
  // The server's watchdog and drain shut idle sockets down; with io_uring an idle socket may
  // still be sending its last response, which must go out whole before the end of the stream.
  if (GetParam() == PollerBackend::epoll) GTEST_SKIP() << "the caller sends itself with epoll";
  const std::string response = start_a_send_larger_than_the_socket_takes();
  socket.shut_down();
  bool ended = false;
  const std::string received = receive_until_the_end(io, pair.fds[1], &ended);
  EXPECT_TRUE(ended);
  EXPECT_EQ(received.size(), response.size());
  EXPECT_TRUE(received == response);
}

// A connected loopback TCP pair (non-blocking), for what depends on TCP's own behaviour.
std::array<int, 2> tcp_pair() {
  const auto listener = testing::listen_on_loopback(1);
  const sockaddr_in address = testing::loopback_address(listener.port);
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(::connect(client, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  const int server = ::accept4(listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  ::close(listener.fd);
  return {server, client};
}

TEST_P(ReadinessPollerTest, AShutdownAtOnceFailsASendThePeerStalled) {
  // The server's watchdog: a peer that never reads must not hold the connection past its
  // deadline, even while the ring still has bytes to send to it.
  if (GetParam() == PollerBackend::epoll) GTEST_SKIP() << "the caller sends itself with epoll";
  boost::asio::io_context io;
  ReadinessPoller poller(io, GetParam());
  const auto [server_end, client_end] = tcp_pair();
  RecordingWatcher watcher;
  ReadinessPoller::Socket socket;
  ASSERT_FALSE(poller.watch(socket, server_end, &watcher));
  socket.outgoing() = numbered_bytes(16'000'000);  // more than both socket buffers hold
  ASSERT_TRUE(socket.send_outgoing_then_want_input());
  io.restart();
  io.run_for(std::chrono::milliseconds{20});
  EXPECT_EQ(watcher.inputs(), 0u) << "the send waits for the peer";
  ::shutdown(socket.fd(), SHUT_RDWR);
  run_until(io, [&] { return watcher.inputs() >= 1; });
  ASSERT_EQ(watcher.inputs(), 1u);
  EXPECT_TRUE(socket.output_error());
  boost::system::error_code error;
  read_all(socket, error);
  EXPECT_TRUE(error);
  ::close(client_end);
}

TEST_P(ReadinessPollerTest, ClosingWhileSendingNeverCorruptsWhatThePeerReceives) {
  if (GetParam() == PollerBackend::epoll) GTEST_SKIP() << "the caller sends itself with epoll";
  boost::asio::io_context io;
  ReadinessPoller poller(io, GetParam());
  SocketPair pair;
  RecordingWatcher watcher;
  auto socket = std::make_unique<ReadinessPoller::Socket>();
  ASSERT_FALSE(poller.watch(*socket, pair.give_away(), &watcher));
  const std::string response = numbered_bytes(1'000'000);
  socket->outgoing() = response;
  ASSERT_TRUE(socket->send_outgoing_then_want_input());
  io.restart();
  io.run_for(std::chrono::milliseconds{10});
  socket.reset();  // closed and gone while the kernel still holds part of the send
  const std::vector<std::string> reuse(64, std::string(16'384, '#'));  // take the freed memory
  bool ended = false;
  const std::string received = receive_until_the_end(io, pair.fds[1], &ended);
  EXPECT_TRUE(ended) << "the peer sees the close";
  EXPECT_LE(received.size(), response.size());  // the cancellation may come after all of it
  EXPECT_TRUE(response.compare(0, received.size(), received) == 0)
      << "what arrived is the start of the response, nothing else";
  EXPECT_EQ(watcher.inputs(), 0u);
}

TEST_P(WatchedSocketTest, AnAnswerThatComesBeforeTheSendIsDoneWaitsForIt) {
  // A peer may answer before it read the whole request (an early 413, say); the owner must not
  // hear of the answer, and reuse outgoing(), while the kernel still takes bytes from it.
  if (GetParam() == PollerBackend::epoll) GTEST_SKIP() << "the caller sends itself with epoll";
  const std::string request = start_a_send_larger_than_the_socket_takes();
  pair.send("early answer");
  io.restart();
  io.run_for(std::chrono::milliseconds{20});
  EXPECT_EQ(watcher.inputs(), 0u) << "held back while the send goes on";
  std::string received;
  run_until(io, [&] {
    receive_at_the_peer(received);
    return received.size() >= request.size() && watcher.inputs() >= 1;
  });
  EXPECT_TRUE(received == request);
  ASSERT_GE(watcher.inputs(), 1u);
  boost::system::error_code error;
  EXPECT_EQ(read_all(socket, error), "early answer");
  EXPECT_FALSE(socket.output_error());
}

TEST_P(ReadinessPollerTest, RefusesADescriptorThatIsNotOpen) {
  boost::asio::io_context io;
  ReadinessPoller poller(io, GetParam());
  RecordingWatcher watcher;
  ReadinessPoller::Socket socket;
  EXPECT_TRUE(poller.watch(socket, -1, &watcher));
  EXPECT_FALSE(socket.is_open());
  poller.stop();
  io.run();
}

const auto backend_name = [](const auto& test) { return std::string(to_string(test.param)); };
INSTANTIATE_TEST_SUITE_P(Backends, ReadinessPollerTest,
                         ::testing::Values(PollerBackend::epoll, PollerBackend::io_uring),
                         backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, WatchedSocketTest,
                         ::testing::Values(PollerBackend::epoll, PollerBackend::io_uring),
                         backend_name);

TEST(PollerBackend, AutoChoosesIoUringWhereAllowedAndNamesAreChecked) {
  EXPECT_EQ(choose_poller_backend("epoll"), PollerBackend::epoll);
  EXPECT_EQ(choose_poller_backend("io_uring"), PollerBackend::io_uring);
  EXPECT_EQ(choose_poller_backend("auto"),
            io_uring_available() ? PollerBackend::io_uring : PollerBackend::epoll);
  EXPECT_EQ(choose_poller_backend("uring"), std::nullopt);
  EXPECT_EQ(choose_poller_backend(""), std::nullopt);
}

TEST(SocketCallError, WouldBlockMeansWaitForTheNextEdgeAndTheRestAreSystemErrors) {
  EXPECT_EQ(socket_call_error(EAGAIN), boost::asio::error::would_block);
  EXPECT_EQ(socket_call_error(EWOULDBLOCK), boost::asio::error::would_block);
  const auto reset = socket_call_error(ECONNRESET);
  EXPECT_EQ(reset, boost::asio::error::connection_reset);
  EXPECT_EQ(reset.category(), boost::system::system_category());
}

}  // namespace
}  // namespace loadlab::http
