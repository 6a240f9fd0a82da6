/* cmd_validate.c - `backbone validate FILE...`. */
#include "cli.h"

int bb_cmd_validate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    bb_cli_error("validate: not implemented yet");
    return BB_EXIT_INTERNAL;
}
