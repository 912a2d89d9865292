/* The Unified Social Credit Code (统一社会信用代码, GB 32100-2015). */
#ifndef REBATE_USCC_H
#define REBATE_USCC_H

#include <stdbool.h>
#include <stddef.h>

#include "rebate/error.h"

#define RB_USCC_LEN 18

/* Upper-cases the len bytes at text into out (RB_USCC_LEN + 1 bytes) and
 * checks the character set and the check character. Returns true when the
 * result is a valid code. On false, out holds the upper-cased text when it was
 * 18 ASCII bytes long, else "". */
bool rb_uscc_normalize(const char *text, size_t len, char out[RB_USCC_LEN + 1]);

/* The check character for the first 17 characters (upper case, from the
 * code set), or '\0' when one of them is not in the set. */
char rb_uscc_check_char(const char first17[17]);

/* A code a person gave (a clerk's --uscc, a code handed to the firm
 * reader): normalised into out, or RB_E_USAGE with one sentence saying what
 * is wrong (its length, a character outside the set, the check character
 * it should have), so that the clerk sees a typo rather than "no such
 * firm". */
rb_status rb_uscc_parse(const char *text, char out[RB_USCC_LEN + 1], rb_error *err);

#endif
