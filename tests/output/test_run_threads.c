/* Tests of how a run reads and records (src/output/batch.c): the firms are
 * read through a second connection while another thread records the
 * ledger. A failure of the ledger's thread half-way publishes and records
 * nothing; a real run decides exactly as a dry run (one thread) does; and a
 * run on a connection opened before another process imported uses the new
 * snapshot, not the one it had attached. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rebate/batch.h"
#include "rebate/db.h"
#include "test_support.h"

static char dir[4096], db_path[4200], out_dir[4200];
static const char *sample = REBATE_SOURCE_DIR "/data/sample";

static void setup(void)
{
    snprintf(dir, sizeof dir, "%s", ts_tmpdir());
    snprintf(db_path, sizeof db_path, "%s/rebate.db", dir);
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", db_path, sample, (char *)NULL), 0);
}

static void teardown(void)
{
    ts_rmtree(dir);
}

static rb_status run(sqlite3 *db, bool dry_run, rb_run_result *result, rb_error *err)
{
    rb_run_options opts = {
        .policy_year = 2022,
        .as_of = 20221127,
        .out_dir = out_dir,
        .dry_run = dry_run,
        .by = "tester",
    };
    rb_error_clear(err);
    return rb_run(db, &opts, result, err);
}

static char *file_of(const char *folder, const char *name)
{
    char path[8600];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    size_t len = 0;
    char *text = ts_read_file(path, &len);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    return text;
}

START_TEST(ledger_failure_half_way_publishes_nothing)
{
    sqlite3 *db = ts_open_db(db_path);
    int firms = (int)ts_query_int(db, "SELECT count(DISTINCT uscc) FROM insured_units");
    ck_assert_int_gt(firms, 20);
    /* The twentieth decision cannot be written (as a full disk would). */
    ck_assert_int_eq(sqlite3_exec(db,
                                  "CREATE TEMP TRIGGER fail_twentieth BEFORE INSERT ON main.decisions"
                                  " WHEN (SELECT count(*) FROM main.decisions) = 19"
                                  " BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    rb_run_result result;
    rb_error err;
    ck_assert_int_eq(run(db, false, &result, &err), RB_E_INTERNAL);
    ck_assert_str_eq(err.message, "database error while recording a decision: simulated write failure");
    ck_assert(sqlite3_get_autocommit(db));
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM batches"), 0);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM decisions"), 0);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM payments"), 0);
    struct stat sb;
    char staging[4400];
    snprintf(staging, sizeof staging, "%s/.staging-2022-20221127-001", out_dir);
    ck_assert(lstat(staging, &sb) != 0);
    /* Without the failure the same connection runs through. */
    ck_assert_int_eq(sqlite3_exec(db, "DROP TRIGGER fail_twentieth", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(run(db, false, &result, &err), RB_OK);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM decisions"), result.firms);
    rb_run_result_free(&result);
    sqlite3_close(db);
}
END_TEST

START_TEST(real_run_decides_as_a_dry_run)
{
    sqlite3 *db = ts_open_db(db_path);
    rb_run_result preview, real;
    rb_error err;
    ck_assert_msg(run(db, true, &preview, &err) == RB_OK, "%s", err.message);
    ck_assert_msg(run(db, false, &real, &err) == RB_OK, "%s", err.message);
    ck_assert_int_eq(preview.firms, real.firms);
    ck_assert_int_eq(preview.payments, real.payments);
    ck_assert_int_eq(preview.total, real.total);
    for (int i = 0; i < 2; i++) {
        const char *name = i ? "exceptions.csv" : "decisions.csv";
        char *a = file_of(preview.folder, name), *b = file_of(real.folder, name);
        ck_assert_msg(strcmp(a, b) == 0, "%s differs between the dry run and the run", name);
        free(a);
        free(b);
    }
    /* What the ledger holds is what payout.csv lists. */
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM payments"), real.payments);
    ck_assert_int_eq(ts_query_int(db, "SELECT sum(amount_fen) FROM payments"), real.total);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM decisions"), real.firms);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM decisions d JOIN payments p USING (batch_id, uscc)"
                                      " WHERE d.outcome = 'PAY' AND d.amount_fen = p.amount_fen"),
                     real.payments);
    rb_run_result_free(&preview);
    rb_run_result_free(&real);
    sqlite3_close(db);
}
END_TEST

START_TEST(run_uses_the_snapshot_imported_after_the_connection_opened)
{
    sqlite3 *db = ts_open_db(db_path);
    int64_t before = ts_query_int(db, "SELECT count(*) FROM insured_units");
    /* Another process imports extracts with only the first ten units. */
    char in[4300];
    snprintf(in, sizeof in, "%s/in", dir);
    ck_assert_int_eq(mkdir(in, 0700), 0);
    char *units = file_of(sample, "insured_units.csv");
    char *end = units;
    for (int lines = 0; lines < 11 && (end = strchr(end, '\n')) != NULL; lines++)
        end++;
    ck_assert(end != NULL);
    ts_write_file(in, "insured_units.csv", units, (size_t)(end - units));
    free(units);
    char *contributions = file_of(sample, "contributions.csv");
    ts_write_file(in, "contributions.csv", contributions, strcspn(contributions, "\n") + 1); /* header only */
    free(contributions);
    char *registration = file_of(sample, "registration.csv");
    ts_write_file(in, "registration.csv", registration, (size_t)-1);
    free(registration);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", db_path, in, (char *)NULL), 0);
    /* This connection still sees the snapshot it attached ... */
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM insured_units"), before);
    rb_run_result result;
    rb_error err;
    ck_assert_msg(run(db, false, &result, &err) == RB_OK, "%s", err.message);
    /* ... but the run decides the firms of the new one, and says so. */
    ck_assert_int_le(result.firms, 10);
    ck_assert_int_ge(result.firms, ts_query_int(db, "SELECT count(*) FROM insured_units"));
    ck_assert_int_lt(ts_query_int(db, "SELECT count(*) FROM insured_units"), before);
    ck_assert_int_eq(ts_query_int(db, "SELECT import_id FROM batches"), 2);
    rb_run_result_free(&result);
    sqlite3_close(db);
}
END_TEST

static Suite *run_threads_suite(void)
{
    Suite *s = suite_create("output/run_threads");
    TCase *tc = tcase_create("run");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ledger_failure_half_way_publishes_nothing);
    tcase_add_test(tc, real_run_decides_as_a_dry_run);
    tcase_add_test(tc, run_uses_the_snapshot_imported_after_the_connection_opened);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(run_threads_suite)
