// nginx on loopback and `loadlab` child runs for the load integration tests.
#include "load_fixtures.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <stdexcept>

#include "loopback.hpp"
#include "wait.hpp"

namespace loadlab::testing {
namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";

// Binds port 0 to learn a free port, then releases it for nginx.
std::uint16_t free_loopback_port() {
  const auto listener = listen_on_loopback(1);
  close(listener.fd);
  return listener.port;
}

bool accepts_connections(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in address = loopback_address(port);
  const bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

}  // namespace

TempDir::TempDir() {
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() /
          ("loadlab-load-test-" + std::to_string(getpid()) + "-" + std::to_string(random()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::unique_ptr<Nginx> Nginx::start(bool tls) {
  if (!std::filesystem::exists(kNginx)) return nullptr;
  std::unique_ptr<Nginx> nginx(new Nginx());
  nginx->tls_ = tls;
  std::string tls_lines;
  if (tls) {
    auto openssl = ChildProcess::spawn({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048",
                                        "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext",
                                        "subjectAltName=DNS:localhost", "-keyout",
                                        nginx->dir_.file("key.pem"), "-out", nginx->certificate()});
    if (openssl.wait_exit(std::chrono::seconds(60)).value_or(-1) != 0) {
      throw std::runtime_error("openssl could not make a certificate: " + openssl.output());
    }
    tls_lines = "    ssl_certificate " + nginx->certificate() + ";\n    ssl_certificate_key " +
                nginx->dir_.file("key.pem") + ";\n";
  }
  for (int attempt = 0; attempt < 3 && !nginx->process_; ++attempt) {
    nginx->port_ = free_loopback_port();
    const auto conf = nginx->dir_.file("nginx.conf");
    std::ofstream(conf) << "worker_processes 1;\n"
                        << "error_log " << nginx->dir_.file("error.log") << ";\n"
                        << "pid " << nginx->dir_.file("nginx.pid") << ";\n"
                        << "events { worker_connections 16384; }\n"
                        << "http {\n  access_log off;\n  keepalive_requests 1000000;\n"
                        << "  client_body_temp_path " << nginx->dir_.file("body") << ";\n"
                        << "  proxy_temp_path " << nginx->dir_.file("proxy") << ";\n"
                        << "  fastcgi_temp_path " << nginx->dir_.file("fastcgi") << ";\n"
                        << "  uwsgi_temp_path " << nginx->dir_.file("uwsgi") << ";\n"
                        << "  scgi_temp_path " << nginx->dir_.file("scgi") << ";\n"
                        << "  server {\n    listen 127.0.0.1:" << nginx->port_
                        << (tls ? " ssl" : "") << ";\n"
                        << tls_lines
                        << "    location / { return 200 \"hello from nginx\\n\"; }\n"
                        // Closes idle keep-alive connections after 100 ms.
                        << "    location /short-keepalive { keepalive_timeout 100ms;"
                        << " return 200 \"bye soon\\n\"; }\n  }\n}\n";
    auto process = ChildProcess::spawn(
        {kNginx, "-p", nginx->dir_.path().string(), "-c", conf, "-g", "daemon off;"});
    const auto port = nginx->port_;
    if (wait_until([&] { return accepts_connections(port) || !process.running(); },
                   std::chrono::seconds(10)) &&
        process.running()) {
      nginx->process_.emplace(std::move(process));
    }
  }
  if (!nginx->process_) throw std::runtime_error("nginx did not start");
  return nginx;
}

Nginx::~Nginx() {
  if (process_) process_->stop(std::chrono::seconds(10));
}

std::string Nginx::url(const std::string& target) const {
  return (tls_ ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_) + target;
}

LoadlabOutcome run_loadlab(const std::vector<std::string>& args, const std::string& json_path,
                           std::chrono::seconds deadline,
                           const std::vector<std::string>& extra_env) {
  std::vector<std::string> argv{loadlab_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto process = ChildProcess::spawn(argv, extra_env);
  LoadlabOutcome outcome;
  const auto status = process.wait_exit(deadline);
  outcome.exit_code = status.value_or(-1);
  if (!status) process.stop(std::chrono::seconds(5));
  outcome.output = process.output();
  if (!json_path.empty()) outcome.result = read_json(json_path);
  return outcome;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  auto json = nlohmann::json::parse(in, nullptr, false);
  return json.is_discarded() ? nlohmann::json(nullptr) : json;
}

double summary_value(const nlohmann::json& result, const std::string& metric,
                     const std::string& field) {
  return result.at("summary").at(metric).at(field).get<double>();
}

}  // namespace loadlab::testing
