/* Schema 006 over a ledger made by schema 005 (sql/006_review_settle.sql):
 * the batches table is rebuilt with the states settled and closed, its
 * dependants with it, and every row survives with its foreign keys; the
 * placeholder debtor is gone; verdicts cannot be changed. */
#include <stdio.h>
#include <string.h>

#include "rebate/db.h"
#include "rebate/sql_files.h"
#include "test_support.h"

START_TEST(rows_of_schema_5_survive_the_rebuild)
{
    const char *dir = ts_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/old.db", dir);
    sqlite3 *raw = NULL;
    ck_assert_int_eq(sqlite3_open(path, &raw), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(raw, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), SQLITE_OK);
    rb_error err = {0};
    /* The migrations up to 005, as an older rebate applied them. */
    for (size_t i = 0; i < rb_sql_file_count; i++)
        if (strncmp(rb_sql_files[i].name, "00", 2) == 0 && strcmp(rb_sql_files[i].name, "006") < 0)
            ck_assert_int_eq(rb_db_exec_file(raw, rb_sql_files[i].name, &err), RB_OK);
    ck_assert_int_eq(sqlite3_exec(raw,
                                  "PRAGMA user_version = 5;"
                                  "INSERT INTO batches VALUES('2021-20210601-001',2021,'p','2021-06-01',1,'all',"
                                  "'approved',NULL,NULL,'t','t','/x',1,1,100,'00','王','t2',NULL,NULL,NULL);"
                                  "INSERT INTO payments VALUES('2021-91110000600037341L-1','91110000600037341L',2021,1,"
                                  "'2021-20210601-001',100,NULL,NULL,NULL,'6222000011112222','paid','t');"
                                  "INSERT INTO decisions VALUES('2021-20210601-001','91110000600037341L','PAY','',5,1,"
                                  "12,0,100,0,1,60,100);"
                                  "INSERT INTO bank_answers VALUES('2021-91110000600037341L-1','2021-20210601-001',"
                                  "'paid',NULL,'a.csv',2,NULL,'t');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(raw);

    sqlite3 *db = NULL;
    ck_assert_int_eq(rb_db_open(path, RB_DB_EXISTING, &db, &err), RB_OK);
    ck_assert_int_eq(ts_query_int(db, "PRAGMA user_version"), rb_db_schema_version());
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM batches WHERE state = 'approved' AND approved_by = '王'"),
                     1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM payments WHERE state = 'paid'"), 1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM decisions WHERE verdict_id IS NULL"), 1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM bank_answers"), 1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'bank_debtor'"), 0);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE instr(sql, '_new') > 0"), 0);
    /* The new states are allowed, others still refused; the foreign keys point at the rebuilt table. */
    ck_assert_int_eq(sqlite3_exec(db, "UPDATE batches SET state = 'settled'", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db, "UPDATE batches SET state = 'lost'", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db,
                                  "INSERT INTO payments VALUES('2021-X-1','91110000600037341X',2021,1,'no-batch',100,"
                                  "NULL,NULL,NULL,'1','published','t')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    /* Only review reasons are clearable; verdicts are never changed. */
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM clearable_reasons"), 7);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "INSERT INTO review_verdicts (uscc, policy_year, verdict, reasons, amount_fen, at,"
                                  " by_whom, login, note) VALUES ('91110000600037341L', 2021, 'accept', 'LAYOFF_HIGH',"
                                  " 100, 't', '王', 'rebate', '退休')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db, "UPDATE review_verdicts SET verdict = 'reject'", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM review_verdicts", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db,
                                  "INSERT INTO review_verdicts (uscc, policy_year, verdict, reasons, amount_fen, at,"
                                  " by_whom, login, note) VALUES ('91110000600037341L', 2021, 'accept', '', 1, 't',"
                                  " '  ', 'rebate', 'x')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

static Suite *migration_suite(void)
{
    Suite *s = suite_create("store/migration_006");
    TCase *tc = tcase_create("migration");
    tcase_add_test(tc, rows_of_schema_5_survive_the_rebuild);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(migration_suite)
