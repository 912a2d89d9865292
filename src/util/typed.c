/* What a person types on the command line (--by, --note, --reason):
 * checked and trimmed before it is recorded (text.h). */
#include <string.h>

#include "rebate/text.h"

rb_status rb_text_typed(const char *what, const char *text, size_t max, char *out, rb_error *err)
{
    const char *start = text ? text : "";
    size_t len = strlen(start);
    if (!rb_utf8_valid(start, len, NULL))
        return rb_fail(err, RB_E_USAGE, "%s is not valid UTF-8", what);
    for (const unsigned char *p = (const unsigned char *)start; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7F)
            return rb_fail(err, RB_E_USAGE, "%s contains a control character (a line break or tab)", what);
    rb_text_trim(&start, &len);
    if (len == 0)
        return rb_fail(err, RB_E_USAGE, "%s is empty or only white space", what);
    if (len > max)
        return rb_fail(err, RB_E_USAGE, "%s is longer than %zu bytes", what, max);
    memcpy(out, start, len);
    out[len] = '\0';
    return RB_OK;
}

