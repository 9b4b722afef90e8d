// The settings of `loadlab serve`: one table gives each setting its flag, LOADLAB_* variable,
// YAML key, parser and printer, so the four sources can never disagree.
// Precedence: flags > environment > YAML file (--config) > defaults.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <stdexcept>
#include <string>

#include "http/server_options.hpp"
#include "target/service_config.hpp"

namespace loadlab::cli {

// A configuration value that cannot be used; the message is one line naming the setting.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What CLI11 collected for `serve`: flags and LOADLAB_* variables (CLI11 reads both).
struct ServeCommandLine {
  std::map<std::string, std::string> values;    // setting name -> text CLI11 stored
  std::map<std::string, CLI::Option*> options;  // setting name -> its option (given or not)
  std::string config_file;
  bool print_config = false;
};

// Declares every setting as `--name` with environment variable LOADLAB_NAME on `command`.
void declare_serve_flags(CLI::App& command, ServeCommandLine& line);

// Defaults, then the YAML file, then the environment and flags (CLI11 gives flags precedence
// over the environment). The seed's CONCURRENCY variable sets expensive-op-concurrency unless
// the flag or LOADLAB_EXPENSIVE_OP_CONCURRENCY does. Throws ConfigError.
target::ServiceConfig resolve_serve_config(const ServeCommandLine& line);

// The effective configuration as YAML (what --print-config prints).
std::string format_serve_config(const target::ServiceConfig& config);

// The HTTP server's share of the configuration. Throws ConfigError on a bad listen address.
http::ServerOptions server_options_from(const target::ServiceConfig& config);

}  // namespace loadlab::cli
