/* Tests of src/store/db.c: creation, migrations, refusal of foreign files. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rebate/db.h"
#include "test_support.h"

START_TEST(create_applies_every_migration)
{
    const char *dir = ts_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/t.db", dir);
    sqlite3 *db = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_db_open(path, RB_DB_CREATE, &db, &err), RB_OK);
    ck_assert_int_eq(ts_query_int(db, "PRAGMA user_version"), rb_db_schema_version());
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM policy_params"), 6);
    ck_assert_int_eq(ts_query_int(db, "PRAGMA foreign_keys"), 1);
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
    ck_assert_int_eq(rb_db_open(path, RB_DB_CREATE, &db, &err), RB_OK);
    const char *setup =
        "INSERT INTO batches (batch_id, policy_year, params, as_of, seq, scope, state, import_id, run_id,"
        " created_at, created_by, folder, firms, payments, total_fen, payout_sha256)"
        " VALUES('2021-20210601-001',2021,'p','2021-06-01',1,'all','published',NULL,NULL,"
        "'t','t','/x',1,1,100,'00');"
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

static Suite *db_suite(void)
{
    Suite *s = suite_create("store/db");
    TCase *tc = tcase_create("db");
    tcase_add_test(tc, create_applies_every_migration);
    tcase_add_test(tc, missing_database_is_noinput);
    tcase_add_test(tc, foreign_file_is_refused);
    tcase_add_test(tc, one_live_payment_enforced_by_the_database);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(db_suite)
