/* Tests of src/store/db.c: creation (init only), migrations, read-only
 * opening, the ledger's identity, refusal of foreign files,
 * and the ledger's constraints failing with their exact SQLite code and
 * message, and with the program's own status and sentence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rebate/db.h"
#include "rebate/sql_files.h"
#include "rebate/ledger.h"
#include "test_support.h"

START_TEST(create_applies_every_migration)
{
    const char *dir = ts_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/t.db", dir);
    sqlite3 *db = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_db_init(path, &db, &err), RB_OK);
    ck_assert_int_eq(ts_query_int(db, "PRAGMA user_version"), rb_db_schema_version());
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM policy_params"), 6);
    ck_assert_int_eq(ts_query_int(db, "PRAGMA foreign_keys"), 1);
    /* 16 KiB pages, as the snapshot's, and none left free by the
     * migrations' rebuilt tables. */
    ck_assert_int_eq(ts_query_int(db, "PRAGMA page_size"), 16384);
    ck_assert_int_eq(ts_query_int(db, "PRAGMA freelist_count"), 0);
    rb_db_close(db);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0007, 0); /* no access for others */
    /* Reopening applies nothing twice. */
    ck_assert_int_eq(rb_db_open(path, RB_DB_EXISTING, &db, &err), RB_OK);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM policy_params"), 6);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

START_TEST(missing_database_is_noinput)
{
    sqlite3 *db = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_db_open("/nonexistent/x.db", RB_DB_EXISTING, &db, &err), RB_E_NOINPUT);
    ck_assert(db == NULL);
    ck_assert(strstr(err.message, "/nonexistent/x.db") != NULL);
}
END_TEST

START_TEST(foreign_file_is_refused)
{
    const char *dir = ts_tmpdir();
    ts_write_file(dir, "junk.db", "this is not a database at all, just text............................"
                                  "...................................................................", (size_t)-1);
    char path[4200];
    snprintf(path, sizeof path, "%s/junk.db", dir);
    sqlite3 *db = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_db_open(path, RB_DB_EXISTING, &db, &err), RB_E_DATA);
    ck_assert(db == NULL);
    ts_rmtree(dir);
}
END_TEST

START_TEST(one_live_payment_enforced_by_the_database)
{
    const char *dir = ts_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/t.db", dir);
    sqlite3 *db = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_db_init(path, &db, &err), RB_OK);
    const char *setup =
        "INSERT INTO batches (batch_id, policy_year, params, as_of, seq, scope, state, created_at, created_by,"
        " folder, firms, payments, total_fen, payout_sha256)"
        " VALUES('2021-20210601-001',2021,'p','2021-06-01',1,'all','published','t','t','/x',1,1,100,'00');"
        "INSERT INTO payments VALUES('2021-91110000600037341L-1','91110000600037341L',2021,1,"
        "'2021-20210601-001',100,NULL,NULL,NULL,'6222000011112222','published','t');";
    ck_assert_int_eq(sqlite3_exec(db, setup, NULL, NULL, NULL), SQLITE_OK);
    /* A second live payment, bypassing every line of the program's code. */
    ck_assert_int_ne(sqlite3_exec(db,
                                  "INSERT INTO payments VALUES('2021-91110000600037341L-2','91110000600037341L',"
                                  "2021,2,'2021-20210601-001',100,NULL,NULL,NULL,'1','published','t')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    /* Once the first is returned, a second attempt may be live. */
    ck_assert_int_eq(sqlite3_exec(db, "UPDATE payments SET state='returned'", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "INSERT INTO payments VALUES('2021-91110000600037341L-2','91110000600037341L',"
                                  "2021,2,'2021-20210601-001',100,NULL,NULL,NULL,'1','published','t')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

/* Runs sql and expects it to fail with the extended code and message. */
static void expect_refused(sqlite3 *db, const char *sql, int extended, const char *message)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    ck_assert_msg(rc == SQLITE_CONSTRAINT, "%s: rc %d", sql, rc);
    ck_assert_int_eq(sqlite3_extended_errcode(db), extended);
    ck_assert_str_eq(sqlite3_errmsg(db), message);
}

#define PAYMENT(ref, attempt, batch, amount, state) \
    "INSERT INTO payments VALUES('" ref "','91110000600037341L',2021," #attempt ",'" batch "'," #amount \
    ",NULL,NULL,NULL,'6222000011112222','" state "','t')"

/* Each constraint of the ledger fails with its own code and message: the
 * second live payment for one (uscc, year) by the partial unique index, a
 * reused attempt or reference by the table's keys, a non-positive amount by
 * its CHECK, an unknown batch by the foreign key; and through the program's
 * rb_ledger_add_payment the status and the sentence it gives. */
START_TEST(ledger_constraints_fail_exactly)
{
    const char *dir = ts_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/t.db", dir);
    sqlite3 *db = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_db_init(path, &db, &err), RB_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "INSERT INTO batches (batch_id, policy_year, params, as_of, seq, scope, state,"
                                  " created_at, created_by, folder, firms, payments, total_fen, payout_sha256)"
                                  " VALUES('2021-20210601-001',2021,'p','2021-06-01',1,'all',"
                                  "'published','t','t','/x',1,1,100,'00');"
                                  PAYMENT("2021-91110000600037341L-1", 1, "2021-20210601-001", 100, "published"),
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    expect_refused(db, PAYMENT("2021-91110000600037341L-2", 2, "2021-20210601-001", 100, "approved"),
                   SQLITE_CONSTRAINT_UNIQUE, "UNIQUE constraint failed: payments.uscc, payments.policy_year");
    expect_refused(db, PAYMENT("2021-91110000600037341L-1", 5, "2021-20210601-001", 100, "voided"),
                   SQLITE_CONSTRAINT_PRIMARYKEY, "UNIQUE constraint failed: payments.reference");
    expect_refused(db, PAYMENT("other-reference", 1, "2021-20210601-001", 100, "voided"), SQLITE_CONSTRAINT_UNIQUE,
                   "UNIQUE constraint failed: payments.uscc, payments.policy_year, payments.attempt");
    expect_refused(db, PAYMENT("2021-91110000600037341L-3", 3, "2021-20210601-001", 0, "voided"),
                   SQLITE_CONSTRAINT_CHECK, "CHECK constraint failed: amount_fen > 0");
    expect_refused(db, PAYMENT("2021-91110000600037341L-3", 3, "2021-20210601-001", 100, "lost"),
                   SQLITE_CONSTRAINT_CHECK,
                   "CHECK constraint failed: state = 'published' OR state = 'approved' OR state = 'paid'\n"
                   "                                      OR state = 'returned' OR state = 'voided'");
    expect_refused(db, PAYMENT("2021-91110000600037341L-3", 3, "2099-20990101-001", 100, "voided"),
                   SQLITE_CONSTRAINT_FOREIGNKEY, "FOREIGN KEY constraint failed");

    /* The program's path: the next attempt of a firm already paid. */
    rb_ledger ledger;
    ck_assert_int_eq(rb_ledger_open(db, &ledger, &err), RB_OK);
    rb_payment_row payment = {.uscc = "91110000600037341L", .attempt = 2, .amount = 100,
                              .bank_account = "6222000011112222"};
    char reference[64];
    ck_assert_int_eq(rb_ledger_add_payment(&ledger, "2021-20210601-001", 2021, &payment, reference, &err),
                     RB_E_INTERNAL);
    ck_assert_str_eq(err.message, "the ledger refused a second live payment to 91110000600037341L for 2021 "
                                  "(reference 2021-91110000600037341L-2); nothing was recorded");
    ck_assert_int_eq(sqlite3_errcode(db), SQLITE_CONSTRAINT);
    ck_assert_int_eq(sqlite3_extended_errcode(db), SQLITE_CONSTRAINT_UNIQUE);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM payments"), 1);
    /* Once the first is voided the same call records attempt 2. */
    rb_error_clear(&err);
    ck_assert_int_eq(sqlite3_exec(db, "UPDATE payments SET state='voided'", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(rb_ledger_add_payment(&ledger, "2021-20210601-001", 2021, &payment, reference, &err), RB_OK);
    ck_assert_str_eq(reference, "2021-91110000600037341L-2");
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM payments WHERE state = 'published'"), 1);
    rb_ledger_close(&ledger);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

START_TEST(init_refuses_an_existing_path_and_gives_each_ledger_its_own_identity)
{
    const char *dir = ts_tmpdir();
    char path[4200], other[4200];
    snprintf(path, sizeof path, "%s/t.db", dir);
    snprintf(other, sizeof other, "%s/u.db", dir);
    sqlite3 *db = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_db_init(path, NULL, &err), RB_OK);
    ck_assert_int_eq(rb_db_init(path, NULL, &err), RB_E_CANTWRITE);
    ck_assert_msg(strstr(err.message, "exists already") != NULL, "%s", err.message);
    rb_error_clear(&err);
    char a[RB_LEDGER_ID_SIZE], b[RB_LEDGER_ID_SIZE];
    ck_assert_int_eq(rb_db_open(path, RB_DB_READONLY, &db, &err), RB_OK);
    ck_assert_int_eq(rb_db_ledger_id(db, a, &err), RB_OK);
    rb_db_close(db);
    ck_assert_int_eq(rb_db_init(other, &db, &err), RB_OK);
    ck_assert_int_eq(rb_db_ledger_id(db, b, &err), RB_OK);
    rb_db_close(db);
    ck_assert_int_eq(strlen(a), 32);
    ck_assert_str_ne(a, b);
    /* Reopened, the identity is the same. */
    ck_assert_int_eq(rb_db_open(path, RB_DB_EXISTING, &db, &err), RB_OK);
    ck_assert_int_eq(rb_db_ledger_id(db, b, &err), RB_OK);
    ck_assert_str_eq(a, b);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

START_TEST(read_only_opening_never_migrates_and_never_writes)
{
    const char *dir = ts_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/t.db", dir);
    sqlite3 *db = NULL;
    rb_error err = {0};
    /* A database of the previous version: every migration but the last. */
    sqlite3 *raw = NULL;
    int previous = 0;
    ck_assert_int_eq(sqlite3_open(path, &raw), SQLITE_OK);
    for (size_t i = 0; i < rb_sql_file_count; i++) {
        const char *name = rb_sql_files[i].name;
        int n = strspn(name, "0123456789") == 3 && name[3] == '_' ? atoi(name) : -1;
        if (n <= 0 || n >= rb_db_schema_version())
            continue;
        ck_assert_msg(sqlite3_exec(raw, rb_sql_files[i].text, NULL, NULL, NULL) == SQLITE_OK, "%s", name);
        previous = n > previous ? n : previous;
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", previous);
    ck_assert_int_eq(sqlite3_exec(raw, pragma, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    ck_assert_int_eq(rb_db_open(path, RB_DB_READONLY, &db, &err), RB_E_DATA);
    ck_assert_msg(strstr(err.message, "rebate migrate") != NULL, "%s", err.message);
    ck_assert(db == NULL);
    rb_error_clear(&err);
    /* Migrating it brings the version up, and gives it an identity. */
    int from = 0, to = 0;
    ck_assert_int_eq(rb_db_migrate(path, &from, &to, &err), RB_OK);
    ck_assert_int_eq(from, previous);
    ck_assert_int_eq(to, rb_db_schema_version());
    ck_assert_int_eq(rb_db_migrate(path, &from, &to, &err), RB_OK);
    ck_assert_int_eq(from, to);
    /* A read-only connection cannot write, whatever it is asked. */
    ck_assert_int_eq(rb_db_open(path, RB_DB_READONLY, &db, &err), RB_OK);
    ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM policy_params WHERE policy_year = 2020", NULL, NULL, NULL),
                     SQLITE_OK);
    rb_db_close(db);
    /* A newer version is refused by both modes. */
    ck_assert_int_eq(sqlite3_open(path, &raw), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(raw, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    ck_assert_int_eq(rb_db_open(path, RB_DB_READONLY, &db, &err), RB_E_DATA);
    ck_assert_int_eq(rb_db_open(path, RB_DB_EXISTING, &db, &err), RB_E_DATA);
    ts_rmtree(dir);
}
END_TEST

static Suite *db_suite(void)
{
    Suite *s = suite_create("store/db");
    TCase *tc = tcase_create("db");
    tcase_add_test(tc, create_applies_every_migration);
    tcase_add_test(tc, missing_database_is_noinput);
    tcase_add_test(tc, foreign_file_is_refused);
    tcase_add_test(tc, one_live_payment_enforced_by_the_database);
    tcase_add_test(tc, init_refuses_an_existing_path_and_gives_each_ledger_its_own_identity);
    tcase_add_test(tc, read_only_opening_never_migrates_and_never_writes);
    tcase_add_test(tc, ledger_constraints_fail_exactly);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(db_suite)
