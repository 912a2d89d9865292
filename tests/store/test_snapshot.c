/* Tests of the snapshot file (src/store/snapshot.c): the packing of a
 * firm's months and its refusal of damaged bytes, the view contributions,
 * a database never imported, an import killed after the snapshot's rename
 * but before its history (repaired at the next open), an unfinished
 * snapshot left by a crash, and files of another layout or format. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebate/db.h"
#include "rebate/snapshot.h"
#include "rebate/strbuf.h"
#include "test_support.h"

static const rb_month odd_months[] = {
    /* period, count, er due, er paid, ee due, ee paid, claimants, line */
    {100001, 0, 0, 0, 0, 0, 0, 1},
    {100002, 1000000, INT64_MAX, 0, INT64_MAX, INT64_MAX, 1000000, INT64_MAX},
    {202312, 5, 13500, 13500, 13500, 13500, 0, 2},           /* the line goes down */
    {202401, 5, 0, INT64_MAX, 1, 0, 2, 3},
    {999912, 7, 1234567890123, 1, 2, 3, 4, 5},
};
#define N_ODD (sizeof odd_months / sizeof odd_months[0])

START_TEST(months_pack_and_unpack_any_values)
{
    rb_strbuf packed = RB_STRBUF_INIT;
    ck_assert(rb_months_pack(odd_months, N_ODD, &packed));
    rb_month *months = NULL;
    size_t cap = 0;
    bool oom = true;
    ck_assert(rb_months_unpack(packed.buf, packed.len, N_ODD, &months, &cap, &oom));
    ck_assert(!oom);
    for (size_t i = 0; i < N_ODD; i++) {
        const rb_month *a = &months[i], *b = &odd_months[i];
        ck_assert_int_eq(a->period, b->period);
        ck_assert_int_eq(a->insured_count, b->insured_count);
        ck_assert_int_eq(a->employer_due, b->employer_due);
        ck_assert_int_eq(a->employer_paid, b->employer_paid);
        ck_assert_int_eq(a->employee_due, b->employee_due);
        ck_assert_int_eq(a->employee_paid, b->employee_paid);
        ck_assert_int_eq(a->new_claimants, b->new_claimants);
        ck_assert_int_eq(a->line, b->line);
    }
    free(months);
    rb_strbuf_release(&packed);
}
END_TEST

START_TEST(months_of_a_usual_firm_take_few_bytes)
{
    rb_month year[24];
    for (int i = 0; i < 24; i++) {
        rb_month m = {(2023 + i / 12) * 100 + i % 12 + 1, 5, 13500, 13500, 13500, 13500, 0, 1000 + i};
        year[i] = m;
    }
    rb_strbuf packed = RB_STRBUF_INIT;
    ck_assert(rb_months_pack(year, 24, &packed));
    /* First month: 3 (period) + 1 + 3 (13500) + 1 + 1 + 1 + 1 + 2 (line
     * 1000) bytes; then 8 one-byte varints a month, but for the period of
     * January 2024 (202401 - 202312 = 89, 2 bytes). */
    ck_assert_uint_eq(packed.len, 13 + 23 * 8 + 1);
    rb_strbuf_release(&packed);
}
END_TEST

START_TEST(damaged_months_are_refused)
{
    rb_strbuf packed = RB_STRBUF_INIT;
    ck_assert(rb_months_pack(odd_months, N_ODD, &packed));
    rb_month *months = NULL;
    size_t cap = 0;
    bool oom = false;
    /* Fewer bytes, one byte more, one month more or fewer than said. */
    ck_assert(!rb_months_unpack(packed.buf, packed.len - 1, N_ODD, &months, &cap, &oom));
    ck_assert(!rb_months_unpack(packed.buf, packed.len, N_ODD + 1, &months, &cap, &oom));
    ck_assert(!rb_months_unpack(packed.buf, packed.len, N_ODD - 1, &months, &cap, &oom));
    ck_assert(rb_strbuf_addch(&packed, 0));
    ck_assert(!rb_months_unpack(packed.buf, packed.len, N_ODD, &months, &cap, &oom));
    ck_assert(!oom);
    /* A period that does not go up. */
    rb_month twice[2] = {{202401, 1, 1, 1, 1, 1, 0, 2}, {202401, 1, 1, 1, 1, 1, 0, 3}};
    rb_strbuf_reset(&packed);
    ck_assert(rb_months_pack(twice, 2, &packed));
    ck_assert(!rb_months_unpack(packed.buf, packed.len, 2, &months, &cap, &oom));
    /* Eleven bytes of continuation: more than 64 bits. */
    const unsigned char endless[11] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    ck_assert(!rb_months_unpack(endless, sizeof endless, 1, &months, &cap, &oom));
    free(months);
    rb_strbuf_release(&packed);
}
END_TEST

/* ---------------------------------------------------------------- files */

static char dir[4096], db_path[4200];

static void setup(void)
{
    snprintf(dir, sizeof dir, "%s", ts_tmpdir());
    snprintf(db_path, sizeof db_path, "%s/rebate.db", dir);
    ts_init_db(db_path);
}

static void teardown(void)
{
    ts_rmtree(dir);
}

static sqlite3 *create_db(void)
{
    sqlite3 *db = NULL;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_msg(rb_db_open(db_path, RB_DB_EXISTING, &db, &err) == RB_OK, "%s", err.message);
    return db;
}

static char *text_of(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    rb_strbuf out = RB_STRBUF_INIT;
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            ck_assert(rb_strbuf_addf(&out, "%s%s", i ? "|" : "", t ? (const char *)t : "NULL"));
        }
        ck_assert(rb_strbuf_addch(&out, '\n'));
    }
    sqlite3_finalize(st);
    char *copy = strdup(out.buf);
    rb_strbuf_release(&out);
    return copy;
}

static void expect_text(sqlite3 *db, const char *sql, const char *expected)
{
    char *got = text_of(db, sql);
    ck_assert_msg(strcmp(got, expected) == 0, "%s gave\n%s\nexpected\n%s", sql, got, expected);
    free(got);
}

START_TEST(never_imported_reads_empty)
{
    sqlite3 *db = create_db();
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM registration"), 0);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM contributions"), 0);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM row_errors"), 0);
    sqlite3_close(db);
    /* Nothing was written beside the database. */
    char path[4300];
    struct stat sb;
    snprintf(path, sizeof path, "%s.snapshot", db_path);
    ck_assert(lstat(path, &sb) != 0);
}
END_TEST

#define CODE_A "91210302MA0A00001H"
#define CODE_B "91210302MA0A00002L"

START_TEST(view_contributions_unpacks_the_months)
{
    sqlite3 *db = create_db();
    ts_snapshot *s = ts_snapshot_begin(db);
    /* Out of order on purpose. */
    ts_snapshot_month(s, CODE_B, 202102, 3, 300, 300, 150, 150, 1, 9);
    ts_snapshot_month(s, CODE_A, 202101, 5, 100, 90, 50, 50, 0, 4);
    ts_snapshot_month(s, CODE_B, 202012, 3, 300, 300, 150, 150, 0, 8);
    ts_snapshot_month(s, CODE_A, 202103, 5, 100, 100, 50, 50, 2, 6);
    ts_snapshot_publish(s, db);
    expect_text(db, "SELECT * FROM contributions",
                CODE_A "|202101|5|100|90|50|50|0|4\n" CODE_A "|202103|5|100|100|50|50|2|6\n" CODE_B
                       "|202012|3|300|300|150|150|0|8\n" CODE_B "|202102|3|300|300|150|150|1|9\n");
    expect_text(db, "SELECT period, line FROM contributions WHERE uscc = '" CODE_B "' ORDER BY period DESC",
                "202102|9\n202012|8\n");
    expect_text(db, "SELECT uscc, months FROM contribution_months", CODE_A "|2\n" CODE_B "|2\n");
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM contributions WHERE uscc = 'nobody'"), 0);
    ck_assert_int_eq(ts_query_int(db, "SELECT sum(employer_paid) FROM contributions"), 790);
    /* A code given uses the key: the plan names the view's index, no scan. */
    char *plan = text_of(db, "EXPLAIN QUERY PLAN SELECT * FROM contributions WHERE uscc = '" CODE_A "'");
    ck_assert_msg(strstr(plan, "VIRTUAL TABLE INDEX 1") != NULL, "%s", plan);
    free(plan);
    sqlite3_close(db);
}
END_TEST

START_TEST(snapshot_file_is_attached_read_only)
{
    sqlite3 *db = create_db();
    ts_snapshot *s = ts_snapshot_begin(db);
    ts_snapshot_exec(s, "INSERT INTO registration VALUES (%Q, '甲', '存续', 'active', '2015-03-01', NULL, '210302',"
                        " NULL, 0, 2)",
                     CODE_A);
    ts_snapshot_publish(s, db);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM registration"), 1);
    ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM registration", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM snapshot.registration"), 1);
    sqlite3_close(db);
}
END_TEST

static void write_extracts(const char *in, const char *name)
{
    char registration[512];
    snprintf(registration, sizeof registration,
             "uscc,name,status,established_on,region_code\n" CODE_A ",%s,存续,2015-03-01,210302\n", name);
    ts_write_file(in, "registration.csv", registration, (size_t)-1);
    ts_write_file(in, "insured_units.csv", "uscc,unit_name,insured_on,ui_status\n" CODE_A ",甲,2016-01-01,正常\n",
                  (size_t)-1);
    ts_write_file(in, "contributions.csv",
                  "uscc,period,insured_count,employer_due,employer_paid,employee_due,employee_paid\n" CODE_A
                  ",202101,5,1.00,1.00,1.00,1.00\n",
                  (size_t)-1);
}

START_TEST(crash_after_the_rename_is_repaired_at_the_next_open)
{
    char in[4300];
    snprintf(in, sizeof in, "%s/in", dir);
    ck_assert_int_eq(mkdir(in, 0700), 0);
    write_extracts(in, "第一次");
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", db_path, in, (char *)NULL), 0);
    write_extracts(in, "第二次");
    setenv("REBATE_CRASH_AT", "snapshot-published", 1);
    int rc = ts_run_rebate(NULL, NULL, "import", "--db", db_path, in, (char *)NULL);
    unsetenv("REBATE_CRASH_AT");
    ck_assert_int_eq(rc, -9); /* SIGKILL */
    /* The new snapshot is in place; its import was not yet in the history,
     * and opening the database records it from the snapshot's own record. */
    sqlite3 *raw = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &raw), SQLITE_OK);
    ck_assert_int_eq(ts_query_int(raw, "SELECT count(*) FROM imports"), 1);
    sqlite3_close(raw);
    sqlite3 *db = ts_open_db(db_path);
    expect_text(db, "SELECT name FROM registration", "第二次\n");
    expect_text(db, "SELECT import_id, source_dir = (SELECT source_dir FROM snapshot_import) FROM imports",
                "1|1\n2|1\n");
    expect_text(db,
                "SELECT count(*) FROM import_files i JOIN snapshot_import_files s USING (import_id, file, sha256,"
                " encoding, rows_read, rows_loaded, rows_rejected, rows_duplicate, rows_conflicting)",
                "3\n");
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"),
                     0);
    sqlite3_close(db);
    /* The next import goes on from there. */
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", db_path, in, (char *)NULL), 0);
    db = ts_open_db(db_path);
    ck_assert_int_eq(ts_query_int(db, "SELECT max(import_id) FROM imports"), 3);
    ck_assert_int_eq(ts_query_int(db, "SELECT import_id FROM snapshot_import"), 3);
    sqlite3_close(db);
}
END_TEST

START_TEST(unfinished_snapshot_is_ignored_then_removed)
{
    char in[4300], unfinished[4300];
    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(unfinished, sizeof unfinished, "%s.snapshot.new", db_path);
    ck_assert_int_eq(mkdir(in, 0700), 0);
    write_extracts(in, "第一次");
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", db_path, in, (char *)NULL), 0);
    /* What a crash in the middle of the next import leaves. */
    ts_write_file(dir, "rebate.db.snapshot.new", "half a snapshot", (size_t)-1);
    sqlite3 *db = ts_open_db(db_path);
    expect_text(db, "SELECT name FROM registration", "第一次\n");
    sqlite3_close(db);
    write_extracts(in, "第二次");
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", db_path, in, (char *)NULL), 0);
    struct stat sb;
    ck_assert(lstat(unfinished, &sb) != 0);
    db = ts_open_db(db_path);
    expect_text(db, "SELECT name FROM registration", "第二次\n");
    sqlite3_close(db);
}
END_TEST

START_TEST(snapshot_of_another_format_is_refused)
{
    sqlite3 *db = create_db();
    sqlite3_close(db);
    char path[4300];
    snprintf(path, sizeof path, "%s.snapshot", db_path);
    sqlite3 *other = NULL;
    ck_assert_int_eq(sqlite3_open(path, &other), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(other, "PRAGMA user_version = 99; CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_db_open(db_path, RB_DB_EXISTING, &db, &err), RB_E_DATA);
    ck_assert(db == NULL);
    ck_assert_msg(strstr(err.message, "has format 99, not this program's 1; import the extracts again") != NULL, "%s",
                  err.message);
}
END_TEST

START_TEST(database_with_snapshot_tables_inside_is_refused)
{
    sqlite3 *db = create_db();
    ck_assert_int_eq(sqlite3_exec(db, "DETACH snapshot; CREATE TABLE main.contributions (uscc TEXT)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_db_open(db_path, RB_DB_EXISTING, &db, &err), RB_E_DATA);
    ck_assert_msg(strstr(err.message, "kept the snapshot inside it; import the extracts into a new database") != NULL,
                  "%s", err.message);
}
END_TEST

static Suite *snapshot_suite(void)
{
    Suite *s = suite_create("store/snapshot");
    TCase *tc = tcase_create("months");
    tcase_add_test(tc, months_pack_and_unpack_any_values);
    tcase_add_test(tc, months_of_a_usual_firm_take_few_bytes);
    tcase_add_test(tc, damaged_months_are_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("files");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, never_imported_reads_empty);
    tcase_add_test(tc, view_contributions_unpacks_the_months);
    tcase_add_test(tc, snapshot_file_is_attached_read_only);
    tcase_add_test(tc, crash_after_the_rename_is_repaired_at_the_next_open);
    tcase_add_test(tc, unfinished_snapshot_is_ignored_then_removed);
    tcase_add_test(tc, snapshot_of_another_format_is_refused);
    tcase_add_test(tc, database_with_snapshot_tables_inside_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(snapshot_suite)
