// `loadlab report`: not built yet (see the open issues); fails with a clear message.
#include "cli/commands.hpp"

namespace loadlab::cli {

void add_report_command(CLI::App& app) {
  auto* command = app.add_subcommand("report", "(not implemented yet)");
  command->allow_extras();
  command->callback([] { throw CommandFailed(2, "'report' is not implemented yet"); });
}

}  // namespace loadlab::cli
