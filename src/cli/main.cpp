// loadlab's entry point: builds the command tree and turns failures into one line and an exit code.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"loadlab: watch a backend fail under load and prove, with numbers, what saves it"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "loadlab 0.1.0");
  loadlab::cli::add_serve_command(app);
  loadlab::cli::add_run_command(app);
  loadlab::cli::add_merge_command(app);
  loadlab::cli::add_lab_command(app);
  loadlab::cli::add_report_command(app);
  loadlab::cli::add_compare_command(app);
  loadlab::cli::add_probe_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints its message (or the help) here; its own codes (104, 105, 106, ...) would break
    // the documented contract that bad input exits 2.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const loadlab::cli::CommandFailed& e) {
    if (e.what()[0] != '\0') std::fprintf(stderr, "loadlab: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loadlab: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
