/* Tests of the benchmark data generator (bench/gen_extracts.c): the same
 * seed gives the same bytes, --shuffle gives the same rows in another order,
 * another seed gives other data, the extracts import cleanly, and a later
 * night (--night K) changes a few firms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

static const char *work;

static void generate(const char *name, const char *seed, const char *extra)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' --firms 500 --seed %s --policy-year 2023 --out '%s/%s' %s >/dev/null",
             REBATE_GEN_EXTRACTS, seed, work, name, extra);
    ck_assert_int_eq(system(cmd), 0);
}

static int sh(const char *fmt, const char *a, const char *b)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, fmt, work, a, work, b);
    return system(cmd);
}

START_TEST(same_seed_same_bytes_and_shuffle_same_rows)
{
    work = ts_tmpdir();
    generate("a", "5", "");
    generate("b", "5", "");
    generate("s", "5", "--shuffle");
    generate("other", "6", "");
    static const char *files[] = {"registration.csv", "insured_units.csv", "contributions.csv"};
    for (int i = 0; i < 3; i++) {
        char a[64], b[64];
        snprintf(a, sizeof a, "a/%s", files[i]);
        snprintf(b, sizeof b, "b/%s", files[i]);
        ck_assert_msg(sh("cmp -s '%s/%s' '%s/%s'", a, b) == 0, "%s differs for the same seed", files[i]);
        snprintf(b, sizeof b, "s/%s", files[i]);
        ck_assert_msg(sh("cmp -s '%s/%s' '%s/%s'", a, b) != 0, "%s was not shuffled", files[i]);
        ck_assert_msg(sh("sort '%s/%s' > /tmp/.gen_a.$$ && sort '%s/%s' | cmp -s - /tmp/.gen_a.$$; r=$?; rm -f /tmp/.gen_a.$$; exit $r",
                         a, b) == 0,
                      "%s: --shuffle changed the rows", files[i]);
        snprintf(b, sizeof b, "other/%s", files[i]);
        ck_assert_msg(sh("cmp -s '%s/%s' '%s/%s'", a, b) != 0, "%s is the same for another seed", files[i]);
    }
    /* The extracts import, with the planted bad rows recorded, not refused. */
    char db[4300], dir[4300];
    snprintf(db, sizeof db, "%s/a.db", work);
    snprintf(dir, sizeof dir, "%s/a", work);
    ts_init_db(db);
    char *out = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "import", "--db", db, dir, (char *)NULL), 0);
    free(out);
    sqlite3 *h = NULL;
    h = ts_open_db(db); /* the snapshot attached */
    ck_assert_int_gt(ts_query_int(h, "SELECT count(*) FROM contributions"), 500 * 12);
    ck_assert_int_gt(ts_query_int(h, "SELECT count(*) FROM row_errors"), 0);
    ck_assert_int_eq(ts_query_int(h, "SELECT count(*) FROM import_files WHERE rows_read <> rows_loaded + "
                                     "rows_rejected + rows_duplicate + rows_conflicting"),
                     0);
    sqlite3_close(h);
    ts_rmtree(work);
}
END_TEST

/* --night K: the first night's rows but for a few firms; night 3 adds a
 * night of changes to night 2's; --changed 0 changes nothing. */
START_TEST(later_nights_change_a_few_firms)
{
    work = ts_tmpdir();
    generate("n1", "5", "");
    generate("n2", "5", "--night 2 --changed 50");
    generate("n2again", "5", "--night 2 --changed 50");
    generate("n3", "5", "--night 3 --changed 50");
    generate("quiet", "5", "--night 2 --changed 0");
    static const char *files[] = {"registration.csv", "insured_units.csv", "contributions.csv"};
    int differing = 0;
    for (int i = 0; i < 3; i++) {
        char a[64], b[64];
        snprintf(a, sizeof a, "n2/%s", files[i]);
        snprintf(b, sizeof b, "n2again/%s", files[i]);
        ck_assert_msg(sh("cmp -s '%s/%s' '%s/%s'", a, b) == 0, "%s: night 2 differs between two runs", files[i]);
        snprintf(a, sizeof a, "n1/%s", files[i]);
        snprintf(b, sizeof b, "quiet/%s", files[i]);
        ck_assert_msg(sh("cmp -s '%s/%s' '%s/%s'", a, b) == 0, "%s changed with --changed 0", files[i]);
        snprintf(b, sizeof b, "n2/%s", files[i]);
        /* lines of night 2 not in night 1: a few, not most */
        int changed = sh("test $(sort '%s/%s' | comm -13 - \"$(sort '%s/%s' > /tmp/.gen_n.$$; echo /tmp/.gen_n.$$)\""
                         " | wc -l) -lt 200; r=$?; rm -f /tmp/.gen_n.$$; exit $r",
                         a, b);
        ck_assert_msg(changed == 0, "%s: night 2 changed too many rows", files[i]);
        differing += sh("cmp -s '%s/%s' '%s/%s'", a, b) != 0;
        snprintf(a, sizeof a, "n3/%s", files[i]);
        differing += sh("cmp -s '%s/%s' '%s/%s'", a, b) != 0;
    }
    ck_assert_int_ge(differing, 4);
    ts_rmtree(work);
}
END_TEST

static Suite *gen_suite(void)
{
    Suite *s = suite_create("bench/gen_extracts");
    TCase *tc = tcase_create("gen_extracts");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, same_seed_same_bytes_and_shuffle_same_rows);
    tcase_add_test(tc, later_nights_change_a_few_firms);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(gen_suite)
