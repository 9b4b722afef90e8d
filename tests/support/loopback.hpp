// Test support: TCP on 127.0.0.1 at ports the kernel picks (port 0), never fixed ones.
#pragma once

#include <netinet/in.h>

#include <cstdint>

namespace loadlab::testing {

struct LoopbackListener {
  int fd = -1;  // the caller's to close
  std::uint16_t port = 0;
};

// A listening socket (close-on-exec) on 127.0.0.1 at a free port; throws std::runtime_error
// when it cannot be made.
LoopbackListener listen_on_loopback(int backlog);

// 127.0.0.1:port, for connect().
sockaddr_in loopback_address(std::uint16_t port);

}  // namespace loadlab::testing
