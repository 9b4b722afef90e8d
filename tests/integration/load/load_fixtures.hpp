// Fixtures for the load generator's integration tests: Debian's nginx on a loopback port (temp
// config, stopped by pid) and a helper that runs `loadlab run|merge` and reads its JSON result.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace loadlab::testing {

// A scratch directory removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// nginx serving a small body on 127.0.0.1:<free port>; nullptr when nginx is not installed.
// With tls, it speaks https with a fresh self-signed certificate (openssl CLI) whose only name
// is DNS:localhost.
class Nginx {
 public:
  static std::unique_ptr<Nginx> start(bool tls = false);
  ~Nginx();
  // http://127.0.0.1:PORT/target, or https://localhost:PORT/target with tls.
  [[nodiscard]] std::string url(const std::string& target = "/") const;
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // The certificate (PEM) a client must trust for https://localhost (tls only).
  [[nodiscard]] std::string certificate() const { return dir_.file("cert.pem"); }

 private:
  Nginx() = default;
  TempDir dir_;
  std::optional<ChildProcess> process_;
  std::uint16_t port_ = 0;
  bool tls_ = false;
};

struct LoadlabOutcome {
  int exit_code = -1;     // -1: did not exit in time (then killed)
  std::string output;     // stdout (the summary)
  nlohmann::json result;  // the --out json file, null when absent
};

// Runs `loadlab <args...>` and waits at most deadline; json_path (if not empty) is read after.
LoadlabOutcome run_loadlab(const std::vector<std::string>& args, const std::string& json_path,
                           std::chrono::seconds deadline,
                           const std::vector<std::string>& extra_env = {});

// The parsed JSON file (null when absent or invalid).
nlohmann::json read_json(const std::string& path);

// A value of the result's summary, e.g. summary(result, "http_req_duration", "p(99)").
double summary_value(const nlohmann::json& result, const std::string& metric,
                     const std::string& field);

}  // namespace loadlab::testing
