// One function per subcommand: each adds itself to the app and sets its callback.
// Callbacks report failure by throwing CommandFailed; main turns it into a message and exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <stdexcept>
#include <string>

namespace loadlab::cli {

// A command ended with a non-zero status; message (may be empty) is printed as "loadlab: msg".
class CommandFailed : public std::runtime_error {
 public:
  CommandFailed(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

void add_serve_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_merge_command(CLI::App& app);
void add_lab_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_probe_command(CLI::App& app);

}  // namespace loadlab::cli
