/* Test helpers of tests/rules/: a fresh database whose snapshot is filled
 * directly with SQL (not through the importer, but into a snapshot file made
 * as the importer makes it: ts_snapshot_* of test_support.h), codes with a
 * valid check character, and the baseline firm of fixtures/rules/cases.txt.
 * Snapshot rows go into the snapshot being made, which snap_publish puts in
 * place; ledger rows (snap_batch, snap_payment) go into the database. */
#ifndef REBATE_TESTS_RULES_SNAPSHOT_H
#define REBATE_TESTS_RULES_SNAPSHOT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rebate/db.h"
#include "rebate/uscc.h"
#include "test_support.h"

/* The snapshot being made, from the first snapshot row to snap_publish. */
static ts_snapshot *snap_snapshot;
static sqlite3 *snap_main_db;

static inline ts_snapshot *snap_current(void)
{
    if (snap_snapshot == NULL)
        snap_snapshot = ts_snapshot_begin(snap_main_db);
    return snap_snapshot;
}

/* Puts the snapshot made so far in place (outside a transaction of db). */
static inline void snap_publish(sqlite3 *db)
{
    ts_snapshot_publish(snap_current(), db);
    snap_snapshot = NULL;
}

/* Creates dir/t.db with every migration applied; path receives its name. */
static inline sqlite3 *snap_open(const char *dir, char path[4200])
{
    snprintf(path, 4200, "%s/t.db", dir);
    sqlite3 *db = NULL;
    rb_error err = {0};
    ck_assert_msg(rb_db_init(path, &db, &err) == RB_OK, "%s", err.message);
    snap_main_db = db;
    return db;
}

/* Runs SQL built with sqlite3_vmprintf (%q, %Q quote safely). */
static inline void snap_exec(sqlite3 *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    ck_assert(sql != NULL);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
    sqlite3_free(sql);
}

/* The n-th test code: 912103000000nnnnn plus its check character; codes
 * sort in the order of n. */
static inline const char *snap_code(int n, char out[RB_USCC_LEN + 1])
{
    snprintf(out, RB_USCC_LEN + 1, "912103000000%05d", n);
    out[17] = rb_uscc_check_char(out);
    out[18] = '\0';
    return out;
}

/* The same code with a wrong check character (a typo in the extract). */
static inline const char *snap_mistyped(const char *code, char out[RB_USCC_LEN + 1])
{
    memcpy(out, code, RB_USCC_LEN + 1);
    out[17] = code[17] == '0' ? '1' : '0';
    return out;
}

static inline void snap_registration(sqlite3 *db, const char *uscc, const char *name, const char *status,
                                     const char *status_class, const char *industry, int dishonest, int line)
{
    (void)db;
    ts_snapshot_exec(snap_current(),
              "INSERT INTO registration (uscc, name, status, status_class, established_on, region_code,"
              " industry_code, serious_dishonesty, line) VALUES (%Q, %Q, %Q, %Q, '2015-03-01', '210302', %Q, %d, %d)",
              uscc, name, status, status_class, industry, dishonest, line);
}

static inline void snap_unit(sqlite3 *db, const char *uscc, const char *name, const char *ui_status,
                             const char *ui_class, const char *account_name, const char *bank_account,
                             const char *source, int line)
{
    (void)db;
    ts_snapshot_exec(snap_current(),
              "INSERT INTO insured_units (uscc, unit_no, unit_name, insured_on, ui_status, ui_status_class,"
              " account_name, bank_name, bank_account, account_source, bank_code, line)"
              " VALUES (%Q, 'U001', %Q, '2015-04-01', %Q, %Q, %Q, '中国工商银行鞍山分行', %Q, %Q, '102223000012', %d)",
              uscc, name, ui_status, ui_class, account_name, bank_account, source, line);
}

static inline void snap_month(sqlite3 *db, const char *uscc, int period, int count, long long er_due,
                              long long er_paid, long long ee_due, long long ee_paid, int claimants, int line)
{
    (void)db;
    ts_snapshot_month(snap_current(), uscc, period, count, er_due, er_paid, ee_due, ee_paid, claimants, line);
}

/* SQL on the snapshot being made; its months wait in temp.months until
 * snap_publish packs them, so a test may change one there. */
#define snap_exec_snapshot(...) ts_snapshot_exec(snap_current(), __VA_ARGS__)

static inline void snap_row_error(sqlite3 *db, const char *file, int line, const char *rule, const char *uscc_field,
                                  const char *uscc, const char *prefix)
{
    (void)db;
    ts_snapshot_exec(snap_current(),
              "INSERT INTO row_errors (file, line, column_name, value, rule, message, uscc_field, uscc, uscc_prefix)"
              " VALUES (%Q, %d, 'employer_paid', 'abc', %Q, '单位实缴金额格式不正确', %Q, %Q, %Q)",
              file, line, rule, uscc_field, uscc, prefix);
}

static inline void snap_batch(sqlite3 *db, const char *batch_id, int year)
{
    snap_exec(db,
              "INSERT INTO batches (batch_id, policy_year, as_of, seq, scope, state, created_at, created_by,"
              " folder, firms, payments, total_fen, payout_sha256, params)"
              " VALUES (%Q, %d, '2021-06-01', 1, 'all', 'published', 't', 't', '/out', 1, 1, 100, '00', 'p')",
              batch_id, year);
}

static inline void snap_payment(sqlite3 *db, const char *uscc, int year, int attempt, const char *batch_id,
                                const char *state, const char *bank_account, const char *account_name)
{
    snap_exec(db,
              "INSERT INTO payments (reference, uscc, policy_year, attempt, batch_id, amount_fen, account_name,"
              " bank_name, bank_code, bank_account, state, state_at)"
              " VALUES ('%d-%q-%d', %Q, %d, %d, %Q, 108000, %Q, NULL, NULL, %Q, %Q, 't')",
              year, uscc, attempt, uscc, year, attempt, batch_id, account_name, bank_account, state);
}

/* The baseline firm of cases.txt for data year A: active registration and
 * unit with the same name, account 6222020700001234567, and rows for
 * (A-1)12 and A01..A12 with 8 insured, dues 100.00 + 50.00 paid in full. */
#define SNAP_NAME "鞍山市铁东区某某商贸有限公司"
static inline void snap_baseline_firm(sqlite3 *db, const char *uscc, int data_year)
{
    snap_registration(db, uscc, SNAP_NAME, "存续（在营、开业、在册）", "active", "F5191", 0, 2);
    snap_unit(db, uscc, SNAP_NAME, "正常", "active", SNAP_NAME, "6222020700001234567", "对公", 2);
    snap_month(db, uscc, (data_year - 1) * 100 + 12, 8, 10000, 10000, 5000, 5000, 0, 2);
    for (int m = 1; m <= 12; m++)
        snap_month(db, uscc, data_year * 100 + m, 8, 10000, 10000, 5000, 5000, 0, 2 + m);
}

#endif
