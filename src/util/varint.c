/* The varints of rebate/varint.h: LEB128 with an overflow-checked decoder,
 * and zigzag differences computed without signed overflow. */
#include <string.h>

#include "rebate/varint.h"

unsigned char *rb_varint_put(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

bool rb_varint_add(rb_strbuf *out, uint64_t v)
{
    unsigned char buf[RB_VARINT_MAX];
    return rb_strbuf_add(out, buf, (size_t)(rb_varint_put(buf, v) - buf));
}

bool rb_varint_get(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
    const unsigned char *q = *p;
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (q == end)
            return false;
        unsigned char byte = *q++;
        /* The tenth byte holds bit 63 only: anything more, a continuation
         * included, is a value over 64 bits. */
        if (shift == 63 && byte > 1)
            return false;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            *p = q;
            return true;
        }
    }
    return false;
}

uint64_t rb_zigzag_diff(int64_t a, int64_t b)
{
    uint64_t d = (uint64_t)a - (uint64_t)b;
    uint64_t sign = (uint64_t)0 - (d >> 63);
    return (d << 1) ^ sign;
}

int64_t rb_zigzag_add(int64_t base, uint64_t z)
{
    uint64_t d = (z >> 1) ^ ((uint64_t)0 - (z & 1));
    uint64_t v = (uint64_t)base + d;
    int64_t out;
    memcpy(&out, &v, sizeof out); /* two's complement, without an implementation-defined conversion */
    return out;
}
