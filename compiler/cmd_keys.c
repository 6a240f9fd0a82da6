/* cmd_keys.c - `backbone keys`. */
#include "cli.h"

int bb_cmd_keys(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    bb_cli_error("keys: not implemented yet");
    return BB_EXIT_INTERNAL;
}
