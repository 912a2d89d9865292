/* Decisions do not depend on chance or on the order of the extracts' rows:
 * a generated data set (bench/gen_extracts) is imported once as written and
 * once shuffled; dry runs on both give byte-identical decisions.csv and
 * payout.csv, and so do two dry runs on the same database.
 * REBATE_DETERMINISM_FIRMS sets the size (default 100000, as issue #3 asks). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

static const char *work;

static void generate(const char *name, int shuffle, const char *firms)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' --firms %s --seed 20261127 --policy-year 2024 --out '%s/%s' %s >/dev/null",
             REBATE_GEN_EXTRACTS, firms, work, name, shuffle ? "--shuffle" : "");
    ck_assert_int_eq(system(cmd), 0);
}

static void import(const char *name)
{
    char db[4300], dir[4300];
    snprintf(db, sizeof db, "%s/%s.db", work, name);
    snprintf(dir, sizeof dir, "%s/%s", work, name);
    ts_init_db(db);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", db, dir, (char *)NULL), 0);
}

static void preview(const char *name)
{
    char db[4300], out[4300];
    snprintf(db, sizeof db, "%s/%s.db", work, name);
    snprintf(out, sizeof out, "%s/out-%s", work, name);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", db, "--year", "2024", "--out", out, "--as-of",
                                   "2026-11-27", "--dry-run", (char *)NULL),
                     0);
}

static char *batch_file(const char *name, const char *folder, const char *file)
{
    char path[8600];
    snprintf(path, sizeof path, "%s/out-%s/%s/%s", work, name, folder, file);
    char *text = ts_read_file(path, NULL);
    ck_assert_msg(text != NULL, "missing %s", path);
    return text;
}

START_TEST(decisions_do_not_depend_on_row_order_or_on_the_run)
{
    const char *firms = getenv("REBATE_DETERMINISM_FIRMS");
    if (firms == NULL || *firms == '\0')
        firms = "100000";
    work = ts_tmpdir();
    generate("ordered", 0, firms);
    generate("shuffled", 1, firms);
    import("ordered");
    import("shuffled");
    preview("ordered");
    preview("ordered");
    preview("shuffled");
    const char *first = "PREVIEW-2024-20261127-001", *second = "PREVIEW-2024-20261127-001-2";
    char *a = batch_file("ordered", first, "decisions.csv");
    char *b = batch_file("ordered", second, "decisions.csv");
    char *c = batch_file("shuffled", first, "decisions.csv");
    ck_assert_msg(strlen(a) > 1000, "too few decisions");
    ck_assert_msg(strcmp(a, b) == 0, "two runs on the same data decided differently");
    ck_assert_msg(strcmp(a, c) == 0, "the order of the extracts' rows changed the decisions");
    free(b);
    free(c);
    char *pa = batch_file("ordered", first, "payout.csv");
    char *pc = batch_file("shuffled", first, "payout.csv");
    ck_assert_msg(strcmp(pa, pc) == 0, "the order of the extracts' rows changed payout.csv");
    /* The generator's mix reaches every outcome. */
    ck_assert(strstr(a, ",PAY,") && strstr(a, ",REVIEW,") && strstr(a, ",REJECT,") && strstr(a, ",SKIP,"));
    free(a);
    free(pa);
    free(pc);
    ts_rmtree(work);
}
END_TEST

static Suite *determinism_suite(void)
{
    Suite *s = suite_create("cli/determinism");
    TCase *tc = tcase_create("determinism");
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, decisions_do_not_depend_on_row_order_or_on_the_run);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(determinism_suite)
