// `loadlab serve`: not built yet (see the open issues); fails with a clear message.
#include "cli/commands.hpp"

namespace loadlab::cli {

void add_serve_command(CLI::App& app) {
  auto* command = app.add_subcommand("serve", "(not implemented yet)");
  command->allow_extras();
  command->callback([] { throw CommandFailed(2, "'serve' is not implemented yet"); });
}

}  // namespace loadlab::cli
