/* Amounts in capital Chinese numerals (人民币大写) by the People's Bank of
 * China rules for vouchers, with the choices of docs/formats.md. */
#ifndef REBATE_WORDS_H
#define REBATE_WORDS_H

#include <stdbool.h>

#include "rebate/money.h"

/* Enough for the largest int64 amount with the 人民币 prefix. */
#define RB_WORDS_BUFSZ 256

/* Writes fen (>= 0) in words into buf, e.g. 100405 -> 壹仟零肆元零伍分,
 * prefixed with 人民币 when with_prefix. Returns false for a negative amount
 * (buf then holds ""). */
bool rb_amount_in_words(rb_fen fen, bool with_prefix, char buf[RB_WORDS_BUFSZ]);

#endif
