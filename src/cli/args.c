/* Argument helpers shared by the commands. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int rb_parse_year(const char *text, int32_t *year)
{
    if (strlen(text) != 4 || strspn(text, "0123456789") != 4)
        return -1;
    *year = (int32_t)atoi(text);
    return *year >= 1000 ? 0 : -1;
}
