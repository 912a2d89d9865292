/* A night imported by patching the last snapshot (src/import/patch.c)
 * decides exactly as a night imported whole: generated nights with random
 * changes (bench/gen_extracts --night K) go into two databases, one
 * importing as the nightly job does (the changed lines only), the other
 * made to read every line; after each night both run the same batch, and
 * their decisions.csv, payout.csv and exceptions.csv are the same bytes and
 * their snapshots the same rows. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/strbuf.h"
#include "test_support.h"

#define FIRMS "2000"
#define NIGHTS 4

static const char *work;

typedef struct side {
    char db[4300], out[4300];
} side;

static void generate(int night, const char *changed)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' --firms " FIRMS " --seed 90210 --policy-year 2024 --out '%s/night%d' --night %d --changed %s"
             " >/dev/null",
             REBATE_GEN_EXTRACTS, work, night, night, changed);
    ck_assert_int_eq(system(cmd), 0);
}

/* Imports night into s; whole: the snapshot's fingerprints are dropped
 * first, so that every line is read. Returns whether only changed lines
 * were read. */
static bool import_night(const side *s, int night, bool whole)
{
    if (whole) {
        char snapshot[4400];
        snprintf(snapshot, sizeof snapshot, "%s.snapshot", s->db);
        sqlite3 *c = NULL;
        if (sqlite3_open_v2(snapshot, &c, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
            ck_assert_int_eq(sqlite3_exec(c, "DELETE FROM snapshot_lines", NULL, NULL, NULL), SQLITE_OK);
        }
        sqlite3_close(c);
    }
    char data[4300];
    snprintf(data, sizeof data, "%s/night%d", work, night);
    char *out = NULL, *err = NULL;
    int rc = ts_run_rebate(&out, &err, "import", "--db", s->db, data, (char *)NULL);
    ck_assert_msg(rc == 0, "import of night %d: %s", night, err ? err : "");
    bool patched = strstr(out, "Only changed lines:") != NULL;
    free(out);
    free(err);
    return patched;
}

static void run_night(const side *s, int night)
{
    char as_of[32];
    snprintf(as_of, sizeof as_of, "2026-11-%02d", night + 1);
    char *err = NULL;
    int rc = ts_run_rebate(NULL, &err, "run", "--db", s->db, "--year", "2024", "--out", s->out, "--as-of", as_of,
                           (char *)NULL);
    ck_assert_msg(rc == 0, "run of night %d: %s", night, err ? err : "");
    free(err);
}

static void same_file(const side *a, const side *b, int night, const char *file)
{
    char pa[9000], pb[9000];
    snprintf(pa, sizeof pa, "%s/2024-202611%02d-001/%s", a->out, night + 1, file);
    snprintf(pb, sizeof pb, "%s/2024-202611%02d-001/%s", b->out, night + 1, file);
    size_t la = 0, lb = 0;
    char *ta = ts_read_file(pa, &la), *tb = ts_read_file(pb, &lb);
    ck_assert_msg(ta != NULL && tb != NULL, "night %d: %s missing", night, file);
    ck_assert_msg(la == lb && memcmp(ta, tb, la) == 0, "night %d: %s differs", night, file);
    free(ta);
    free(tb);
}

/* Every row of the snapshot's tables, in key order, as text. */
static char *snapshot_rows(const side *s)
{
    static const char *const queries[] = {
        "SELECT * FROM registration ORDER BY uscc",
        "SELECT * FROM insured_units ORDER BY uscc",
        "SELECT uscc, months, hex(packed) FROM contribution_months ORDER BY uscc",
        "SELECT file, line, column_name, value, rule, message, uscc_field, uscc, uscc_prefix FROM row_errors"
        " ORDER BY file, line, rule, column_name",
        "SELECT * FROM duplicate_rows ORDER BY file, line",
        "SELECT file, sha256, encoding, rows_read, rows_loaded, rows_rejected, rows_duplicate, rows_conflicting"
        " FROM snapshot_import_files ORDER BY file",
    };
    char snapshot[4400];
    snprintf(snapshot, sizeof snapshot, "%s.snapshot", s->db);
    sqlite3 *c = NULL;
    ck_assert_int_eq(sqlite3_open_v2(snapshot, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    rb_strbuf text = RB_STRBUF_INIT;
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        sqlite3_stmt *q = NULL;
        ck_assert_int_eq(sqlite3_prepare_v2(c, queries[i], -1, &q, NULL), SQLITE_OK);
        while (sqlite3_step(q) == SQLITE_ROW) {
            for (int k = 0; k < sqlite3_column_count(q); k++) {
                const char *v = (const char *)sqlite3_column_text(q, k);
                ck_assert(rb_strbuf_addf(&text, "%s|", v ? v : "NULL"));
            }
            ck_assert(rb_strbuf_addch(&text, '\n'));
        }
        sqlite3_finalize(q);
    }
    sqlite3_close(c);
    return text.buf;
}

START_TEST(patched_nights_decide_as_whole_imports)
{
    work = ts_tmpdir();
    side a, b;
    snprintf(a.db, sizeof a.db, "%s/a.db", work);
    snprintf(a.out, sizeof a.out, "%s/out-a", work);
    snprintf(b.db, sizeof b.db, "%s/b.db", work);
    snprintf(b.out, sizeof b.out, "%s/out-b", work);
    ts_init_db(a.db);
    ts_init_db(b.db);
    int patched_nights = 0;
    for (int night = 1; night <= NIGHTS; night++) {
        generate(night, "20");
        bool patched = import_night(&a, night, false);
        ck_assert_msg(!import_night(&b, night, true), "night %d: the whole import patched", night);
        ck_assert_msg(patched == (night > 1), "night %d: patched %d", night, patched);
        patched_nights += patched;
        char *rows_a = snapshot_rows(&a), *rows_b = snapshot_rows(&b);
        ck_assert_msg(strcmp(rows_a, rows_b) == 0, "night %d: the snapshots differ", night);
        free(rows_a);
        free(rows_b);
        run_night(&a, night);
        run_night(&b, night);
        same_file(&a, &b, night, "decisions.csv");
        same_file(&a, &b, night, "payout.csv");
        same_file(&a, &b, night, "exceptions.csv");
    }
    ck_assert_int_eq(patched_nights, NIGHTS - 1);
    ts_rmtree(work);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("import: patched nights");
    TCase *tc = tcase_create("patched_nights");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, patched_nights_decide_as_whole_imports);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
