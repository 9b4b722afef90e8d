// `loadlab serve`: the target service or its downstream, on the shared HTTP server, with drain.
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/serve_config.hpp"
#include "core/clock.hpp"
#include "http/metrics_route.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/server_state.hpp"
#include "metrics/registry.hpp"
#include "target/protection_gate.hpp"
#include "target/service.hpp"

namespace loadlab::cli {
namespace {

// First SIGTERM/SIGINT starts the drain; a second one abandons it.
void watch_signals(boost::asio::signal_set& signals, http::Server& server, int received) {
  signals.async_wait([&signals, &server, received](const boost::system::error_code& error, int) {
    if (error) return;
    if (received == 0) {
      server.begin_drain();
      watch_signals(signals, server, 1);
    } else {
      server.abandon_drain();
    }
  });
}

void serve(const target::ServiceConfig& config) {
  const http::ServerOptions options = server_options_from(config);
  metrics::Registry registry;
  registry.add_collector(metrics::process_collector());
  core::Clock& clock = core::SteadyClock::instance();
  http::ServerState state;
  http::Router router;
  http::Server server(options, router, registry, clock, state);
  http::add_metrics_route(router, registry);
  std::unique_ptr<target::Service> service = target::make_service(config, registry, clock, state);
  service->register_routes(router);
  router.mark_control_routes(target::is_exempt_route);
  server.set_gate(service->request_gate());

  boost::asio::signal_set signals(server.executor(), SIGTERM, SIGINT);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    server.start();
  } catch (const std::exception& error) {
    throw CommandFailed(1, std::string("error: ") + error.what());
  }
  const auto endpoint = server.local_endpoint();
  const std::string host = endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                                      : endpoint.address().to_string();
  std::printf("listening on http://%s:%u\n", host.c_str(), static_cast<unsigned>(endpoint.port()));
  std::fflush(stdout);
  watch_signals(signals, server, 0);

  const bool drained = server.wait_drained();
  if (!drained) std::fprintf(stderr, "loadlab: drain timed out; closing remaining connections\n");
  service->stop();
  boost::system::error_code ignored;
  signals.cancel(ignored);
  server.stop();
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto* command = app.add_subcommand("serve", "run the target service (or its downstream role)");
  auto line = std::make_shared<ServeCommandLine>();
  declare_serve_flags(*command, *line);
  command->callback([line] {
    target::ServiceConfig config;
    try {
      config = resolve_serve_config(*line);
      (void)server_options_from(config);  // a bad listen address is a usage error too
    } catch (const ConfigError& error) {
      // The same one-line form as main's for any other start-up error.
      throw CommandFailed(2, std::string("error: ") + error.what());
    }
    if (line->print_config) {
      std::cout << format_serve_config(config);
      return;
    }
    serve(config);
  });
}

}  // namespace loadlab::cli
