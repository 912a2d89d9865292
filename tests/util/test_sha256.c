/* Tests of src/util/sha256.c against known digests: short vectors, the
 * empty file, a missing one, and files larger than the read buffer (64 KiB)
 * checked against FIPS 180-2's million-'a' vector and against libcrypto's
 * one-shot digest of the same bytes, sizes around the buffer's multiples. */
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    /* An open file from its first byte, wherever its offset is. */
    ts_write_file(dir, "abc", "abc", 3);
    snprintf(path, sizeof path, "%s/abc", dir);
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(lseek(fd, 0, SEEK_END), 3);
    ck_assert_int_eq(rb_sha256_fd(fd, path, hex, &err), RB_OK);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    close(fd);
    ts_rmtree(dir);
}
END_TEST

/* The read buffer of rb_sha256_file. */
#define READ_BUFFER 65536

static void write_bytes(const char *path, const unsigned char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* FIPS 180-2, appendix B.3: one million 'a' (15 full buffers and a part). */
START_TEST(sha256_of_a_million_a)
{
    size_t len = 1000000;
    unsigned char *data = malloc(len);
    ck_assert_ptr_nonnull(data);
    memset(data, 'a', len);
    const char *dir = ts_tmpdir();
    char path[4200], hex[RB_SHA256_HEX];
    snprintf(path, sizeof path, "%s/million", dir);
    write_bytes(path, data, len);
    rb_error err = {0};
    ck_assert_int_eq(rb_sha256_file(path, hex, &err), RB_OK);
    ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(data);
    ts_rmtree(dir);
}
END_TEST

/* Sizes at and around the buffer's multiples, with bytes that differ from
 * one buffer to the next: the file's digest is the one-shot digest. */
START_TEST(sha256_of_files_around_the_buffer)
{
    size_t sizes[] = {READ_BUFFER - 1, READ_BUFFER, READ_BUFFER + 1, 2 * READ_BUFFER, 3 * READ_BUFFER + 7};
    size_t max = 3 * READ_BUFFER + 7;
    unsigned char *data = malloc(max);
    ck_assert_ptr_nonnull(data);
    uint32_t x = 2463534242u; /* xorshift32, fixed seed */
    for (size_t i = 0; i < max; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        data[i] = (unsigned char)x;
    }
    const char *dir = ts_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/data", dir);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        write_bytes(path, data, sizes[k]);
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        ck_assert(EVP_Digest(data, sizes[k], md, &n, EVP_sha256(), NULL) == 1 && n == 32);
        char expected[RB_SHA256_HEX], hex[RB_SHA256_HEX];
        for (unsigned i = 0; i < n; i++)
            snprintf(expected + 2 * i, 3, "%02x", md[i]);
        rb_error err = {0};
        ck_assert_int_eq(rb_sha256_file(path, hex, &err), RB_OK);
        ck_assert_msg(strcmp(hex, expected) == 0, "%zu bytes: %s, expected %s", sizes[k], hex, expected);
        /* the running digest fed in uneven pieces gives the same */
        rb_sha256 *h = rb_sha256_new();
        ck_assert_ptr_nonnull(h);
        for (size_t at = 0, step = 1; at < sizes[k]; at += step, step = step * 3 + 1) {
            size_t piece = step < sizes[k] - at ? step : sizes[k] - at;
            ck_assert(rb_sha256_update(h, data + at, piece));
        }
        ck_assert(rb_sha256_finish(h, hex));
        ck_assert_str_eq(hex, expected);
    }
    free(data);
    ts_rmtree(dir);
}
END_TEST

static Suite *sha_suite(void)
{
    Suite *s = suite_create("util/sha256");
    TCase *tc = tcase_create("sha256");
    tcase_add_test(tc, sha256_of_abc_and_empty);
    tcase_add_test(tc, sha256_of_a_million_a);
    tcase_add_test(tc, sha256_of_files_around_the_buffer);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(sha_suite)
