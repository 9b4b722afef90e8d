// Throwaway PostgreSQL for the lab; see local_postgres.hpp.
#include "lab/local_postgres.hpp"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace loadlab::lab {
namespace {

namespace fs = std::filesystem;

std::string tail_of(const std::string& path, std::size_t max_chars = 600) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto all = text.str();
  if (all.size() > max_chars) all = "..." + all.substr(all.size() - max_chars);
  return all;
}

// A port the kernel just handed out on 127.0.0.1; free again once closed (a small race we accept,
// as every port-0 user that must pass a number to another program does).
core::Expected<int, std::string> free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return core::unexpected(std::string("socket() failed"));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  if (port <= 0) return core::unexpected(std::string("no free loopback port"));
  return port;
}

// Runs a short program to completion; returns an empty string, or what went wrong with its log.
std::string run_to_end(const LaunchSpec& spec, std::chrono::seconds deadline) {
  auto child = ChildProcess::launch(spec, nullptr);
  const auto status = child.wait_or_stop(deadline);
  if (status.signaled || status.code != 0) {
    return spec.argv.front() + " ended with " + describe(status) + ": " + tail_of(spec.stderr_path);
  }
  return "";
}

}  // namespace

std::string find_postgres_bin() {
  std::vector<fs::path> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
    const auto bin = entry.path() / "bin";
    if (fs::exists(bin / "initdb") && fs::exists(bin / "postgres")) found.push_back(bin);
  }
  if (found.empty()) return "";
  // Version folders are numbers ("15", "16"): the newest has the greatest value.
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    return std::atoi(a.parent_path().filename().c_str()) <
           std::atoi(b.parent_path().filename().c_str());
  });
  return found.back().string();
}

core::Expected<std::unique_ptr<LocalPostgres>, std::string> LocalPostgres::start(
    const LocalPostgresSettings& settings) {
  const auto bin = find_postgres_bin();
  if (bin.empty()) {
    return core::unexpected(
        std::string("no PostgreSQL server under /usr/lib/postgresql (Debian's postgresql package; "
                    "scripts/setup.sh)"));
  }
  std::optional<std::pair<uid_t, gid_t>> run_as;
  if (::geteuid() == 0) {
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr)
      return core::unexpected(std::string("running as root but there is no postgres user"));
    run_as = std::make_pair(user->pw_uid, user->pw_gid);
  }
  // A short path: the server's Unix socket lives here too and must stay under ~107 bytes.
  char pattern[] = "/tmp/loadlab-lab-pg.XXXXXX";
  if (::mkdtemp(pattern) == nullptr) return core::unexpected(std::string("mkdtemp failed"));
  const std::string cluster_dir = pattern;
  const std::string log_dir = settings.log_dir.empty() ? cluster_dir : settings.log_dir;
  std::error_code error;
  fs::create_directories(log_dir, error);
  auto fail =
      [&](std::string message) -> core::Expected<std::unique_ptr<LocalPostgres>, std::string> {
    fs::remove_all(cluster_dir, error);
    return core::unexpected(std::move(message));
  };
  if (run_as && ::chown(cluster_dir.c_str(), run_as->first, run_as->second) != 0) {
    return fail("cannot give " + cluster_dir + " to the postgres user");
  }

  LaunchSpec initdb;
  initdb.argv = {
      bin + "/initdb", "-D",       cluster_dir + "/data", "-U", "postgres", "--auth=trust", "-E",
      "UTF8",          "--no-sync"};
  initdb.stdout_path = log_dir + "/initdb.log";
  initdb.stderr_path = log_dir + "/initdb.log";
  initdb.run_as = run_as;
  if (run_as) {
    // The log is opened by us (root) before the user changes; the server's own files are its.
    initdb.env = {{"HOME", cluster_dir}};
  }
  if (const auto failure = run_to_end(initdb, settings.start_timeout); !failure.empty()) {
    return fail("initdb: " + failure);
  }

  const auto port = free_loopback_port();
  if (!port) return fail(port.error());
  LaunchSpec server;
  server.argv = {bin + "/postgres",
                 "-D",
                 cluster_dir + "/data",
                 "-p",
                 std::to_string(*port),
                 "-k",
                 cluster_dir,
                 "-c",
                 "listen_addresses=127.0.0.1",
                 "-c",
                 "fsync=off",
                 "-c",
                 "synchronous_commit=off",
                 "-c",
                 "full_page_writes=off",
                 "-c",
                 "max_connections=" + std::to_string(settings.max_connections)};
  server.stdout_path = log_dir + "/postgres.log";
  server.stderr_path = log_dir + "/postgres.log";
  server.run_as = run_as;
  ChildProcess process = ChildProcess::launch(server, nullptr);

  const std::string admin = "host=127.0.0.1 port=" + std::to_string(*port) +
                            " user=postgres dbname=postgres connect_timeout=2";
  const auto until = std::chrono::steady_clock::now() + settings.start_timeout;
  while (::PQping(admin.c_str()) != PQPING_OK) {
    if (process.has_exited()) {
      return fail("postgres ended with " + lab::describe(process.reap()) + ": " +
                  tail_of(server.stderr_path));
    }
    if (std::chrono::steady_clock::now() > until) {
      process.stop(std::chrono::seconds(2));
      return fail("postgres did not accept connections within the start timeout: " +
                  tail_of(server.stderr_path));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  PGconn* connection = ::PQconnectdb(admin.c_str());
  PGresult* created = ::PQexec(connection, "CREATE DATABASE loadlab");
  const bool ok = ::PQresultStatus(created) == PGRES_COMMAND_OK;
  const std::string message = ok ? "" : ::PQerrorMessage(connection);
  ::PQclear(created);
  ::PQfinish(connection);
  if (!ok) {
    process.stop(std::chrono::seconds(2));
    return fail("CREATE DATABASE loadlab failed: " + message);
  }
  return std::unique_ptr<LocalPostgres>(
      new LocalPostgres(cluster_dir, std::move(process), *port, settings.max_connections));
}

LocalPostgres::LocalPostgres(std::string cluster_dir, ChildProcess server, int port,
                             int max_connections)
    : cluster_dir_(std::move(cluster_dir)),
      server_(std::move(server)),
      port_(port),
      max_connections_(max_connections),
      url_("postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/loadlab?sslmode=disable") {
}

LocalPostgres::~LocalPostgres() {
  server_.stop(std::chrono::seconds(10), SIGINT);  // PostgreSQL's fast shutdown, then SIGKILL
  std::error_code error;
  std::filesystem::remove_all(cluster_dir_, error);
}

std::string LocalPostgres::describe() const {
  return "a PostgreSQL server the lab started (127.0.0.1:" + std::to_string(port_) +
         ", max_connections " + std::to_string(max_connections_) + ")";
}

}  // namespace loadlab::lab
