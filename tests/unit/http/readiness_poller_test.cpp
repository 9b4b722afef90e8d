// The worker's nested epoll set: edges reach the watcher once, a socket closed earlier in the same
// batch gets nothing, and stop() lets the loop run dry. Unix socket pairs stand in for TCP.
#include "http/readiness_poller.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <functional>
#include <vector>

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
  void send_byte() const { ASSERT_EQ(::send(fds[1], "x", 1, MSG_NOSIGNAL), 1); }
  std::array<int, 2> fds{-1, -1};
};

struct RecordingWatcher final : ReadinessPoller::Watcher {
  void on_ready(std::uint32_t events) override {
    seen.push_back(events);
    if (on_event) on_event();
  }
  std::vector<std::uint32_t> seen;
  std::function<void()> on_event;
};

std::size_t count_with(const std::vector<std::uint32_t>& seen, std::uint32_t flag) {
  std::size_t n = 0;
  for (const auto events : seen) n += (events & flag) != 0 ? 1 : 0;
  return n;
}

TEST(ReadinessPoller, DeliversEachInputEdgeOnceAndStopLetsTheLoopRunDry) {
  boost::asio::io_context io;
  ReadinessPoller poller(io);
  SocketPair pair;
  RecordingWatcher watcher;
  ASSERT_FALSE(poller.watch(pair.fds[0], &watcher));
  pair.send_byte();
  io.poll();
  // The first edge carries the byte (and writability); nothing more until new input.
  ASSERT_EQ(count_with(watcher.seen, EPOLLIN), 1u);
  io.poll();
  EXPECT_EQ(count_with(watcher.seen, EPOLLIN), 1u);

  pair.send_byte();
  io.poll();
  EXPECT_EQ(count_with(watcher.seen, EPOLLIN), 2u) << "a new arrival is a new edge, read or not";

  poller.stop();
  io.restart();
  pair.send_byte();
  io.run();  // returns: the poller no longer waits, and nothing else is pending
  EXPECT_EQ(count_with(watcher.seen, EPOLLIN), 2u);
}

TEST(ReadinessPoller, InputAlreadyWaitingWhenWatchingStartsIsAnEdge) {
  // The server relies on this: a session starts with no input pending and waits for an edge.
  boost::asio::io_context io;
  ReadinessPoller poller(io);
  SocketPair pair;
  pair.send_byte();
  RecordingWatcher watcher;
  ASSERT_FALSE(poller.watch(pair.fds[0], &watcher));
  io.poll();
  EXPECT_EQ(count_with(watcher.seen, EPOLLIN), 1u);
}

TEST(ReadinessPoller, ReportsThePeersCloseAsInputAndHangUp) {
  boost::asio::io_context io;
  ReadinessPoller poller(io);
  SocketPair pair;
  RecordingWatcher watcher;
  ASSERT_FALSE(poller.watch(pair.fds[0], &watcher));
  io.poll();
  watcher.seen.clear();
  ::close(pair.fds[1]);
  pair.fds[1] = -1;
  io.poll();
  ASSERT_FALSE(watcher.seen.empty());
  EXPECT_NE(watcher.seen.back() & (EPOLLIN | EPOLLRDHUP), 0u);
}

TEST(ReadinessPoller, AClosedSocketLeavesTheSetWhileOthersGoOn) {
  boost::asio::io_context io;
  ReadinessPoller poller(io);
  SocketPair first;
  SocketPair second;
  RecordingWatcher a;
  RecordingWatcher b;
  ASSERT_FALSE(poller.watch(first.fds[0], &a));
  ASSERT_FALSE(poller.watch(second.fds[0], &b));
  first.send_byte();
  second.send_byte();
  io.poll();
  EXPECT_EQ(count_with(a.seen, EPOLLIN), 1u);
  EXPECT_EQ(count_with(b.seen, EPOLLIN), 1u);
  // Closing the watched end removes it from the set: its peer's close reaches nobody.
  ::close(second.fds[0]);
  second.fds[0] = -1;
  ::close(second.fds[1]);
  second.fds[1] = -1;
  first.send_byte();
  io.poll();
  EXPECT_EQ(b.seen.size(), 1u);
  EXPECT_EQ(count_with(a.seen, EPOLLIN), 2u);
}

TEST(ReadinessPoller, RefusesADescriptorThatIsNotOpen) {
  boost::asio::io_context io;
  ReadinessPoller poller(io);
  RecordingWatcher watcher;
  EXPECT_TRUE(poller.watch(-1, &watcher));
  poller.stop();
  io.run();
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
