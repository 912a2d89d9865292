/* Argument helpers shared by the commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

int rb_parse_year(const char *text, int32_t *year)
{
    if (strlen(text) != 4 || strspn(text, "0123456789") != 4)
        return -1;
    *year = (int32_t)atoi(text);
    return *year >= 1000 ? 0 : -1;
}

int rb_absolute_path(const char *path, char *out, size_t size)
{
    char cwd[4096];
    int n;
    if (path[0] == '/')
        n = snprintf(out, size, "%s", path);
    else if (getcwd(cwd, sizeof cwd) != NULL)
        n = snprintf(out, size, "%s/%s", cwd, path);
    else
        return -1;
    return n < 0 || (size_t)n >= size ? -1 : 0;
}
