/* GB 32100-2015 check: 31-character set without I, O, S, V, Z; weights
 * 3^i mod 31; check = 31 - (sum mod 31), with 31 written as '0'. */
#include <stdio.h>
#include <string.h>

#include "rebate/strbuf.h"
#include "rebate/text.h"
#include "rebate/uscc.h"

static const char uscc_charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int uscc_weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

/* Each character's value plus one (0: not in the set). A table, not
 * strchr: this runs for every character of every code of the extracts. */
static const unsigned char uscc_value_plus_one[128] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
    ['G'] = 17, ['H'] = 18, ['J'] = 19, ['K'] = 20, ['L'] = 21, ['M'] = 22, ['N'] = 23, ['P'] = 24,
    ['Q'] = 25, ['R'] = 26, ['T'] = 27, ['U'] = 28, ['W'] = 29, ['X'] = 30, ['Y'] = 31,
};

static int uscc_value(char c)
{
    unsigned char u = (unsigned char)c;
    return u < 128 ? uscc_value_plus_one[u] - 1 : -1;
}

char rb_uscc_check_char(const char first17[17])
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int v = uscc_value(first17[i]);
        if (v < 0)
            return '\0';
        sum += v * uscc_weights[i];
    }
    int c = 31 - sum % 31;
    return uscc_charset[c == 31 ? 0 : c];
}

bool rb_uscc_normalize(const char *text, size_t len, char out[RB_USCC_LEN + 1])
{
    out[0] = '\0';
    if (len != RB_USCC_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if ((unsigned char)c >= 0x80 || c == '\0') {
            out[0] = '\0'; /* as uscc.h promises: "" unless 18 ASCII characters */
            return false;
        }
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        out[i] = c;
    }
    out[RB_USCC_LEN] = '\0';
    if (uscc_value(out[17]) < 0)
        return false;
    return rb_uscc_check_char(out) == out[17];
}

static rb_status parse_folded(const char *text, char out[RB_USCC_LEN + 1], rb_error *err);

/* A code pasted from a document may carry spaces (ASCII, U+3000, U+00A0)
 * or full-width letters and digits: both are folded away first, as names
 * are (docs/rules.md), so that the clerk's paste finds the firm. */
rb_status rb_uscc_parse(const char *text, char out[RB_USCC_LEN + 1], rb_error *err)
{
    size_t len = strlen(text);
    if (!rb_utf8_valid(text, len, NULL))
        return rb_fail(err, RB_E_USAGE, "the code given is not valid UTF-8 text");
    rb_strbuf folded = RB_STRBUF_INIT;
    if (!rb_name_fold(text, len, &folded)) {
        rb_strbuf_release(&folded);
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading a code");
    }
    rb_status st = parse_folded(folded.buf, out, err);
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
