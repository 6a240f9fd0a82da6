/* cmd_plan.c - `backbone plan`. */
#include "cli.h"

int bb_cmd_plan(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    bb_cli_error("plan: not implemented yet");
    return BB_EXIT_INTERNAL;
}
