/* Parsing and printing of yuan amounts as whole fen (never floating point). */
#include <stdio.h>
#include <string.h>

#include "rebate/money.h"

rb_money_result rb_money_parse(const char *text, size_t len, rb_fen *out)
{
    if (len == 0)
        return RB_MONEY_EMPTY;
    size_t i = 0;
    int64_t yuan = 0;
    size_t int_digits = 0;
    int overflow = 0;
    for (; i < len && text[i] >= '0' && text[i] <= '9'; i++, int_digits++) {
        int d = text[i] - '0';
        if (yuan > (INT64_MAX - d) / 10)
            overflow = 1;
        else
            yuan = yuan * 10 + d;
    }
    if (int_digits == 0)
        return RB_MONEY_FORMAT;
    int64_t cents = 0;
    if (i < len) {
        if (text[i] != '.')
            return RB_MONEY_FORMAT;
        i++;
        size_t frac_digits = 0;
        for (; i < len && text[i] >= '0' && text[i] <= '9'; i++, frac_digits++) {
            if (frac_digits < 2)
                cents = cents * 10 + (text[i] - '0');
        }
        if (frac_digits == 0 || frac_digits > 2 || i != len)
            return RB_MONEY_FORMAT;
        if (frac_digits == 1)
            cents *= 10;
    }
    if (overflow || yuan > (INT64_MAX - cents) / 100)
        return RB_MONEY_RANGE;
    *out = yuan * 100 + cents;
    return RB_MONEY_OK;
}

char *rb_decimal_digits(unsigned long long v, char *end)
{
    do
        *--end = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return end;
}

char *rb_money_format(rb_fen fen, char buf[RB_MONEY_BUFSZ])
{
    /* Digits by hand, from the last: CSV files print an amount on every
     * row, and snprintf was a good part of writing them. The magnitude is
     * unsigned so that INT64_MIN prints too. */
    unsigned long long mag = fen < 0 ? 0ULL - (unsigned long long)fen : (unsigned long long)fen;
    char text[RB_MONEY_BUFSZ], *end = text + sizeof text, *p = end;
    *--p = (char)('0' + mag % 10);
    *--p = (char)('0' + mag / 10 % 10);
    *--p = '.';
    p = rb_decimal_digits(mag / 100, p);
    if (fen < 0)
        *--p = '-';
    memcpy(buf, p, (size_t)(end - p));
    buf[end - p] = '\0';
    return buf;
}

/* Hundredths of num/den, rounded half up, in 128 bits so that no product of
 * two int64 values can overflow. */
static char *hundredths_format(__int128 num, __int128 den, char buf[RB_MONEY_BUFSZ])
{
    __int128 h = (num * 200 + den) / (den * 2);
    long long whole = (long long)(h / 100), frac = (long long)(h % 100);
    snprintf(buf, RB_MONEY_BUFSZ, "%lld.%02lld", whole, frac);
    return buf;
}

char *rb_percent_format(int64_t num, int64_t den, char buf[RB_MONEY_BUFSZ])
{
    return hundredths_format((__int128)num * 100, den, buf);
}

char *rb_ratio_format(int64_t num, int64_t den, char buf[RB_MONEY_BUFSZ])
{
    return hundredths_format(num, den, buf);
}
