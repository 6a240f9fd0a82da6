/* cmd_draft.c - `backbone draft`. */
#include "cli.h"

int bb_cmd_draft(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    bb_cli_error("draft: not implemented yet");
    return BB_EXIT_INTERNAL;
}
