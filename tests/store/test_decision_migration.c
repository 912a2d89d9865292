/* Migration 009 (sql/009_decision_changes.sql) on a database of the old
 * shape: one decisions row per firm and batch, no batch numbers. Opening it
 * with this program keeps every row, numbers the batches in the order they
 * were made, marks them as keeping all their decisions; the old batch is
 * still rebuilt (without names, which it never recorded), and the next run
 * records a GONE row for a firm of the old batch that left the population. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/db.h"
#include "rebate/sql_files.h"
#include "test_support.h"

/* The database as migrations 001-005 left it, with two batches of 2022. */
static void make_old_database(const char *path)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    const char *old[] = {"001_snapshot.sql", "002_policy.sql", "003_ledger.sql", "004_bank.sql", "005_events.sql"};
    for (size_t i = 0; i < sizeof old / sizeof old[0]; i++) {
        const char *sql = rb_sql_text(old[i]);
        ck_assert_msg(sql != NULL, "no sql/%s", old[i]);
        ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", old[i], sqlite3_errmsg(db));
    }
    const char *rows =
        "PRAGMA user_version = 5;"
        "INSERT INTO batches (batch_id, policy_year, params, as_of, seq, scope, state, created_at, created_by,"
        " folder, firms, payments, total_fen, payout_sha256) VALUES"
        " ('2022-20221201-001', 2022, 'policy_year=2022;headcount_basis=december;', '2022-12-01', 1, 'all',"
        "  'published', '2022-12-01T20:00:00Z', 'nightly', '/old/1', 2, 1, 50000, 'aa'),"
        " ('2022-20221130-001', 2022, 'policy_year=2022;headcount_basis=december;', '2022-11-30', 1, 'all',"
        "  'published', '2022-12-02T20:00:00Z', 'nightly', '/old/2', 2, 0, 0, 'bb');"
        "INSERT INTO decisions (batch_id, uscc, outcome, reasons, headcount_num, headcount_den, full_months,"
        " arrears_fen, base_fen, layoff_num, layoff_den, rate_pct, amount_fen) VALUES"
        " ('2022-20221201-001', '91210300000000001X', 'PAY', '', 5, 1, 12, 0, 100000, 0, 5, 50, 50000),"
        " ('2022-20221201-001', '91210300000000002X', 'REJECT', 'ARREARS', NULL, NULL, 0, 300, 0, 0, 1, 0, 0),"
        " ('2022-20221130-001', '91210300000000001X', 'SKIP', 'ALREADY_PAID', 5, 1, 12, 0, 100000, 0, 5, 50, 50000),"
        " ('2022-20221130-001', '91210300000000002X', 'REJECT', 'ARREARS', NULL, NULL, 0, 300, 0, 0, 1, 0, 0);";
    ck_assert_msg(sqlite3_exec(db, rows, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

START_TEST(old_database_migrates_and_its_batches_are_rebuilt)
{
    const char *dir = ts_tmpdir();
    char path[4200], out[4200], rebuilt[4200];
    snprintf(path, sizeof path, "%s/old.db", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(rebuilt, sizeof rebuilt, "%s/rebuilt.csv", dir);
    make_old_database(path);

    sqlite3 *db = NULL;
    rb_error err = {0};
    ck_assert_msg(rb_db_open(path, RB_DB_EXISTING, &db, &err) == RB_OK, "%s", err.message);
    ck_assert_int_eq(ts_query_int(db, "PRAGMA user_version"), rb_db_schema_version());
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM decisions"), 4);
    /* Numbered in the order they were made, not by id or as_of. */
    ck_assert_int_eq(ts_query_int(db, "SELECT batch_no FROM batches WHERE batch_id = '2022-20221201-001'"), 1);
    ck_assert_int_eq(ts_query_int(db, "SELECT batch_no FROM batches WHERE batch_id = '2022-20221130-001'"), 2);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM batches WHERE decisions_kept = 'all'"), 2);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM decisions WHERE policy_year = 2022 AND name IS NULL"),
                     4);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM decisions d JOIN batches b USING (batch_id)"
                                      " WHERE d.batch_no = b.batch_no AND d.outcome = 'PAY' AND d.amount_fen = 50000"),
                     1);
    rb_db_close(db);

    /* The old batch as it was: the same rows, without names. */
    char *report = NULL;
    ck_assert_int_eq(ts_run_rebate(&report, NULL, "status", "--db", path, "--batch", "2022-20221201-001",
                                   "--decisions", rebuilt, (char *)NULL),
                     0);
    ck_assert_msg(strstr(report, "no SHA-256 recorded") != NULL, "%s", report);
    free(report);
    char *text = ts_read_file(rebuilt, NULL);
    const char *expected = "\xEF\xBB\xBFuscc,name,outcome,reasons,headcount,full_months,arrears,layoff_rate,base,rate,"
                           "amount,review\r\n"
                           "91210300000000001X,,PAY,,5,12,0.00,0.00,1000.00,50,500.00,\r\n"
                           "91210300000000002X,,REJECT,ARREARS,,0,3.00,0.00,0.00,0,0.00,\r\n";
    ck_assert_str_eq(text, expected);
    free(text);

    /* The next run on the migrated database: the firms of the old batches
     * are not in the sample's population, so each gets a GONE row, and the
     * old batches still rebuild as they were. */
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", path, REBATE_SOURCE_DIR "/data/sample", (char *)NULL),
                     0);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", path, "--year", "2022", "--out", out, "--as-of",
                                   "2022-12-03", (char *)NULL),
                     0);
    db = ts_open_db(path);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM decisions WHERE outcome = 'GONE' AND batch_no = 3"), 2);
    ck_assert_int_eq(ts_query_int(db, "SELECT decisions_kept = 'changes' FROM batches WHERE batch_no = 3"), 1);
    sqlite3_close(db);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "status", "--db", path, "--batch", "2022-20221130-001", "--decisions",
                                   rebuilt, (char *)NULL),
                     0);
    text = ts_read_file(rebuilt, NULL);
    ck_assert_ptr_nonnull(strstr(text, "91210300000000001X,,SKIP,ALREADY_PAID,5,12"));
    free(text);
    ck_assert_int_eq(ts_run_rebate(&report, NULL, "status", "--db", path, "--batch", "2022-20221203-001",
                                   "--decisions", rebuilt, (char *)NULL),
                     0);
    ck_assert_msg(strstr(report, "matches the one recorded") != NULL, "%s", report);
    free(report);
    ts_rmtree(dir);
}
END_TEST

static Suite *decision_migration_suite(void)
{
    Suite *s = suite_create("store/decision_migration");
    TCase *tc = tcase_create("migration");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, old_database_migrates_and_its_batches_are_rebuilt);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(decision_migration_suite)
