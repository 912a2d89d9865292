/* `rebate nightly`: not built yet (placeholder so that the program links). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_nightly(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "rebate nightly: not implemented yet\n");
    return RB_E_INTERNAL;
}
