/* Tests of src/util/sha256.c against known digests. */
#include <stdio.h>
#include <string.h>

#include "rebate/sha256.h"
#include "test_support.h"

START_TEST(sha256_of_abc_and_empty)
{
    char hex[RB_SHA256_HEX];
    rb_sha256 *h = rb_sha256_new();
    ck_assert(h && rb_sha256_update(h, "abc", 3) && rb_sha256_finish(h, hex));
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *dir = ts_tmpdir();
    ts_write_file(dir, "empty", "", 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/empty", dir);
    rb_error err = {0};
    ck_assert_int_eq(rb_sha256_file(path, hex, &err), RB_OK);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    snprintf(path, sizeof path, "%s/none", dir);
    ck_assert_int_eq(rb_sha256_file(path, hex, &err), RB_E_NOINPUT);
    ts_rmtree(dir);
}
END_TEST

static Suite *sha_suite(void)
{
    Suite *s = suite_create("util/sha256");
    TCase *tc = tcase_create("sha256");
    tcase_add_test(tc, sha256_of_abc_and_empty);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(sha_suite)
