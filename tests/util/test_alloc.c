/* Tests of src/util/alloc.c: the wrappers allocate, the hook fails exactly
 * the n-th allocation of the chosen sources (or every one from it on), and
 * counts what it saw. */
#include <stdlib.h>
#include <string.h>

#include "rebate/alloc.h"
#include "test_support.h"

START_TEST(wrappers_allocate)
{
    rb_alloc_fail_at(0, RB_ALLOC_ANY, false);
    char *s = rb_strdup("稳岗返还");
    ck_assert_str_eq(s, "稳岗返还");
    char *t = rb_strndup("abcdef", 3);
    ck_assert_str_eq(t, "abc");
    int *z = rb_calloc(4, sizeof *z);
    ck_assert(z != NULL && z[0] == 0 && z[3] == 0);
    int *g = rb_realloc(z, 8 * sizeof *g);
    ck_assert_ptr_nonnull(g);
    void *m = rb_malloc(16);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(rb_alloc_count(), 5);
    ck_assert_uint_eq(rb_alloc_failures(), 0);
    free(s), free(t), free(g), free(m);
}
END_TEST

START_TEST(the_nth_fails_once)
{
    rb_alloc_fail_at(3, RB_ALLOC_OURS, false);
    void *p[5];
    for (int i = 0; i < 5; i++)
        p[i] = rb_malloc(8);
    ck_assert(p[0] && p[1] && p[2] == NULL && p[3] && p[4]);
    ck_assert_uint_eq(rb_alloc_count(), 5);
    ck_assert_uint_eq(rb_alloc_failures(), 1);
    for (int i = 0; i < 5; i++)
        free(p[i]);
    /* each wrapper fails the same way */
    rb_alloc_fail_at(1, RB_ALLOC_OURS, false);
    ck_assert_ptr_null(rb_strdup("x"));
    rb_alloc_fail_at(1, RB_ALLOC_OURS, false);
    ck_assert_ptr_null(rb_strndup("x", 1));
    rb_alloc_fail_at(1, RB_ALLOC_OURS, false);
    ck_assert_ptr_null(rb_calloc(1, 1));
    rb_alloc_fail_at(1, RB_ALLOC_OURS, false);
    void *keep = malloc(4);
    ck_assert_ptr_null(rb_realloc(keep, 64)); /* the old block stays the caller's */
    free(keep);
    rb_alloc_fail_at(0, RB_ALLOC_ANY, false);
}
END_TEST

START_TEST(persistent_fails_from_the_nth_on)
{
    rb_alloc_fail_at(2, RB_ALLOC_OURS, true);
    void *a = rb_malloc(8), *b = rb_malloc(8), *c = rb_malloc(8);
    ck_assert(a != NULL && b == NULL && c == NULL);
    ck_assert_uint_eq(rb_alloc_failures(), 2);
    free(a);
    rb_alloc_fail_at(0, RB_ALLOC_ANY, false);
    void *d = rb_malloc(8);
    ck_assert_ptr_nonnull(d);
    free(d);
}
END_TEST

/* Counting only SQLite's allocations leaves rebate's alone. */
START_TEST(other_sources_are_not_counted)
{
    rb_alloc_fail_at(1, RB_ALLOC_SQLITE, true);
    void *a = rb_malloc(8);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(rb_alloc_count(), 0);
    free(a);
    rb_alloc_fail_at(0, RB_ALLOC_ANY, false);
}
END_TEST

static Suite *alloc_suite(void)
{
    Suite *s = suite_create("util/alloc");
    TCase *tc = tcase_create("alloc");
    tcase_add_test(tc, wrappers_allocate);
    tcase_add_test(tc, the_nth_fails_once);
    tcase_add_test(tc, persistent_fails_from_the_nth_on);
    tcase_add_test(tc, other_sources_are_not_counted);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(alloc_suite)
