/* Amounts in capital Chinese numerals (人民币大写) for the payout file, the
 * summary and `rebate words`: the PBoC voucher rules with the choices of
 * docs/formats.md, in integer arithmetic only.
 *
 * The amount is read as one stream of digits, yuan then 角 then 分, from the
 * most significant down:
 * - a non-zero digit is written with its place (拾佰仟 inside a group of four);
 * - a run of zeros after a non-zero digit leaves one pending 零, written only
 *   when another non-zero digit follows (so trailing zeros give nothing, and
 *   the PBoC-optional 零 at the 万 or 元 place and before 角 is always written);
 * - group names close each group of four yuan digits: 万 after the 10^4,
 *   10^12, ... groups when that group holds a non-zero digit, 亿 after the
 *   10^8 and 10^16 groups always (the part above is then non-zero).
 *
 * Groups from 10^12 yuan up use the X万Y亿 form: the number of 亿 is written
 * as an ordinary number, followed by one 亿 (12,4124,1241,2421 yuan ->
 * 壹拾贰万肆仟壹佰贰拾肆亿...). Past 10^16 yuan the same rule simply goes on:
 * the number of 亿 then itself has a 亿 group, so 10^16 yuan is 壹亿亿元整 and
 * INT64_MAX fen (9,2233,7203,6854,7758.07 yuan) is
 * 玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零柒分,
 * read as (9,2233,7203)亿 + 6854,7758 元. No unit past 亿 (兆, 京) is used:
 * their meaning differs between usages, 亿亿 does not. */
#include <string.h>

#include "rebate/words.h"

static const char *const DIGITS[10] = {"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"};
/* Place inside a group of four yuan digits: ones, tens, hundreds, thousands. */
static const char *const PLACES[4] = {"", "拾", "佰", "仟"};

/* The text built so far; never overflows: the longest amount needs about
 * 160 bytes of the RB_WORDS_BUFSZ (checked by the tests with INT64_MAX). */
typedef struct words_out {
    char *buf;
    size_t len;
    bool overflow; /* would have passed the end (a bug): the result is refused */
} words_out;

static void put(words_out *out, const char *s)
{
    size_t n = strlen(s);
    if (out->len + n + 1 > RB_WORDS_BUFSZ) {
        out->overflow = true;
        return;
    }
    memcpy(out->buf + out->len, s, n + 1);
    out->len += n;
}

/* One digit of the stream: zero leaves a pending 零 once something non-zero
 * was written; a non-zero digit writes the pending 零 first. */
static void put_digit(words_out *out, int digit, const char *place, bool *written, bool *pending_zero)
{
    if (digit == 0) {
        if (*written)
            *pending_zero = true;
        return;
    }
    if (*pending_zero)
        put(out, "零");
    *pending_zero = false;
    put(out, DIGITS[digit]);
    put(out, place);
    *written = true;
}

/* True when the group of four yuan digits starting at index first (its ones
 * place) holds a non-zero digit. */
static bool group_nonzero(const int *digits, int n_digits, int first)
{
    for (int i = first; i < first + 4 && i < n_digits; i++)
        if (digits[i] != 0)
            return true;
    return false;
}

bool rb_amount_in_words(rb_fen fen, bool with_prefix, char buf[RB_WORDS_BUFSZ])
{
    buf[0] = '\0';
    if (fen < 0)
        return false;
    words_out out = {buf, 0, false};
    if (with_prefix)
        put(&out, "人民币");
    if (fen == 0) {
        put(&out, "零元整");
        return !out.overflow;
    }

    int64_t yuan = fen / 100;
    int jiao = (int)(fen / 10 % 10);
    int fen_digit = (int)(fen % 10);

    /* Yuan digits, least significant first: at most 17 for INT64_MAX fen. */
    int digits[20] = {0};
    int n_digits = 0;
    for (int64_t rest = yuan; rest > 0; rest /= 10)
        digits[n_digits++] = (int)(rest % 10);

    bool written = false, pending_zero = false;
    for (int i = n_digits - 1; i >= 0; i--) {
        put_digit(&out, digits[i], PLACES[i % 4], &written, &pending_zero);
        if (i % 4 != 0 || i == 0)
            continue;
        int group = i / 4;
        if (group % 2 == 0) {
            /* 亿 (10^8, 10^16): the digits above it include the leading one. */
            put(&out, "亿");
        } else if (group_nonzero(digits, n_digits, i)) {
            /* 万 (10^4, 10^12): only when this group holds a non-zero digit. */
            put(&out, "万");
        }
    }
    if (yuan > 0)
        put(&out, "元");
    put_digit(&out, jiao, "角", &written, &pending_zero);
    put_digit(&out, fen_digit, "分", &written, &pending_zero);
    if (jiao == 0 && fen_digit == 0)
        put(&out, "整");
    if (out.overflow) {
        buf[0] = '\0';
        return false;
    }
    return true;
}
