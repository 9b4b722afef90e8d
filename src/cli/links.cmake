# Subcommand libraries linked into the loadlab executable (one line per library).
