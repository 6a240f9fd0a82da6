/* cmd_serve.c - `backbone serve`. */
#include "cli.h"

int bb_cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    bb_cli_error("serve: not implemented yet");
    return BB_EXIT_INTERNAL;
}
