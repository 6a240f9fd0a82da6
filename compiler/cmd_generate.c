/* cmd_generate.c - `backbone generate`. */
#include "cli.h"

int bb_cmd_generate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    bb_cli_error("generate: not implemented yet");
    return BB_EXIT_INTERNAL;
}
