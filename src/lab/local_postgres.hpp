// A throwaway PostgreSQL server the lab starts as its own child (`loadlab lab --start-postgres`):
// initdb into a temporary folder, the server on a free loopback port with a small connection limit,
// database "loadlab" created; fast shutdown and removal when the object goes.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/expected.hpp"
#include "lab/child_process.hpp"

namespace loadlab::lab {

struct LocalPostgresSettings {
  // Shared by every target replica: three replicas with a pool of 5 plus overflow 10 each want up
  // to 45 connections, which is the point of the scale-out experiment.
  int max_connections = 20;
  std::chrono::seconds start_timeout{60};
  std::string log_dir;  // initdb.log and server.log go here (and stay after the run)
};

class LocalPostgres {
 public:
  // Errors are values: the lab runs on without PostgreSQL and says why.
  static core::Expected<std::unique_ptr<LocalPostgres>, std::string> start(
      const LocalPostgresSettings& settings);

  LocalPostgres(const LocalPostgres&) = delete;
  LocalPostgres& operator=(const LocalPostgres&) = delete;
  ~LocalPostgres();  // fast shutdown (SIGINT), SIGKILL after 10 s, cluster folder removed

  [[nodiscard]] const std::string& url() const noexcept { return url_; }
  [[nodiscard]] std::string describe() const;

 private:
  LocalPostgres(std::string cluster_dir, ChildProcess server, int port, int max_connections);

  std::string cluster_dir_;
  ChildProcess server_;
  int port_;
  int max_connections_;
  std::string url_;
};

// The newest /usr/lib/postgresql/*/bin holding initdb and postgres; empty when none is installed.
std::string find_postgres_bin();

}  // namespace loadlab::lab
