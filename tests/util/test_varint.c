/* Tests of src/util/varint.c: the bytes of known values, every boundary
 * between lengths round-tripped, the largest value, truncated input and
 * values over 64 bits refused without moving the cursor, and zigzag
 * differences at the ends of the int64 range. */
#include <stdint.h>
#include <string.h>

#include "rebate/strbuf.h"
#include "rebate/varint.h"
#include "test_support.h"

static size_t put(uint64_t v, unsigned char buf[RB_VARINT_MAX])
{
    return (size_t)(rb_varint_put(buf, v) - buf);
}

START_TEST(varint_known_bytes)
{
    unsigned char buf[RB_VARINT_MAX];
    ck_assert_uint_eq(put(0, buf), 1);
    ck_assert_uint_eq(buf[0], 0x00);
    ck_assert_uint_eq(put(1, buf), 1);
    ck_assert_uint_eq(buf[0], 0x01);
    ck_assert_uint_eq(put(127, buf), 1);
    ck_assert_uint_eq(buf[0], 0x7f);
    ck_assert_uint_eq(put(128, buf), 2);
    ck_assert(buf[0] == 0x80 && buf[1] == 0x01);
    ck_assert_uint_eq(put(300, buf), 2);
    ck_assert(buf[0] == 0xac && buf[1] == 0x02);
    ck_assert_uint_eq(put(16384, buf), 3);
    ck_assert(buf[0] == 0x80 && buf[1] == 0x80 && buf[2] == 0x01);
    ck_assert_uint_eq(put(UINT64_MAX, buf), RB_VARINT_MAX);
    for (int i = 0; i < 9; i++)
        ck_assert_uint_eq(buf[i], 0xff);
    ck_assert_uint_eq(buf[9], 0x01);
}
END_TEST

/* Every value on either side of a length boundary (2^7k) reads back, with
 * the cursor just past it, and takes the expected number of bytes. */
START_TEST(varint_boundaries_round_trip)
{
    unsigned char buf[RB_VARINT_MAX];
    for (int k = 1; k <= 9; k++) {
        uint64_t edge = (uint64_t)1 << (7 * k);
        uint64_t values[] = {edge - 1, edge, edge + 1};
        size_t lengths[] = {(size_t)k, (size_t)k + 1, (size_t)k + 1};
        for (int i = 0; i < 3; i++) {
            size_t n = put(values[i], buf);
            ck_assert_uint_eq(n, lengths[i]);
            const unsigned char *p = buf;
            uint64_t got = 0;
            ck_assert(rb_varint_get(&p, buf + n, &got));
            ck_assert_uint_eq(got, values[i]);
            ck_assert_ptr_eq(p, buf + n);
        }
    }
    uint64_t top[] = {INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX - 1, UINT64_MAX};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
        size_t n = put(top[i], buf);
        const unsigned char *p = buf;
        uint64_t got = 0;
        ck_assert(rb_varint_get(&p, buf + n, &got));
        ck_assert_uint_eq(got, top[i]);
    }
}
END_TEST

/* Input that ends inside a varint: refused, cursor and value untouched. */
START_TEST(varint_truncated)
{
    unsigned char buf[RB_VARINT_MAX];
    size_t n = put(UINT64_MAX, buf);
    for (size_t cut = 0; cut < n; cut++) {
        const unsigned char *p = buf;
        uint64_t got = 42;
        ck_assert_msg(!rb_varint_get(&p, buf + cut, &got), "accepted %zu of %zu bytes", cut, n);
        ck_assert_ptr_eq(p, buf);
        ck_assert_uint_eq(got, 42);
    }
    const unsigned char lone[] = {0x80};
    const unsigned char *p = lone;
    uint64_t got;
    ck_assert(!rb_varint_get(&p, lone + 1, &got));
}
END_TEST

/* More than 64 bits: a tenth byte above 1, or an eleventh byte. */
START_TEST(varint_overflow)
{
    uint64_t got = 42;
    const unsigned char *p;
    /* 2^64 exactly: nine 0x80 and a tenth byte 0x02 */
    unsigned char over[RB_VARINT_MAX] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02};
    p = over;
    ck_assert(!rb_varint_get(&p, over + sizeof over, &got));
    ck_assert_ptr_eq(p, over);
    ck_assert_uint_eq(got, 42);
    /* the tenth byte 0x7f: bits far above 64 */
    over[9] = 0x7f;
    p = over;
    ck_assert(!rb_varint_get(&p, over + sizeof over, &got));
    /* eleven bytes: the tenth asks for more */
    unsigned char eleven[11] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00};
    p = eleven;
    ck_assert(!rb_varint_get(&p, eleven + sizeof eleven, &got));
    /* a redundant zero-continuation, still within 64 bits, reads as 1 */
    unsigned char padded[] = {0x81, 0x00};
    p = padded;
    ck_assert(rb_varint_get(&p, padded + 2, &got));
    ck_assert_uint_eq(got, 1);
    /* the tenth byte 0x01 is the top bit: UINT64 over 2^63 */
    over[9] = 0x01;
    p = over;
    ck_assert(rb_varint_get(&p, over + sizeof over, &got));
    ck_assert_uint_eq(got, (uint64_t)1 << 63);
}
END_TEST

/* Several in a row through a strbuf, read back in order. */
START_TEST(varint_append_and_read_sequence)
{
    rb_strbuf sb = RB_STRBUF_INIT;
    uint64_t values[] = {0, 5, 127, 128, 1u << 20, UINT64_MAX, 300};
    size_t n = sizeof values / sizeof values[0];
    for (size_t i = 0; i < n; i++)
        ck_assert(rb_varint_add(&sb, values[i]));
    const unsigned char *p = (const unsigned char *)sb.buf, *end = p + sb.len;
    for (size_t i = 0; i < n; i++) {
        uint64_t got;
        ck_assert(rb_varint_get(&p, end, &got));
        ck_assert_uint_eq(got, values[i]);
    }
    ck_assert_ptr_eq(p, end);
    uint64_t got;
    ck_assert(!rb_varint_get(&p, end, &got));
    rb_strbuf_release(&sb);
}
END_TEST

START_TEST(zigzag_differences)
{
    ck_assert_uint_eq(rb_zigzag_diff(0, 0), 0);
    ck_assert_uint_eq(rb_zigzag_diff(-1, 0), 1);
    ck_assert_uint_eq(rb_zigzag_diff(1, 0), 2);
    ck_assert_uint_eq(rb_zigzag_diff(-2, 0), 3);
    ck_assert_uint_eq(rb_zigzag_diff(202101, 202012), 178);
    ck_assert_uint_eq(rb_zigzag_diff(INT64_MAX, 0), UINT64_MAX - 1);
    ck_assert_uint_eq(rb_zigzag_diff(INT64_MIN, 0), UINT64_MAX);
    int64_t samples[] = {0, 1, -1, 202012, -5000, INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1};
    size_t n = sizeof samples / sizeof samples[0];
    /* any two, even when a - b overflows int64 */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            ck_assert_int_eq(rb_zigzag_add(samples[j], rb_zigzag_diff(samples[i], samples[j])), samples[i]);
}
END_TEST

static Suite *varint_suite(void)
{
    Suite *s = suite_create("util/varint");
    TCase *tc = tcase_create("varint");
    tcase_add_test(tc, varint_known_bytes);
    tcase_add_test(tc, varint_boundaries_round_trip);
    tcase_add_test(tc, varint_truncated);
    tcase_add_test(tc, varint_overflow);
    tcase_add_test(tc, varint_append_and_read_sequence);
    tcase_add_test(tc, zigzag_differences);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(varint_suite)
