// `loadlab run`: not built yet (see the open issues); fails with a clear message.
#include "cli/commands.hpp"

namespace loadlab::cli {

void add_run_command(CLI::App& app) {
  auto* command = app.add_subcommand("run", "(not implemented yet)");
  command->allow_extras();
  command->callback([] { throw CommandFailed(2, "'run' is not implemented yet"); });
}

}  // namespace loadlab::cli
