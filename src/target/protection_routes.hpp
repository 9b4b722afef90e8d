// GET/PUT /admin/protections: read and switch the protections at run time (JSON).
#pragma once

#include <boost/asio/awaitable.hpp>

#include "http/message.hpp"
#include "protect/protections.hpp"
#include "target/admin_guard.hpp"

namespace loadlab::http {
class Router;
}

namespace loadlab::target {

class ProtectionRoutes {
 public:
  ProtectionRoutes(protect::Protections& protections, const AdminGuard& guard)
      : protections_(protections), guard_(guard) {}
  void register_routes(http::Router& router);

  boost::asio::awaitable<http::Response> get(http::RequestContext& context);
  boost::asio::awaitable<http::Response> put(http::RequestContext& context);

 private:
  protect::Protections& protections_;
  const AdminGuard& guard_;
};

}  // namespace loadlab::target
