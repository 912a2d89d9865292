/* Tests of the import's external sort (src/import/sorter.c): records come
 * back complete and in key order whether they stayed in memory or went
 * through many runs on disk, a record larger than the whole buffer, an
 * empty input, and no temporary file left behind. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/sorter.h"
#include "test_support.h"

/* A record's bytes are derived from its key, so that a record coming back
 * with another's bytes is seen. */
static size_t fill_record(const rb_sort_key *key, unsigned char *out, size_t max)
{
    size_t len = (size_t)(key->k[2] % 41);
    if (len > max)
        len = max;
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)(key->k[0] + key->k[1] * 7 + key->k[2] * 13 + i);
    return len;
}

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static int key_cmp(const rb_sort_key *a, const rb_sort_key *b)
{
    for (int i = 0; i < 3; i++)
        if (a->k[i] != b->k[i])
            return a->k[i] < b->k[i] ? -1 : 1;
    return 0;
}

static int files_in(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Reads every record back: each must follow the one before in key order
 * and hold the bytes of its key (fill_record). Returns how many there
 * were; *sum (when not NULL) is the sum of k[1] + length over them. */
static uint64_t read_back_in_order(rb_sorter *s, uint64_t *sum)
{
    rb_error err;
    rb_error_clear(&err);
    rb_sort_key previous = {{0, 0, 0}};
    unsigned char bytes[64];
    uint64_t count = 0, total = 0;
    for (;;) {
        rb_sort_key key;
        const void *data;
        size_t len;
        bool got;
        ck_assert_int_eq(rb_sorter_next(s, &key, &data, &len, &got, &err), RB_OK);
        if (!got)
            break;
        ck_assert_msg(count == 0 || key_cmp(&previous, &key) < 0, "record %llu out of order",
                      (unsigned long long)count);
        size_t want = fill_record(&key, bytes, sizeof bytes);
        ck_assert_uint_eq(len, want);
        ck_assert(memcmp(data, bytes, len) == 0);
        total += key.k[1] + len;
        previous = key;
        count++;
    }
    if (sum != NULL)
        *sum = total;
    return count;
}

/* Adds n records with random keys (few distinct first words, as codes of
 * one city share their first characters; the third word unique, as a line
 * is) and checks they come back sorted and whole. Returns the runs used. */
static int sort_random(size_t n, size_t buffer)
{
    char dir[4096], template[4200];
    snprintf(dir, sizeof dir, "%s", ts_tmpdir());
    snprintf(template, sizeof template, "%s/sort-XXXXXX", dir);
    rb_sorter *s = NULL;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_sorter_open(template, buffer, &s, &err), RB_OK);
    uint64_t state = 88172645463325252u;
    unsigned char bytes[64];
    uint64_t sum_in = 0;
    for (size_t i = 0; i < n; i++) {
        rb_sort_key key = {{next_random(&state) % 5, next_random(&state), i + 1}};
        size_t len = fill_record(&key, bytes, sizeof bytes);
        sum_in += key.k[1] + len;
        ck_assert_int_eq(rb_sorter_add(s, &key, bytes, len, &err), RB_OK);
    }
    ck_assert_int_eq(rb_sorter_finish(s, &err), RB_OK);
    /* The temporary file has no name, even while the runs are read. */
    ck_assert_int_eq(files_in(dir), 0);
    uint64_t sum_out = 0;
    ck_assert_uint_eq(read_back_in_order(s, &sum_out), n);
    ck_assert_uint_eq(sum_out, sum_in);
    ck_assert_uint_eq(rb_sorter_count(s), n);
    int runs = rb_sorter_runs(s);
    rb_sorter_close(s);
    ck_assert_int_eq(files_in(dir), 0);
    ts_rmtree(dir);
    return runs;
}

START_TEST(records_in_memory_come_back_in_order)
{
    ck_assert_int_eq(sort_random(20000, 8 * 1024 * 1024), 0);
}
END_TEST

START_TEST(records_through_many_runs_come_back_in_order)
{
    /* 200,000 records of about 56 bytes (index entry included) in 64 KiB
     * at a time: about 170 runs. */
    int runs = sort_random(200000, 64 * 1024);
    ck_assert_int_gt(runs, 100);
}
END_TEST

/* Input in order (a block in order is not sorted again), reversed, and in
 * order but for its last record, in memory and through runs. */
START_TEST(already_sorted_and_reversed_input)
{
    char dir[4096], template[4200];
    snprintf(dir, sizeof dir, "%s", ts_tmpdir());
    snprintf(template, sizeof template, "%s/sort-XXXXXX", dir);
    static const size_t buffers[] = {16 * 1024, 8 * 1024 * 1024};
    for (int mode = 0; mode < 3; mode++) {
        for (size_t b = 0; b < sizeof buffers / sizeof buffers[0]; b++) {
            rb_sorter *s = NULL;
            rb_error err;
            rb_error_clear(&err);
            ck_assert_int_eq(rb_sorter_open(template, buffers[b], &s, &err), RB_OK);
            size_t n = 50000;
            for (size_t i = 0; i < n; i++) {
                /* mode 0: 1..n; mode 1: n..1; mode 2: 2..n, then 1 */
                uint64_t line = mode == 0 ? i + 1 : mode == 1 ? n - i : i + 1 < n ? i + 2 : 1;
                rb_sort_key key = {{7, 7, line}};
                ck_assert_int_eq(rb_sorter_add(s, &key, "", 0, &err), RB_OK);
            }
            ck_assert_int_eq(rb_sorter_finish(s, &err), RB_OK);
            for (size_t i = 1; i <= n; i++) {
                rb_sort_key key;
                const void *data;
                size_t len;
                bool got;
                ck_assert_int_eq(rb_sorter_next(s, &key, &data, &len, &got, &err), RB_OK);
                ck_assert(got);
                ck_assert_msg(key.k[2] == i, "mode %d, buffer %zu: record %zu has line %llu", mode, buffers[b], i,
                              (unsigned long long)key.k[2]);
            }
            rb_sorter_close(s);
        }
    }
    ts_rmtree(dir);
}
END_TEST

START_TEST(record_larger_than_the_buffer)
{
    char dir[4096], template[4200];
    snprintf(dir, sizeof dir, "%s", ts_tmpdir());
    snprintf(template, sizeof template, "%s/sort-XXXXXX", dir);
    rb_sorter *s = NULL;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_sorter_open(template, 4096, &s, &err), RB_OK);
    size_t big_len = 300000;
    unsigned char *big = malloc(big_len);
    ck_assert(big != NULL);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (unsigned char)(i * 31);
    for (uint64_t i = 0; i < 300; i++) {
        rb_sort_key key = {{0, 300 - i, i}};
        if (i == 150)
            ck_assert_int_eq(rb_sorter_add(s, &key, big, big_len, &err), RB_OK);
        else
            ck_assert_int_eq(rb_sorter_add(s, &key, &i, sizeof i, &err), RB_OK);
    }
    ck_assert_int_eq(rb_sorter_finish(s, &err), RB_OK);
    ck_assert_int_gt(rb_sorter_runs(s), 1);
    for (uint64_t k = 1; k <= 300; k++) {
        rb_sort_key key;
        const void *data;
        size_t len;
        bool got;
        ck_assert_int_eq(rb_sorter_next(s, &key, &data, &len, &got, &err), RB_OK);
        ck_assert(got);
        ck_assert_uint_eq(key.k[1], k);
        uint64_t i = 300 - k;
        if (i == 150) {
            ck_assert_uint_eq(len, big_len);
            ck_assert(memcmp(data, big, big_len) == 0);
        } else {
            ck_assert_uint_eq(len, sizeof i);
            ck_assert(memcmp(data, &i, sizeof i) == 0);
        }
    }
    rb_sort_key key;
    const void *data;
    size_t len;
    bool got = true;
    ck_assert_int_eq(rb_sorter_next(s, &key, &data, &len, &got, &err), RB_OK);
    ck_assert(!got);
    rb_sorter_close(s);
    free(big);
    ts_rmtree(dir);
}
END_TEST

/* Groups of records as an extract keeps a firm's rows (rb_sorter_group):
 * firms in random order, each firm's rows in order. mode 0: every firm's
 * rows together, so no run is sorted entry by entry; mode 1: every 50th
 * firm's rows in two interleaved halves (even months, another firm, odd
 * months), so the runs holding them are sorted; mode 2: one record a firm,
 * runs sorted. Always returned in order and whole. */
START_TEST(grouped_records_come_back_in_order)
{
    char dir[4096], template[4200];
    snprintf(dir, sizeof dir, "%s", ts_tmpdir());
    snprintf(template, sizeof template, "%s/sort-XXXXXX", dir);
    enum { FIRMS = 4000, MONTHS = 24 };
    static uint64_t order[FIRMS];
    for (int mode = 0; mode < 3; mode++) {
        uint64_t state = 1234567u + (uint64_t)mode;
        for (uint64_t f = 0; f < FIRMS; f++)
            order[f] = f;
        for (size_t f = FIRMS - 1; f > 0; f--) { /* Fisher-Yates */
            size_t j = (size_t)(next_random(&state) % (f + 1));
            uint64_t t = order[f];
            order[f] = order[j];
            order[j] = t;
        }
        rb_sorter *s = NULL;
        rb_error err;
        rb_error_clear(&err);
        ck_assert_int_eq(rb_sorter_open(template, 256 * 1024, &s, &err), RB_OK);
        rb_sorter_group(s, ~(uint64_t)0xff);
        uint64_t line = 1, n = 0;
        int months = mode == 2 ? 1 : MONTHS;
        unsigned char bytes[64];
        for (size_t f = 0; f < FIRMS; f++) {
            /* mode 1: a firm's first half, the next firm, then its second half */
            bool split = mode == 1 && order[f] % 50 == 0 && f + 1 < FIRMS;
            size_t firms[3] = {f, f + 1, f}, parts = split ? 3 : 1;
            for (size_t p = 0; p < parts; p++) {
                /* the halves interleave: the even months, then the odd ones */
                int from = split && p == 2 ? 1 : 0, step = split && p != 1 ? 2 : 1;
                uint64_t firm = order[firms[p]];
                for (int m = from; m < months; m += step) {
                    /* the firm in k[0] and k[1]'s high bits, the month in its low byte */
                    rb_sort_key key = {{firm / 7, (firm % 7) << 8 | (uint64_t)m, line++}};
                    size_t len = fill_record(&key, bytes, sizeof bytes);
                    ck_assert_int_eq(rb_sorter_add(s, &key, bytes, len, &err), RB_OK);
                    n++;
                }
            }
            f += split;
        }
        ck_assert_int_eq(rb_sorter_finish(s, &err), RB_OK);
        ck_assert_int_gt(rb_sorter_runs(s), mode == 2 ? 1 : 10);
        if (mode == 0)
            ck_assert_int_eq(rb_sorter_sorted_runs(s), 0);
        else
            ck_assert_int_gt(rb_sorter_sorted_runs(s), 0);
        ck_assert_msg(read_back_in_order(s, NULL) == n, "mode %d: records lost", mode);
        rb_sorter_close(s);
    }
    ts_rmtree(dir);
}
END_TEST

START_TEST(empty_input)
{
    rb_sorter *s = NULL;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_sorter_open("/nonexistent/sort-XXXXXX", 4096, &s, &err), RB_OK);
    ck_assert_int_eq(rb_sorter_finish(s, &err), RB_OK);
    rb_sort_key key;
    const void *data;
    size_t len;
    bool got = true;
    ck_assert_int_eq(rb_sorter_next(s, &key, &data, &len, &got, &err), RB_OK);
    ck_assert(!got);
    ck_assert_int_eq(rb_sorter_runs(s), 0);
    rb_sorter_close(s);
}
END_TEST

START_TEST(unwritable_temporary_folder_is_cantwrite)
{
    rb_sorter *s = NULL;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_sorter_open("/nonexistent/sort-XXXXXX", 4096, &s, &err), RB_OK);
    unsigned char bytes[100] = {0};
    rb_status st = RB_OK;
    for (uint64_t i = 0; i < 1000 && st == RB_OK; i++) {
        rb_sort_key key = {{i, 0, 0}};
        st = rb_sorter_add(s, &key, bytes, sizeof bytes, &err);
    }
    ck_assert_int_eq(st, RB_E_CANTWRITE);
    ck_assert_msg(strstr(err.message, "cannot create the temporary file of the import '/nonexistent/sort-") != NULL,
                  "%s", err.message);
    rb_sorter_close(s);
}
END_TEST

static Suite *sorter_suite(void)
{
    Suite *s = suite_create("import/sorter");
    TCase *tc = tcase_create("sorter");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, records_in_memory_come_back_in_order);
    tcase_add_test(tc, records_through_many_runs_come_back_in_order);
    tcase_add_test(tc, already_sorted_and_reversed_input);
    tcase_add_test(tc, record_larger_than_the_buffer);
    tcase_add_test(tc, grouped_records_come_back_in_order);
    tcase_add_test(tc, empty_input);
    tcase_add_test(tc, unwritable_temporary_folder_is_cantwrite);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(sorter_suite)
