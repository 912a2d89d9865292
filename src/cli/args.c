/* Argument helpers shared by the commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "rebate/strbuf.h"

int rb_parse_year(const char *text, int32_t *year)
{
    if (strlen(text) != 4 || strspn(text, "0123456789") != 4)
        return -1;
    *year = (int32_t)atoi(text);
    return *year >= 1000 ? 0 : -1;
}

char *rb_absolute_path(const char *path)
{
    if (path[0] == '/')
        return strdup(path);
    char *cwd = getcwd(NULL, 0); /* any length (glibc) */
    if (cwd == NULL)
        return NULL;
    char *out = rb_path_joined(cwd, path);
    free(cwd);
    return out;
}
