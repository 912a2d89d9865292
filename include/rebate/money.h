/* Money: integer fen (1/100 yuan) in 64 bits, parsed from and written as
 * yuan text without ever passing through floating point. */
#ifndef REBATE_MONEY_H
#define REBATE_MONEY_H

#include <stdint.h>
#include <stddef.h>

typedef int64_t rb_fen;

#define RB_FEN_MAX INT64_MAX

/* Why a money field was refused. */
typedef enum rb_money_result {
    RB_MONEY_OK = 0,
    RB_MONEY_EMPTY,   /* nothing given */
    RB_MONEY_FORMAT,  /* not digits[.d[d]]: sign, separator, exponent, full-width, ... */
    RB_MONEY_RANGE    /* more than 2^63-1 fen */
} rb_money_result;

/* Parses yuan as docs/formats.md writes it (`1234`, `1234.5`, `007.50`) from the
 * len bytes at text into *out (whole fen). *out is untouched on failure. */
rb_money_result rb_money_parse(const char *text, size_t len, rb_fen *out);

/* Writes fen as yuan with exactly two decimals ("4800.00", "-0.05") into buf,
 * which must hold RB_MONEY_BUFSZ bytes; returns buf. */
#define RB_MONEY_BUFSZ 32
char *rb_money_format(rb_fen fen, char buf[RB_MONEY_BUFSZ]);

/* Writes the decimal digits of v backwards, the last just before end, and
 * returns where the first is (no sign, no NUL): the one digit loop of the
 * amounts, the CSV files' integers and the inputs' digest. */
char *rb_decimal_digits(unsigned long long v, char *end);

/* Writes num/den as a percent with two decimals, rounded half up
 * (1/3 -> "33.33", 3/8 -> "37.50"), into buf; den must be > 0, num >= 0. */
char *rb_percent_format(int64_t num, int64_t den, char buf[RB_MONEY_BUFSZ]);

/* Writes num/den with two decimals, rounded half up (17/2 -> "8.50"). */
char *rb_ratio_format(int64_t num, int64_t den, char buf[RB_MONEY_BUFSZ]);

#endif
