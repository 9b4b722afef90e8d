// Start-up name resolution of the run's hosts (the first IPv4 address, else the first one).
#include "load/engine/endpoints.hpp"

#include <boost/asio/io_context.hpp>
#include <stdexcept>

namespace loadlab::load::engine {

const Endpoint& EndpointTable::resolve(std::string_view host, std::uint16_t port, bool tls,
                                       std::string host_header) {
  if (const auto* known = find(host, port, tls)) return *known;
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  const auto results = resolver.resolve(std::string(host), std::to_string(port), ec);
  if (ec || results.empty()) {
    throw std::runtime_error("cannot resolve host '" + std::string(host) +
                             "': " + (ec ? ec.message() : std::string("no address")));
  }
  auto chosen = results.begin()->endpoint();
  for (const auto& entry : results) {
    if (entry.endpoint().address().is_v4()) {
      chosen = entry.endpoint();
      break;
    }
  }
  endpoints_.push_back(Endpoint{std::string(host), port, tls, std::move(host_header), chosen});
  return endpoints_.back();
}

const Endpoint* EndpointTable::find(std::string_view host, std::uint16_t port,
                                    bool tls) const noexcept {
  for (const auto& endpoint : endpoints_) {
    if (endpoint.port == port && endpoint.tls == tls && endpoint.host == host) return &endpoint;
  }
  return nullptr;
}

}  // namespace loadlab::load::engine
