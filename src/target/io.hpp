// Slow I/O (seed 000): waits that hold no thread, a wait that blocks its thread on purpose, and
// concurrent waits.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "http/message.hpp"

namespace loadlab::http {
class Router;
}

namespace loadlab::target {

class RandomSource;

class IoRoutes {
 public:
  explicit IoRoutes(RandomSource& random) : random_(random) {}
  void register_routes(http::Router& router);

  boost::asio::awaitable<http::Response> slow(http::RequestContext& context);
  boost::asio::awaitable<http::Response> random_delay(http::RequestContext& context);
  boost::asio::awaitable<http::Response> blocking(http::RequestContext& context);
  boost::asio::awaitable<http::Response> parallel_io(http::RequestContext& context);

 private:
  RandomSource& random_;
};

}  // namespace loadlab::target
