// The hosts a run talks to, resolved once at start-up (never on the request path) and shared
// read-only by every worker.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace loadlab::load::engine {

struct Endpoint {
  std::string host;
  std::uint16_t port = 80;
  bool tls = false;  // https: a TLS handshake (SNI and certificate checked against host) first
  std::string host_header;  // the Host header value
  boost::asio::ip::tcp::endpoint address;
};

class EndpointTable {
 public:
  // Resolves host:port (blocking: start-up only); returns the existing entry when known.
  // Throws std::runtime_error naming the host when it does not resolve.
  const Endpoint& resolve(std::string_view host, std::uint16_t port, bool tls,
                          std::string host_header);
  // Lookup without resolution; nullptr when the host was not resolved at start-up.
  [[nodiscard]] const Endpoint* find(std::string_view host, std::uint16_t port,
                                     bool tls) const noexcept;

 private:
  std::deque<Endpoint> endpoints_;  // deque: entries never move, workers keep pointers
};

}  // namespace loadlab::load::engine
