/* libFuzzer harness for rb_amount_in_words: the first 8 bytes are an int64
 * amount in fen, bit 0 of the 9th (when given) asks for the 人民币 prefix.
 * Checked: a negative amount is refused with ""; any other gives UTF-8 text
 * that starts with 人民币 exactly when asked, uses only the characters of
 * docs/formats.md, never doubles or ends a run with 零, ends in 整, 角 or 分, and
 * reads back, with a reader written here, to the same number of fen. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/text.h"
#include "rebate/words.h"

#define PREFIX "人民币"

static void fail(const char *what, int64_t fen, bool prefix, const char *words)
{
    fprintf(stderr, "fuzz_words: %s: %lld fen%s gave '%s'\n", what, (long long)fen, prefix ? " (prefix)" : "",
            words);
    abort();
}

/* The characters of the words, each one 3-byte UTF-8 character. */
static const char *const DIGITS[10] = {"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"};

static int digit_of(const char *c)
{
    for (int d = 0; d < 10; d++)
        if (memcmp(c, DIGITS[d], 3) == 0)
            return d;
    return -1;
}

static bool is(const char *c, const char *word)
{
    return memcmp(c, word, 3) == 0;
}

/* Value of yuan words without 亿 or 万 (below 10^4): digits with 拾佰仟,
 * 零 only a place holder. -1 when malformed. */
static __int128 read_small(const char *s, size_t n)
{
    __int128 v = 0;
    int pending = -1; /* a digit waiting for its place */
    for (size_t i = 0; i < n; i += 3) {
        int d = digit_of(s + i);
        if (d == 0)
            continue;
        if (d > 0) {
            if (pending >= 0)
                return -1; /* two digits in a row */
            pending = d;
            continue;
        }
        int place = is(s + i, "拾") ? 10 : is(s + i, "佰") ? 100 : is(s + i, "仟") ? 1000 : 0;
        if (place == 0 || pending < 0)
            return -1;
        v += (__int128)pending * place;
        pending = -1;
    }
    if (pending >= 0)
        v += pending;
    return v;
}

/* Value of yuan words: split at the last 亿, then at the last 万. */
static __int128 read_yuan(const char *s, size_t n)
{
    for (size_t i = n; i >= 3; i -= 3) {
        if (is(s + i - 3, "亿")) {
            __int128 high = read_yuan(s, i - 3), low = read_yuan(s + i, n - i);
            if (high <= 0 || low < 0 || low >= 100000000)
                return -1;
            return high * 100000000 + low;
        }
    }
    for (size_t i = n; i >= 3; i -= 3) {
        if (is(s + i - 3, "万")) {
            __int128 high = read_small(s, i - 3), low = read_small(s + i, n - i);
            if (high <= 0 || low < 0)
                return -1;
            return high * 10000 + low;
        }
    }
    return read_small(s, n);
}

static void check(int64_t fen, bool prefix)
{
    char buf[RB_WORDS_BUFSZ];
    memset(buf, 'x', sizeof buf);
    bool ok = rb_amount_in_words(fen, prefix, buf);
    if (fen < 0) {
        if (ok || buf[0] != '\0')
            fail("a negative amount was not refused", fen, prefix, buf);
        return;
    }
    if (!ok)
        fail("refused", fen, prefix, buf);
    size_t len = strnlen(buf, sizeof buf);
    if (len == sizeof buf)
        fail("not terminated", fen, prefix, "");
    if (!rb_utf8_valid(buf, len, NULL) || len % 3 != 0)
        fail("not UTF-8 of 3-byte characters", fen, prefix, buf);
    const char *s = buf;
    size_t n = len;
    bool has_prefix = n >= strlen(PREFIX) && memcmp(s, PREFIX, strlen(PREFIX)) == 0;
    if (has_prefix != prefix)
        fail("人民币 prefix does not match the request", fen, prefix, buf);
    if (has_prefix)
        s += strlen(PREFIX), n -= strlen(PREFIX);
    if (n == 0)
        fail("no words", fen, prefix, buf);
    if (fen == 0) {
        if (strcmp(s, "零元整") != 0)
            fail("zero is not 零元整", fen, prefix, buf);
        return;
    }
    /* Only the characters of docs/formats.md; 零 never twice in a row, never
     * first, never before a unit or at the end. */
    static const char allowed[] = "零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整";
    for (size_t i = 0; i < n; i += 3) {
        bool found = false;
        for (size_t k = 0; k + 3 <= strlen(allowed); k += 3)
            found = found || memcmp(s + i, allowed + k, 3) == 0;
        if (!found)
            fail("a character outside docs/formats.md", fen, prefix, buf);
        if (is(s + i, "零")) {
            if (i == 0 || i + 3 >= n || digit_of(s + i + 3) <= 0)
                fail("a 零 not between two non-zero digits", fen, prefix, buf);
        }
    }
    /* Tail: [yuan 元] [零] [d 角] [零] [d 分] | 整 */
    bool whole = n >= 3 && is(s + n - 3, "整");
    if (whole)
        n -= 3;
    int64_t fen_digit = 0, jiao = 0;
    if (n >= 6 && is(s + n - 3, "分")) {
        fen_digit = digit_of(s + n - 6);
        if (fen_digit <= 0)
            fail("分 without a digit", fen, prefix, buf);
        n -= 6;
        if (n >= 3 && is(s + n - 3, "零"))
            n -= 3;
    }
    if (n >= 6 && is(s + n - 3, "角")) {
        jiao = digit_of(s + n - 6);
        if (jiao <= 0)
            fail("角 without a digit", fen, prefix, buf);
        n -= 6;
        if (n >= 3 && is(s + n - 3, "零"))
            n -= 3;
    }
    if (whole != (jiao == 0 && fen_digit == 0))
        fail("整 exactly when there are no 角 and no 分", fen, prefix, buf);
    __int128 yuan = 0;
    if (n > 0) {
        if (n < 6 || !is(s + n - 3, "元"))
            fail("yuan words without 元", fen, prefix, buf);
        yuan = read_yuan(s, n - 3);
        if (yuan <= 0)
            fail("unreadable yuan words", fen, prefix, buf);
    }
    if (yuan * 100 + jiao * 10 + fen_digit != fen)
        fail("the words read back to another amount", fen, prefix, buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    int64_t fen;
    memcpy(&fen, data, sizeof fen);
    bool prefix = size > 8 && (data[8] & 1);
    check(fen, prefix);
    /* Small amounts are where the 零 rules bite: also the value modulo 10^8. */
    if (fen > 0)
        check(fen % 100000000, !prefix);
    return 0;
}
