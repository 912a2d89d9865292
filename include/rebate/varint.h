/* Variable-length integers for the byte records of the import's sort runs,
 * its row records and the snapshot's packed months: LEB128 (seven bits a
 * byte, low first, high bit set on every byte but the last) and zigzag for
 * signed differences. One encoder, one decoder that refuses truncated
 * input and values over 64 bits. */
#ifndef REBATE_VARINT_H
#define REBATE_VARINT_H

#include <stdbool.h>
#include <stdint.h>

#include "rebate/strbuf.h"

/* The most bytes one varint takes (a 64-bit value: 10 x 7 bits). */
#define RB_VARINT_MAX 10

/* Writes v at p, which has room for RB_VARINT_MAX bytes; returns the byte
 * after the last one written. */
unsigned char *rb_varint_put(unsigned char *p, uint64_t v);

/* Appends v to out; false when memory ran out (out unchanged). */
bool rb_varint_add(rb_strbuf *out, uint64_t v);

/* Reads one varint from *p, not reading at or past end, into *out and moves
 * *p past it. False, with *out untouched, when the input ends inside the
 * varint or it holds more than 64 bits (an eleventh byte, or a tenth byte
 * above 1): both mean corrupt data. */
bool rb_varint_get(const unsigned char **p, const unsigned char *end, uint64_t *out);

/* The zigzag code of a - b computed modulo 2^64: exact for any two int64
 * values and small when they are close (0, -1, 1, -2 ... to 0, 1, 2, 3 ...).
 * rb_zigzag_add(base, z) is its inverse: base + the difference z encodes. */
uint64_t rb_zigzag_diff(int64_t a, int64_t b);
int64_t rb_zigzag_add(int64_t base, uint64_t z);

#endif
