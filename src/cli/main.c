/* main.c - the backbone executable. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return bb_cli_main(argc, argv);
}
