/* inih's line reader for rebate's INI files (rebate/ini_lines.h). */
#include <errno.h>
#include <string.h>

#include "rebate/ini_lines.h"

char *rb_ini_read_line(char *str, int num, void *stream)
{
    rb_ini_lines *in = stream;
    if (in->stop)
        return NULL;
    errno = 0;
    char *got = fgets(str, num, in->file);
    if (got == NULL) {
        if (ferror(in->file))
            in->read_errno = errno ? errno : EIO;
        return NULL;
    }
    in->line++;
    size_t len = strlen(got);
    if ((len == 0 || got[len - 1] != '\n') && !feof(in->file)) {
        in->too_long_line = in->line;
        in->too_long_max = num - 2;
        in->stop = true;
        return NULL;
    }
    in->line_indented = got[0] == ' ' || got[0] == '\t';
    return got;
}
