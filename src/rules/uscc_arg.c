/* A unified social credit code given on the command line (--uscc): read
 * with the util check, and refused with one sentence saying what is wrong,
 * so that the clerk sees a typo rather than "no such firm". */
#include <string.h>

#include "rebate/rules.h"

rb_status rb_uscc_parse_arg(const char *text, char out[RB_USCC_LEN + 1], rb_error *err)
{
    size_t len = strlen(text);
    if (rb_uscc_normalize(text, len, out))
        return RB_OK;
    if (len != RB_USCC_LEN)
        return rb_fail(err, RB_E_USAGE,
                       "'%s' is not a unified social credit code: it has %zu characters, not 18", text, len);
    char check = rb_uscc_check_char(out);
    if (check == '\0')
        return rb_fail(err, RB_E_USAGE,
                       "'%s' is not a unified social credit code: its first 17 characters must be digits or "
                       "capital letters other than I, O, S, V and Z",
                       text);
    return rb_fail(err, RB_E_USAGE,
                   "'%s' is not a valid unified social credit code: its check character should be '%c'", text,
                   check);
}
