/* A unified social credit code given on the command line (--uscc): read
 * with the util check, and refused with one sentence saying what is wrong,
 * so that the clerk sees a typo rather than "no such firm". */
#include <string.h>

#include "rebate/rules.h"
#include "rebate/strbuf.h"
#include "rebate/text.h"

static rb_status parse_folded(const char *text, char out[RB_USCC_LEN + 1], rb_error *err);

/* A code pasted from a document may carry spaces (ASCII, U+3000, U+00A0)
 * or full-width letters and digits (９１２１…): both are folded away first,
 * as names are (rules.md), so that the clerk's paste finds the firm. */
rb_status rb_uscc_parse_arg(const char *text, char out[RB_USCC_LEN + 1], rb_error *err)
{
    size_t len = strlen(text);
    if (!rb_utf8_valid(text, len, NULL))
        return rb_fail(err, RB_E_USAGE, "the code given is not valid UTF-8 text");
    rb_strbuf folded = RB_STRBUF_INIT;
    if (!rb_name_fold(text, len, &folded)) {
        rb_strbuf_release(&folded);
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading a code");
    }
    rb_status st = parse_folded(folded.buf ? folded.buf : "", out, err);
    rb_strbuf_release(&folded);
    return st;
}

static rb_status parse_folded(const char *text, char out[RB_USCC_LEN + 1], rb_error *err)
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
