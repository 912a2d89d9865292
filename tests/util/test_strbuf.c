/* Tests of src/util/strbuf.c: adding bytes, strings and formatted text,
 * with and without room left in the buffer, and a failed allocation that
 * leaves the string as it was. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/alloc.h"
#include "rebate/strbuf.h"
#include "test_support.h"

START_TEST(add_bytes_strings_and_characters)
{
    rb_strbuf sb;
    rb_strbuf_init(&sb);
    ck_assert_str_eq(sb.buf, "");
    ck_assert(rb_strbuf_add(&sb, "ab\0c", 4));
    ck_assert_uint_eq(sb.len, 4);
    ck_assert(memcmp(sb.buf, "ab\0c", 5) == 0);
    rb_strbuf_reset(&sb);
    ck_assert(rb_strbuf_adds(&sb, "稳岗") && rb_strbuf_addch(&sb, '-'));
    ck_assert_str_eq(sb.buf, "稳岗-");
    rb_strbuf_release(&sb);
    ck_assert_str_eq(sb.buf, "");
    ck_assert_uint_eq(sb.alloc, 0);
}
END_TEST

/* Every length of formatted text from 0 to 300 appended after every length
 * of text already there from 0 to 130: the room left in the buffer is then
 * short, exact (the text and its NUL just fit), one byte short, and ample,
 * and each result must be what snprintf makes. */
START_TEST(addf_as_snprintf_whatever_room_is_left)
{
    char text[301], expected[512];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    for (size_t before = 0; before <= 130; before++) {
        for (size_t len = 0; len <= 300; len++) {
            rb_strbuf sb;
            rb_strbuf_init(&sb);
            ck_assert(rb_strbuf_add(&sb, text, before));
            ck_assert(rb_strbuf_addf(&sb, "%.*s|%d", (int)len, text, (int)len));
            snprintf(expected, sizeof expected, "%.*s%.*s|%d", (int)before, text, (int)len, text, (int)len);
            ck_assert_str_eq(sb.buf, expected);
            ck_assert_uint_eq(sb.len, strlen(expected));
            ck_assert_uint_lt(sb.len, sb.alloc);
            rb_strbuf_release(&sb);
        }
    }
}
END_TEST

START_TEST(addf_appends_in_place_when_it_fits)
{
    rb_strbuf sb;
    rb_strbuf_init(&sb);
    ck_assert(rb_strbuf_addf(&sb, "%s", "a"));
    char *first = sb.buf;
    size_t alloc = sb.alloc;
    ck_assert(rb_strbuf_addf(&sb, "%d年%d月", 2023, 7));
    ck_assert_str_eq(sb.buf, "a2023年7月");
    ck_assert_ptr_eq(sb.buf, first);
    ck_assert_uint_eq(sb.alloc, alloc);
    rb_strbuf_release(&sb);
}
END_TEST

/* A formatted text longer than the room left, whose growth fails: the
 * string keeps its bytes and its end, not the piece that was cut off. */
START_TEST(addf_that_cannot_grow_leaves_the_string)
{
    rb_strbuf sb;
    rb_strbuf_init(&sb);
    ck_assert(rb_strbuf_adds(&sb, "kept"));
    size_t alloc = sb.alloc;
    char longer[200];
    memset(longer, 'y', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    rb_alloc_fail_at(1, RB_ALLOC_OURS, false);
    bool ok = rb_strbuf_addf(&sb, "%s", longer);
    uint64_t failures = rb_alloc_failures();
    rb_alloc_fail_at(0, RB_ALLOC_ANY, false);
    ck_assert(!ok);
    ck_assert_uint_eq(failures, 1);
    ck_assert_str_eq(sb.buf, "kept");
    ck_assert_uint_eq(sb.len, 4);
    ck_assert_uint_eq(sb.alloc, alloc);
    ck_assert(rb_strbuf_addf(&sb, "%s", longer));
    ck_assert_uint_eq(sb.len, 4 + strlen(longer));
    ck_assert(strncmp(sb.buf, "kepty", 5) == 0);
    rb_strbuf_release(&sb);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("util/strbuf");
    TCase *tc = tcase_create("strbuf");
    tcase_add_test(tc, add_bytes_strings_and_characters);
    tcase_add_test(tc, addf_as_snprintf_whatever_room_is_left);
    tcase_add_test(tc, addf_appends_in_place_when_it_fits);
    tcase_add_test(tc, addf_that_cannot_grow_leaves_the_string);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
