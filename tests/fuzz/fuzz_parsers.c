/* libFuzzer harness for the field parsers of the import: money, dates,
 * periods, USCC, trimming, UTF-8 validation, name folding, message quoting
 * and the uscc prefix. Every input goes through all of them, and each
 * answer is compared with a small reference written here from the spec
 * (docs/formats.md) in another way than the library does it, so a wrong answer
 * is found, not only a crash. The first 8 and 16 bytes also drive the money
 * and percent formatting round trips. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/extracts.h"
#include "rebate/date.h"
#include "rebate/money.h"
#include "rebate/strbuf.h"
#include "rebate/text.h"
#include "rebate/uscc.h"

static void fail(const char *what, const uint8_t *data, size_t size)
{
    fprintf(stderr, "fuzz_parsers: %s (input of %zu bytes: '%.*s')\n", what, size, (int)(size > 80 ? 80 : size),
            (const char *)data);
    abort();
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* ---------------------------------------------------------------- money */

/* docs/formats.md: ASCII digits, optionally '.' and one or two digits; at most
 * 2^63-1 fen. Value computed in 128 bits, saturated. */
static rb_money_result money_reference(const uint8_t *s, size_t n, int64_t *fen)
{
    if (n == 0)
        return RB_MONEY_EMPTY;
    size_t dot = n;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            dot = i;
            break;
        }
        if (!is_digit(s[i]))
            return RB_MONEY_FORMAT;
    }
    size_t frac = dot == n ? 0 : n - dot - 1;
    if (dot == 0 || (dot < n && (frac < 1 || frac > 2)))
        return RB_MONEY_FORMAT;
    for (size_t i = dot + 1; i < n; i++)
        if (!is_digit(s[i]))
            return RB_MONEY_FORMAT;
    const unsigned __int128 cap = (unsigned __int128)1 << 100;
    unsigned __int128 v = 0;
    for (size_t i = 0; i < dot; i++)
        v = v > cap ? v : v * 10 + (unsigned)(s[i] - '0');
    unsigned cents = 0;
    if (frac >= 1)
        cents += 10u * (unsigned)(s[dot + 1] - '0');
    if (frac == 2)
        cents += (unsigned)(s[dot + 2] - '0');
    v = v > cap ? v : v * 100 + cents;
    if (v > (unsigned __int128)INT64_MAX)
        return RB_MONEY_RANGE;
    *fen = (int64_t)v;
    return RB_MONEY_OK;
}

static void check_money(const uint8_t *data, size_t size)
{
    rb_fen got = -1, want = -2;
    rb_money_result r = rb_money_parse((const char *)data, size, &got);
    rb_money_result e = money_reference(data, size, &want);
    if (r != e)
        fail("rb_money_parse result differs from the spec", data, size);
    if (r == RB_MONEY_OK) {
        if (got != want)
            fail("rb_money_parse value differs from the spec", data, size);
        char buf[RB_MONEY_BUFSZ];
        rb_money_format(got, buf);
        rb_fen back = -1;
        if (rb_money_parse(buf, strlen(buf), &back) != RB_MONEY_OK || back != got)
            fail("money does not survive format and parse", data, size);
    } else if (got != -1) {
        fail("rb_money_parse wrote *out on failure", data, size);
    }
}

/* Any int64: the format has two decimals, a '-' only when negative, and
 * parses back (without the sign) to the magnitude. */
static void check_money_format(int64_t fen, const uint8_t *data, size_t size)
{
    char buf[RB_MONEY_BUFSZ];
    rb_money_format(fen, buf);
    size_t len = strlen(buf);
    if (len < 4 || buf[len - 3] != '.' || !is_digit((uint8_t)buf[len - 1]) || !is_digit((uint8_t)buf[len - 2]))
        fail("rb_money_format does not end in two decimals", data, size);
    if ((buf[0] == '-') != (fen < 0))
        fail("rb_money_format sign", data, size);
    if (fen >= 0) {
        rb_fen back = -1;
        if (rb_money_parse(buf, len, &back) != RB_MONEY_OK || back != fen)
            fail("rb_money_format does not parse back", data, size);
    } else if (fen != INT64_MIN) {
        rb_fen back = -1;
        if (rb_money_parse(buf + 1, len - 1, &back) != RB_MONEY_OK || back != -fen)
            fail("rb_money_format of a negative amount does not parse back", data, size);
    }
}

/* Percent and ratio: hundredths rounded half up, against 128-bit division. */
static void check_hundredths(uint64_t a, uint64_t b, const uint8_t *data, size_t size)
{
    int64_t num = (int64_t)(a >> 12); /* keep num * 10^4 and its quotient in range */
    int64_t den = (int64_t)(b >> 1);
    if (den == 0)
        den = 1;
    for (int percent = 0; percent <= 1; percent++) {
        unsigned __int128 scaled = (unsigned __int128)num * (percent ? 10000u : 100u);
        unsigned __int128 q = scaled / (uint64_t)den, r = scaled % (uint64_t)den;
        if (2 * r >= (unsigned __int128)den)
            q++;
        char want[64], got[RB_MONEY_BUFSZ];
        snprintf(want, sizeof want, "%llu.%02u", (unsigned long long)(q / 100), (unsigned)(q % 100));
        if (percent)
            rb_percent_format(num, den, got);
        else
            rb_ratio_format(num, den, got);
        if (strcmp(got, want) != 0)
            fail(percent ? "rb_percent_format differs" : "rb_ratio_format differs", data, size);
    }
}

/* ---------------------------------------------------------------- dates */

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static int number(const uint8_t *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static bool digits_at(const uint8_t *s, const char *pattern, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (pattern[i] == 'd' ? !is_digit(s[i]) : s[i] != (uint8_t)pattern[i])
            return false;
    }
    return true;
}

static bool date_reference(const uint8_t *s, size_t n, int32_t *out)
{
    int y, m, d;
    if (n == 10 && digits_at(s, "dddd-dd-dd", n))
        y = number(s, 4), m = number(s + 5, 2), d = number(s + 8, 2);
    else if (n == 8 && digits_at(s, "dddddddd", n))
        y = number(s, 4), m = number(s + 4, 2), d = number(s + 6, 2);
    else
        return false;
    if (y < 1000 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return false;
    *out = y * 10000 + m * 100 + d;
    return true;
}

static bool period_reference(const uint8_t *s, size_t n, int32_t *out)
{
    int y, m;
    if (n == 7 && digits_at(s, "dddd-dd", n))
        y = number(s, 4), m = number(s + 5, 2);
    else if (n == 6 && digits_at(s, "dddddd", n))
        y = number(s, 4), m = number(s + 4, 2);
    else
        return false;
    if (y < 1000 || m < 1 || m > 12)
        return false;
    *out = y * 100 + m;
    return true;
}

static void check_dates(const uint8_t *data, size_t size)
{
    int32_t got = -1, want = -2;
    bool r = rb_date_parse((const char *)data, size, &got);
    if (r != date_reference(data, size, &want) || (r && got != want) || (!r && got != -1))
        fail("rb_date_parse differs from the calendar", data, size);
    if (r) {
        char buf[11];
        rb_date_format(got, buf);
        int32_t back = 0;
        if (!rb_date_parse(buf, 10, &back) || back != got)
            fail("a date does not survive format and parse", data, size);
    }
    got = -1, want = -2;
    r = rb_period_parse((const char *)data, size, &got);
    if (r != period_reference(data, size, &want) || (r && got != want) || (!r && got != -1))
        fail("rb_period_parse differs from the spec", data, size);
    if (r) {
        /* A period a year on and back is itself. */
        if (rb_period_add(rb_period_add(got, 13), -13) != got || rb_period_add(got, 12) != got + 100)
            fail("rb_period_add", data, size);
    }
}

/* ---------------------------------------------------------------- USCC */

static bool uscc_reference(const uint8_t *s, size_t n, char out[RB_USCC_LEN + 1])
{
    static const char set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    if (n != RB_USCC_LEN)
        return false;
    int value[RB_USCC_LEN];
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (uint8_t)(c - 32);
        const char *p = c != 0 ? memchr(set, c, 31) : NULL;
        if (p == NULL)
            return false;
        value[i] = (int)(p - set);
        out[i] = (char)c;
    }
    out[RB_USCC_LEN] = '\0';
    /* Weights 3^i mod 31, as GB 32100-2015 tabulates them. */
    int sum = 0, weight = 1;
    for (int i = 0; i < 17; i++) {
        sum += value[i] * weight;
        weight = weight * 3 % 31;
    }
    int check = (31 - sum % 31) % 31;
    return value[17] == check;
}

static void check_uscc(const uint8_t *data, size_t size)
{
    char got[RB_USCC_LEN + 1], want[RB_USCC_LEN + 1];
    bool r = rb_uscc_normalize((const char *)data, size, got);
    if (r != uscc_reference(data, size, want) || (r && strcmp(got, want) != 0))
        fail("rb_uscc_normalize differs from GB 32100-2015", data, size);
    /* uscc.h: on false, out is the upper-cased text when it was 18 ASCII
     * characters, else "". */
    if (!r) {
        bool ascii = size == RB_USCC_LEN;
        for (size_t i = 0; ascii && i < size; i++)
            ascii = data[i] != 0 && data[i] < 0x80;
        if (memchr(got, '\0', sizeof got) == NULL)
            fail("rb_uscc_normalize left its output unterminated", data, size);
        if (ascii) {
            for (size_t i = 0; i < size; i++) {
                uint8_t c = data[i] >= 'a' && data[i] <= 'z' ? (uint8_t)(data[i] - 32) : data[i];
                if ((uint8_t)got[i] != c)
                    fail("rb_uscc_normalize did not upper-case a refused code", data, size);
            }
        } else if (got[0] != '\0') {
            fail("rb_uscc_normalize output is not \"\" for a non-code", data, size);
        }
    }
}

/* ---------------------------------------------------------------- text */

/* Table 3-7 of the Unicode standard: well-formed UTF-8 byte sequences. */
static bool utf8_reference(const uint8_t *s, size_t n, size_t *bad)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t need;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c <= 0x7F) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c == 0xE0) {
            need = 2, lo = 0xA0;
        } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
            need = 2;
        } else if (c == 0xED) {
            need = 2, hi = 0x9F;
        } else if (c == 0xF0) {
            need = 3, lo = 0x90;
        } else if (c >= 0xF1 && c <= 0xF3) {
            need = 3;
        } else if (c == 0xF4) {
            need = 3, hi = 0x8F;
        } else {
            *bad = i;
            return false;
        }
        if (n - i - 1 < need || s[i + 1] < lo || s[i + 1] > hi) {
            *bad = i;
            return false;
        }
        for (size_t k = 2; k <= need; k++) {
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) {
                *bad = i;
                return false;
            }
        }
        i += need + 1;
    }
    return true;
}

static bool trim_space_at_start(const uint8_t *s, size_t n)
{
    return (n >= 1 && (s[0] == ' ' || s[0] == '\t')) || (n >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80);
}

static bool trim_space_at_end(const uint8_t *s, size_t n)
{
    return (n >= 1 && (s[n - 1] == ' ' || s[n - 1] == '\t')) ||
           (n >= 3 && s[n - 3] == 0xE3 && s[n - 2] == 0x80 && s[n - 1] == 0x80);
}

static void check_text(const uint8_t *data, size_t size)
{
    size_t bad_got = (size_t)-1, bad_want = (size_t)-2;
    bool valid = rb_utf8_valid((const char *)data, size, &bad_got);
    if (valid != utf8_reference(data, size, &bad_want) || (!valid && bad_got != bad_want))
        fail("rb_utf8_valid differs from Unicode table 3-7", data, size);

    const char *t = (const char *)data;
    size_t n = size;
    rb_text_trim(&t, &n);
    const uint8_t *tu = (const uint8_t *)t;
    if (tu < data || tu + n > data + size || trim_space_at_start(tu, n) || trim_space_at_end(tu, n))
        fail("rb_text_trim left a space or left the field", data, size);
    /* What was cut is only spaces, tabs and U+3000. */
    for (const uint8_t *p = data; p < tu;) {
        if (!trim_space_at_start(p, (size_t)(tu - p)))
            fail("rb_text_trim cut text at the start", data, size);
        p += *p == 0xE3 ? 3 : 1;
    }
    for (const uint8_t *e = data + size; e > tu + n;) {
        if (!trim_space_at_end(tu + n, (size_t)(e - tu - n)))
            fail("rb_text_trim cut text at the end", data, size);
        e -= e[-1] == 0x80 ? 3 : 1;
    }

    rb_strbuf out = RB_STRBUF_INIT;
    if (!rb_name_fold((const char *)data, size, &out))
        fail("rb_name_fold out of memory", data, size);
    if (valid) {
        if (!rb_utf8_valid(out.buf, out.len, NULL))
            fail("rb_name_fold made invalid UTF-8 of valid UTF-8", data, size);
        if (memchr(out.buf, ' ', out.len) != NULL || out.len > size)
            fail("rb_name_fold kept a space or grew the name", data, size);
        /* Folding twice changes nothing more. */
        rb_strbuf again = RB_STRBUF_INIT;
        if (!rb_name_fold(out.buf, out.len, &again) || again.len != out.len ||
            memcmp(again.buf, out.buf, out.len) != 0)
            fail("rb_name_fold is not idempotent", data, size);
        rb_strbuf_release(&again);
    }
    rb_strbuf_reset(&out);
    if (!rb_message_quote(&out, (const char *)data, size))
        fail("rb_message_quote out of memory", data, size);
    if (valid && !rb_utf8_valid(out.buf, out.len, NULL))
        fail("rb_message_quote cut a character", data, size);
    if (out.len > 120 + strlen("…"))
        fail("rb_message_quote quoted too much", data, size);
    if (!rb_uscc_field_prefix((const char *)data, size, &out))
        fail("rb_uscc_field_prefix out of memory", data, size);
    if (valid && !rb_utf8_valid(out.buf, out.len, NULL))
        fail("rb_uscc_field_prefix cut a character", data, size);
    if (out.len != 0 && (out.len < 17 || out.len > size))
        fail("rb_uscc_field_prefix length", data, size);
    rb_strbuf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_money(data, size);
    check_dates(data, size);
    check_uscc(data, size);
    check_text(data, size);
    if (size >= 8) {
        int64_t fen;
        memcpy(&fen, data, sizeof fen);
        check_money_format(fen, data, size);
    }
    if (size >= 16) {
        uint64_t a, b;
        memcpy(&a, data, sizeof a);
        memcpy(&b, data + 8, sizeof b);
        check_hundredths(a, b, data, size);
    }
    return 0;
}
