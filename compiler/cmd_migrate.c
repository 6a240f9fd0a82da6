/* cmd_migrate.c - `backbone migrate`. */
#include "cli.h"

int bb_cmd_migrate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    bb_cli_error("migrate: not implemented yet");
    return BB_EXIT_INTERNAL;
}
