/* Tests of rb_firm_reader against a small database filled with SQL: the
 * population (loaded and rejected rows, not registration alone), uscc
 * order, ROW_ERROR through a mistyped check character, DATA_CONFLICT, the
 * ledger (ALREADY_PAID, TRANSFER_RETURNED, next attempt), the point mode for
 * given codes, and query plans that never sort (memory independent of the
 * number of firms). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/db.h"
#include "rebate/rules.h"
#include "rules/rules_internal.h"
#include "snapshot.h"
#include "test_support.h"

enum { YEAR = 2021, A = 2020 };

/* Codes by role; the number fixes the uscc order. */
enum {
    F_FULL = 1,           /* registration, unit, contributions, a mistyped row, paid */
    F_UNIT_ONLY = 2,      /* unit only; transfer returned to the same account */
    F_CONTRIB_ONLY = 3,   /* contributions only */
    F_REJECTED_ONLY = 4,  /* only a rejected contributions.csv row */
    F_REG_ONLY = 5,       /* registration only: not evaluated */
    F_REG_ERROR_ONLY = 6, /* only a rejected registration.csv row: not evaluated */
    F_CONFLICT = 7,       /* conflicting contributions rows only */
    F_ACCOUNT_CHANGED = 9,/* returned transfer, account since corrected */
    F_RETRIED = 10,       /* returned, then attempt 2 published */
    F_VOIDED = 11,        /* a voided payment */
    F_OTHER_YEAR = 12     /* paid for another year */
};

static char codes[128][RB_USCC_LEN + 1];

static const char *C(int n)
{
    return snap_code(n, codes[n]);
}

/* build_db's firms and `extra` more with a unit row (some with months),
 * codes from 1000 on. */
static sqlite3 *build_db_with(const char *dir, int extra)
{
    char path[4200];
    sqlite3 *db = snap_open(dir, path);
    char typo[RB_USCC_LEN + 1], prefix[18];
    snap_exec(db, "BEGIN");
    /* Inserted out of order on purpose. */
    snap_unit(db, C(F_VOIDED), "单位十一", "正常", "active", "单位十一", "6222000000000011", "对公", 11);
    snap_baseline_firm(db, C(F_FULL), A);
    snap_month(db, C(F_FULL), 202101, 8, 10000, 10000, 5000, 5000, 0, 40); /* a month of Y */
    snap_unit(db, C(F_UNIT_ONLY), "单位二", "暂停缴费", "suspended", "单位二", "6222000000000002", "税务", 3);
    snap_month(db, C(F_CONTRIB_ONLY), 202006, 5, 100, 100, 50, 40, 1, 30);
    snap_month(db, C(F_CONTRIB_ONLY), 202001, 4, 100, 100, 50, 50, 0, 29);
    snap_registration(db, C(F_REG_ONLY), "只有登记", "注销", "inactive", NULL, 1, 5);
    snap_unit(db, C(F_ACCOUNT_CHANGED), "单位九", "正常", "active", "单位九", "6222000000000222", "对公", 9);
    snap_unit(db, C(F_RETRIED), "单位十", "正常", "active", "单位十", "6222000000000010", "对公", 10);
    snap_unit(db, C(F_OTHER_YEAR), "单位十二", "正常", "active", "单位十二", "6222000000000012", "对公", 12);

    /* ROW_ERROR: a contributions.csv row whose code has a wrong check character */
    snap_mistyped(C(F_FULL), typo);
    memcpy(prefix, typo, 17);
    prefix[17] = '\0';
    snap_row_error(db, "contributions.csv", 50, "BAD_MONEY", typo, NULL, prefix);
    /* ... and an insured_units.csv row with the right code (also ROW_ERROR) */
    memcpy(prefix, C(F_FULL), 17);
    snap_row_error(db, "insured_units.csv", 7, "BAD_DATE", C(F_FULL), C(F_FULL), prefix);
    /* a rejected contributions.csv row is all F_REJECTED_ONLY has */
    memcpy(prefix, C(F_REJECTED_ONLY), 17);
    snap_row_error(db, "contributions.csv", 51, "BAD_MONEY", C(F_REJECTED_ONLY), C(F_REJECTED_ONLY), prefix);
    /* a rejected registration.csv row does not make a firm */
    memcpy(prefix, C(F_REG_ERROR_ONLY), 17);
    snap_row_error(db, "registration.csv", 9, "BAD_STATUS", C(F_REG_ERROR_ONLY), C(F_REG_ERROR_ONLY), prefix);
    /* conflicting duplicates: two contributions rows of F_CONFLICT, and a
     * registration conflict of F_UNIT_ONLY */
    memcpy(prefix, C(F_CONFLICT), 17);
    snap_row_error(db, "contributions.csv", 60, "DATA_CONFLICT", C(F_CONFLICT), C(F_CONFLICT), prefix);
    snap_row_error(db, "contributions.csv", 61, "DATA_CONFLICT", C(F_CONFLICT), C(F_CONFLICT), prefix);
    memcpy(prefix, C(F_UNIT_ONLY), 17);
    snap_row_error(db, "registration.csv", 12, "DATA_CONFLICT", C(F_UNIT_ONLY), C(F_UNIT_ONLY), prefix);
    /* a row without a usable code at all */
    snap_row_error(db, "contributions.csv", 70, "BAD_USCC", "12345", NULL, NULL);

    snap_batch(db, "2021-20210601-001", YEAR);
    snap_batch(db, "2020-20200601-001", 2020);
    snap_payment(db, C(F_FULL), YEAR, 1, "2021-20210601-001", "published", "6222020700001234567", SNAP_NAME);
    snap_payment(db, C(F_UNIT_ONLY), YEAR, 1, "2021-20210601-001", "returned", "6222000000000002", "单位二");
    snap_payment(db, C(F_ACCOUNT_CHANGED), YEAR, 1, "2021-20210601-001", "returned", "6222000000000111", "单位九");
    snap_payment(db, C(F_RETRIED), YEAR, 1, "2021-20210601-001", "returned", "6222000000000010", "单位十");
    snap_payment(db, C(F_RETRIED), YEAR, 2, "2021-20210601-001", "approved", "6222000000000010", "单位十");
    snap_payment(db, C(F_VOIDED), YEAR, 1, "2021-20210601-001", "voided", "6222000000000011", "单位十一");
    snap_payment(db, C(F_OTHER_YEAR), 2020, 1, "2020-20200601-001", "paid", "6222000000000012", "单位十二");
    snap_payment(db, C(F_REG_ONLY), YEAR, 1, "2021-20210601-001", "paid", "6222000000000005", "只有登记");
    for (int i = 0; i < extra; i++) {
        char code[RB_USCC_LEN + 1], name[32];
        snap_code(1000 + i, code);
        snprintf(name, sizeof name, "单位%d", i);
        snap_unit(db, code, name, "正常", "active", i % 3 ? name : NULL, i % 5 ? "6222000000000099" : NULL,
                  i % 7 ? "对公" : "税务", 100 + i);
        if (i % 4 == 0)
            snap_month(db, code, 202006, 3 + i % 5, 100 + i, 100, 50, 50, i % 2, 200 + i);
    }
    snap_exec(db, "COMMIT");
    snap_publish(db);
    return db;
}

static sqlite3 *build_db(const char *dir)
{
    return build_db_with(dir, 0);
}

static rb_params params_2021(sqlite3 *db)
{
    rb_params p;
    rb_error err = {0};
    ck_assert_int_eq(rb_params_load(db, YEAR, &p, &err), RB_OK);
    return p;
}

/* A deep copy of the fields compared between the scan and the point mode. */
static void describe(const rb_firm_input *f, char *out, size_t size)
{
    int n = snprintf(out, size,
                     "%s reg=%d[%s|%s|%d|%s|%d|%lld] unit=%d[%s|%s|%d|%s|%s|%s|%d|%s|%lld] err=%lld conf=%lld "
                     "paid=%d[%s] ret=%d next=%d months=%zu:",
                     f->uscc, f->has_registration, f->reg_name ? f->reg_name : "-",
                     f->reg_status ? f->reg_status : "-", (int)f->reg_class, f->industry_code ? f->industry_code : "-",
                     f->dishonest, (long long)f->reg_line, f->has_unit, f->unit_name ? f->unit_name : "-",
                     f->ui_status ? f->ui_status : "-", (int)f->ui_class, f->account_name ? f->account_name : "-",
                     f->bank_name ? f->bank_name : "-", f->bank_account ? f->bank_account : "-", f->tax_account,
                     f->bank_code ? f->bank_code : "-", (long long)f->unit_line, (long long)f->row_errors,
                     (long long)f->conflicts, f->already_paid, f->paid_reference ? f->paid_reference : "-",
                     f->transfer_returned, (int)f->next_attempt, f->n_months);
    if (n > 0 && (size_t)n < size)
        n += snprintf(out + n, size - (size_t)n, " verdict=%lld[%d|%u|%lld|%s|%s|%s]", (long long)f->verdict.id,
                      f->verdict.accept, (unsigned)f->verdict.covered, (long long)f->verdict.amount,
                      f->verdict.by ? f->verdict.by : "-", f->verdict.at ? f->verdict.at : "-",
                      f->verdict.note ? f->verdict.note : "-");
    for (size_t i = 0; i < f->n_months && n > 0 && (size_t)n < size; i++) {
        const rb_month *m = &f->months[i];
        n += snprintf(out + n, size - (size_t)n, " %d/%lld/%lld/%lld/%lld/%lld/%lld/%lld", (int)m->period,
                      (long long)m->insured_count, (long long)m->employer_due, (long long)m->employer_paid,
                      (long long)m->employee_due, (long long)m->employee_paid, (long long)m->new_claimants,
                      (long long)m->line);
    }
}

START_TEST(reader_population_in_uscc_order)
{
    const char *dir = ts_tmpdir();
    sqlite3 *db = build_db(dir);
    rb_params p = params_2021(db);
    rb_firm_reader *r = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_firm_reader_open(db, &p, NULL, 0, &r, &err), RB_OK);
    static const int want[] = {F_FULL,     F_UNIT_ONLY, F_CONTRIB_ONLY, F_REJECTED_ONLY, F_CONFLICT,
                               F_ACCOUNT_CHANGED, F_RETRIED,   F_VOIDED,       F_OTHER_YEAR};
    size_t n = 0;
    const rb_firm_input *f;
    while (rb_firm_reader_next(r, &f, &err) == RB_OK && f != NULL) {
        ck_assert_uint_lt(n, sizeof want / sizeof want[0]);
        ck_assert_str_eq(f->uscc, C(want[n]));
        n++;
    }
    ck_assert_int_eq(err.status, RB_OK);
    ck_assert_uint_eq(n, sizeof want / sizeof want[0]);
    /* after the end it stays at the end */
    ck_assert_int_eq(rb_firm_reader_next(r, &f, &err), RB_OK);
    ck_assert_ptr_null(f);
    rb_firm_reader_close(r);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

/* Finds one firm by scanning the whole population. */
static const rb_firm_input *scan_to(rb_firm_reader *r, const char *uscc)
{
    const rb_firm_input *f = NULL;
    rb_error err = {0};
    while (rb_firm_reader_next(r, &f, &err) == RB_OK && f != NULL)
        if (strcmp(f->uscc, uscc) == 0)
            return f;
    ck_abort_msg("%s not in the population (%s)", uscc, err.message);
    return NULL;
}

START_TEST(reader_fills_the_full_firm)
{
    const char *dir = ts_tmpdir();
    sqlite3 *db = build_db(dir);
    rb_params p = params_2021(db);
    rb_firm_reader *r = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_firm_reader_open(db, &p, NULL, 0, &r, &err), RB_OK);
    const rb_firm_input *f = scan_to(r, C(F_FULL));
    ck_assert(f->has_registration);
    ck_assert_str_eq(f->reg_name, SNAP_NAME);
    ck_assert_str_eq(f->reg_status, "存续（在营、开业、在册）");
    ck_assert_int_eq(f->reg_class, RB_REG_ACTIVE);
    ck_assert_str_eq(f->industry_code, "F5191");
    ck_assert(!f->dishonest);
    ck_assert(f->has_unit);
    ck_assert_str_eq(f->unit_name, SNAP_NAME);
    ck_assert_str_eq(f->account_name, SNAP_NAME);
    ck_assert_str_eq(f->bank_account, "6222020700001234567");
    ck_assert_str_eq(f->bank_code, "102223000012");
    ck_assert(!f->tax_account);
    /* P12, A01..A12 and 202101, ascending */
    ck_assert_uint_eq(f->n_months, 14);
    ck_assert_int_eq(f->months[0].period, 201912);
    ck_assert_int_eq(f->months[1].period, 202001);
    ck_assert_int_eq(f->months[12].period, 202012);
    ck_assert_int_eq(f->months[13].period, 202101);
    ck_assert_int_eq(f->months[5].employer_due, 10000);
    ck_assert_int_eq(f->months[5].line, 7);
    /* the mistyped contributions row and the insured_units row */
    ck_assert_int_eq(f->row_errors, 2);
    ck_assert_int_eq(f->conflicts, 0);
    ck_assert(f->already_paid);
    char ref[64];
    snprintf(ref, sizeof ref, "2021-%s-1", C(F_FULL));
    ck_assert_str_eq(f->paid_reference, ref);
    ck_assert(!f->transfer_returned);
    ck_assert_int_eq(f->next_attempt, 2);
    rb_decision d;
    rb_decide(&p, f, &d);
    ck_assert_int_eq(d.outcome, RB_OUTCOME_SKIP);
    ck_assert_uint_eq(d.reasons, 1u << RB_R_ALREADY_PAID);
    rb_firm_reader_close(r);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

START_TEST(reader_other_firms)
{
    const char *dir = ts_tmpdir();
    sqlite3 *db = build_db(dir);
    rb_params p = params_2021(db);
    rb_firm_reader *r = NULL;
    rb_error err = {0};
    rb_decision d;
    char reasons[512];
    ck_assert_int_eq(rb_firm_reader_open(db, &p, NULL, 0, &r, &err), RB_OK);

    const rb_firm_input *f = scan_to(r, C(F_UNIT_ONLY));
    ck_assert(!f->has_registration);
    ck_assert(f->has_unit);
    ck_assert_int_eq(f->ui_class, RB_UI_SUSPENDED);
    ck_assert(f->tax_account);
    ck_assert_uint_eq(f->n_months, 0);
    ck_assert_int_eq(f->conflicts, 1); /* the registration.csv conflict */
    ck_assert_int_eq(f->row_errors, 0);
    ck_assert(!f->already_paid);
    ck_assert(f->transfer_returned); /* returned to the account still given */
    ck_assert_int_eq(f->next_attempt, 2);
    rb_decide(&p, f, &d);
    ck_assert_int_eq(d.outcome, RB_OUTCOME_REVIEW);
    ck_assert_str_eq(rb_reasons_format(d.reasons, reasons, sizeof reasons),
                     "DATA_CONFLICT;FULL_MONTHS_SHORT;NO_ACCOUNT;NO_CONTRIBUTIONS;REG_MISSING;TRANSFER_RETURNED;"
                     "UI_SUSPENDED;ZERO_AMOUNT");

    f = scan_to(r, C(F_CONTRIB_ONLY));
    ck_assert(!f->has_registration && !f->has_unit);
    ck_assert_uint_eq(f->n_months, 2);
    ck_assert_int_eq(f->months[0].period, 202001);
    ck_assert_int_eq(f->months[1].period, 202006);
    ck_assert_int_eq(f->months[1].new_claimants, 1);
    ck_assert_int_eq(f->next_attempt, 1);

    f = scan_to(r, C(F_REJECTED_ONLY));
    ck_assert(!f->has_registration && !f->has_unit && f->n_months == 0);
    ck_assert_int_eq(f->row_errors, 1);
    rb_decide(&p, f, &d);
    ck_assert_int_eq(d.outcome, RB_OUTCOME_REVIEW);
    ck_assert(d.reasons & (1u << RB_R_ROW_ERROR));

    f = scan_to(r, C(F_CONFLICT));
    ck_assert_int_eq(f->conflicts, 2);
    ck_assert_int_eq(f->row_errors, 0); /* a conflict is not a ROW_ERROR */
    rb_decide(&p, f, &d);
    ck_assert_int_eq(d.outcome, RB_OUTCOME_REVIEW);
    ck_assert(d.reasons & (1u << RB_R_DATA_CONFLICT));
    ck_assert(!(d.reasons & (1u << RB_R_ROW_ERROR)));

    f = scan_to(r, C(F_ACCOUNT_CHANGED));
    ck_assert(!f->transfer_returned); /* sent to ...111, the extract now gives ...222 */
    ck_assert(!f->already_paid);
    ck_assert_int_eq(f->next_attempt, 2);

    f = scan_to(r, C(F_RETRIED));
    ck_assert(f->already_paid);
    ck_assert(!f->transfer_returned); /* the last payment is attempt 2, not returned */
    ck_assert_int_eq(f->next_attempt, 3);

    f = scan_to(r, C(F_VOIDED));
    ck_assert(!f->already_paid);
    ck_assert(!f->transfer_returned);
    ck_assert_int_eq(f->next_attempt, 2);

    f = scan_to(r, C(F_OTHER_YEAR));
    ck_assert(!f->already_paid);
    ck_assert_int_eq(f->next_attempt, 1);

    rb_firm_reader_close(r);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

/* The point mode reads exactly what the scan reads, for every firm. */
START_TEST(reader_point_mode_equals_scan)
{
    const char *dir = ts_tmpdir();
    sqlite3 *db = build_db(dir);
    rb_params p = params_2021(db);
    rb_firm_reader *scan = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_firm_reader_open(db, &p, NULL, 0, &scan, &err), RB_OK);
    const rb_firm_input *f;
    static char a[8192], b[8192];
    int n = 0;
    while (rb_firm_reader_next(scan, &f, &err) == RB_OK && f != NULL) {
        describe(f, a, sizeof a);
        rb_firm_reader *point = NULL;
        const char *code = f->uscc;
        ck_assert_int_eq(rb_firm_reader_open(db, &p, &code, 1, &point, &err), RB_OK);
        const rb_firm_input *g;
        ck_assert_int_eq(rb_firm_reader_next(point, &g, &err), RB_OK);
        ck_assert_ptr_nonnull(g);
        describe(g, b, sizeof b);
        ck_assert_str_eq(a, b);
        ck_assert_int_eq(rb_firm_reader_next(point, &g, &err), RB_OK);
        ck_assert_ptr_null(g);
        rb_firm_reader_close(point);
        n++;
    }
    ck_assert_int_eq(n, 9);
    rb_firm_reader_close(scan);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

START_TEST(reader_given_codes_sorted_unique_upper_cased)
{
    const char *dir = ts_tmpdir();
    sqlite3 *db = build_db(dir);
    rb_params p = params_2021(db);
    char lower[RB_USCC_LEN + 1];
    strcpy(lower, C(F_RETRIED));
    for (char *c = lower; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    const char *given[] = {lower, C(F_CONTRIB_ONLY), C(F_RETRIED), C(F_REJECTED_ONLY)};
    rb_firm_reader *r = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_firm_reader_open(db, &p, given, 4, &r, &err), RB_OK);
    const int want[] = {F_CONTRIB_ONLY, F_REJECTED_ONLY, F_RETRIED};
    const rb_firm_input *f;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(rb_firm_reader_next(r, &f, &err), RB_OK);
        ck_assert_ptr_nonnull(f);
        ck_assert_str_eq(f->uscc, C(want[i]));
    }
    ck_assert_int_eq(rb_firm_reader_next(r, &f, &err), RB_OK);
    ck_assert_ptr_null(f);
    rb_firm_reader_close(r);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

START_TEST(reader_given_codes_refused)
{
    const char *dir = ts_tmpdir();
    sqlite3 *db = build_db(dir);
    rb_params p = params_2021(db);
    rb_firm_reader *r = NULL;
    rb_error err = {0};
    char typo[RB_USCC_LEN + 1];
    const char *invalid[] = {C(F_FULL), snap_mistyped(C(F_FULL), typo)};
    ck_assert_int_eq(rb_firm_reader_open(db, &p, invalid, 2, &r, &err), RB_E_USAGE);
    ck_assert_ptr_null(r);
    ck_assert(strstr(err.message, typo) != NULL);
    /* registration only, a rejected registration.csv row only, unknown */
    const int outside[] = {F_REG_ONLY, F_REG_ERROR_ONLY, 99};
    for (int i = 0; i < 3; i++) {
        rb_error_clear(&err);
        const char *code = C(outside[i]);
        ck_assert_int_eq(rb_firm_reader_open(db, &p, &code, 1, &r, &err), RB_E_NOINPUT);
        ck_assert_ptr_null(r);
        ck_assert_msg(strstr(err.message, code) != NULL, "%s", err.message);
    }
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

START_TEST(reader_empty_snapshot)
{
    const char *dir = ts_tmpdir();
    char path[4200];
    sqlite3 *db = snap_open(dir, path);
    rb_params p = params_2021(db);
    rb_firm_reader *r = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_firm_reader_open(db, &p, NULL, 0, &r, &err), RB_OK);
    const rb_firm_input *f;
    ck_assert_int_eq(rb_firm_reader_next(r, &f, &err), RB_OK);
    ck_assert_ptr_null(f);
    rb_firm_reader_close(r);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

/* Each scan walks its table or index in uscc order: no sorting step and no
 * temporary b-tree, so memory does not grow with the number of firms. */
START_TEST(reader_scans_never_sort)
{
    const char *dir = ts_tmpdir();
    char path[4200];
    sqlite3 *db = snap_open(dir, path);
    for (int q = 0; q < RB_Q_COUNT; q++) {
        char *sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", rb_reader_queries[q].scan);
        sqlite3_stmt *st = NULL;
        ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *detail = (const char *)sqlite3_column_text(st, 3);
            ck_assert_msg(strstr(detail, "TEMP B-TREE") == NULL, "%s sorts: %s", rb_reader_queries[q].name,
                          detail);
        }
        sqlite3_finalize(st);
        sqlite3_free(sql);
    }
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

/* The prefetching reader (its own thread, firms copied in batches of 512)
 * hands out exactly the firms the reader reads, field for field, across
 * several batches: the firms of build_db, a verdict, and 1,300 more. */
START_TEST(prefetch_equals_reader)
{
    const char *dir = ts_tmpdir();
    sqlite3 *db = build_db_with(dir, 1300);
    snap_exec(db, "INSERT INTO review_verdicts (uscc, policy_year, verdict, reasons, amount_fen, at, by_whom, login,"
                  " note) VALUES ('%s', %d, 'accept', 'NAME_MISMATCH', 0, '2021-06-02T01:00:00Z', '张三', 'zs',"
                  " '核对营业执照')",
              C(F_FULL), YEAR);
    /* Verdicts of different words across the batches: a text the copy
     * missed would show a later firm's, read ahead. */
    for (int i = 0; i < 1300; i += 50) {
        char code[RB_USCC_LEN + 1];
        snap_exec(db, "INSERT INTO review_verdicts (uscc, policy_year, verdict, reasons, amount_fen, at, by_whom,"
                      " login, note) VALUES ('%s', %d, 'reject', 'NAME_MISMATCH', %d, '2021-06-%02dT01:00:00Z',"
                      " '审核员%d', 'r', '第 %d 家')",
                  snap_code(1000 + i, code), YEAR, i, 1 + i / 50, i, i);
    }
    rb_params p = params_2021(db);
    rb_firm_reader *direct = NULL, *behind = NULL;
    rb_firm_prefetch *ahead = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_firm_reader_open(db, &p, NULL, 0, &direct, &err), RB_OK);
    ck_assert_int_eq(rb_firm_reader_open(db, &p, NULL, 0, &behind, &err), RB_OK);
    ck_assert_int_eq(rb_firm_prefetch_open(behind, &ahead, &err), RB_OK);
    static char a[8192], b[8192];
    int n = 0, verdicts = 0;
    const rb_firm_input *f = NULL, *g = NULL;
    for (;;) {
        ck_assert_int_eq(rb_firm_reader_next(direct, &f, &err), RB_OK);
        ck_assert_int_eq(rb_firm_prefetch_next(ahead, &g, &err), RB_OK);
        if (f == NULL || g == NULL)
            break;
        describe(f, a, sizeof a);
        describe(g, b, sizeof b);
        ck_assert_str_eq(a, b);
        ck_assert_ptr_ne(f, g);
        verdicts += g->verdict.id != 0;
        n++;
    }
    ck_assert_ptr_null(f);
    ck_assert_ptr_null(g);
    ck_assert_int_eq(n, 9 + 1300);
    ck_assert_int_eq(verdicts, 1 + 26);
    /* after the end it stays at the end */
    ck_assert_int_eq(rb_firm_prefetch_next(ahead, &g, &err), RB_OK);
    ck_assert_ptr_null(g);
    rb_firm_prefetch_close(ahead);
    rb_firm_reader_close(behind);
    rb_firm_reader_close(direct);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

/* Closed before the end: the thread stops, nothing leaks (the sanitizers
 * and valgrind see to that). */
START_TEST(prefetch_closed_early)
{
    const char *dir = ts_tmpdir();
    sqlite3 *db = build_db(dir);
    rb_params p = params_2021(db);
    rb_firm_reader *r = NULL;
    rb_firm_prefetch *ahead = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_firm_reader_open(db, &p, NULL, 0, &r, &err), RB_OK);
    ck_assert_int_eq(rb_firm_prefetch_open(r, &ahead, &err), RB_OK);
    const rb_firm_input *g = NULL;
    ck_assert_int_eq(rb_firm_prefetch_next(ahead, &g, &err), RB_OK);
    ck_assert_str_eq(g->uscc, C(F_FULL));
    rb_firm_prefetch_close(ahead);
    rb_firm_reader_close(r);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

/* A firm whose packed months do not unpack: the reader and the prefetching
 * reader (which unpacks on the caller's thread) refuse the snapshot with
 * the same sentence, naming the firm. */
START_TEST(damaged_months_are_refused_by_both_readers)
{
    for (int ahead_mode = 0; ahead_mode < 2; ahead_mode++) {
        const char *dir = ts_tmpdir();
        sqlite3 *db = build_db(dir);
        /* The snapshot file, which rebate attaches read-only. */
        char path[4200];
        snprintf(path, sizeof path, "%s/t.db.snapshot", dir);
        sqlite3 *snapshot = NULL;
        ck_assert_int_eq(sqlite3_open_v2(path, &snapshot, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
        snap_exec(snapshot, "UPDATE contribution_months SET packed = x'ffff' WHERE uscc = %Q", C(F_FULL));
        ck_assert_int_eq(sqlite3_changes(snapshot), 1);
        sqlite3_close(snapshot);
        rb_params p = params_2021(db);
        rb_firm_reader *r = NULL;
        rb_firm_prefetch *ahead = NULL;
        rb_error err = {0};
        ck_assert_int_eq(rb_firm_reader_open(db, &p, NULL, 0, &r, &err), RB_OK);
        if (ahead_mode)
            ck_assert_int_eq(rb_firm_prefetch_open(r, &ahead, &err), RB_OK);
        const rb_firm_input *g = NULL;
        rb_status st;
        int firms = 0;
        while ((st = ahead ? rb_firm_prefetch_next(ahead, &g, &err) : rb_firm_reader_next(r, &g, &err)) == RB_OK &&
               g != NULL)
            firms++;
        ck_assert_int_eq(st, RB_E_DATA);
        char expected[128];
        snprintf(expected, sizeof expected, "the snapshot's months of %s are damaged; import the extracts again",
                 C(F_FULL));
        ck_assert_str_eq(err.message, expected);
        ck_assert_int_eq(firms, 0); /* F_FULL is the first firm */
        rb_firm_prefetch_close(ahead);
        rb_firm_reader_close(r);
        rb_db_close(db);
        ts_rmtree(dir);
    }
}
END_TEST

/* After the prefetching reader is closed, the reader it read with unpacks
 * the months again when used directly. */
START_TEST(reader_unpacks_again_after_prefetch)
{
    const char *dir = ts_tmpdir();
    sqlite3 *db = build_db_with(dir, 3000);
    rb_params p = params_2021(db);
    rb_firm_reader *r = NULL;
    rb_firm_prefetch *ahead = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_firm_reader_open(db, &p, NULL, 0, &r, &err), RB_OK);
    ck_assert_int_eq(rb_firm_prefetch_open(r, &ahead, &err), RB_OK);
    const rb_firm_input *g = NULL;
    ck_assert_int_eq(rb_firm_prefetch_next(ahead, &g, &err), RB_OK);
    rb_firm_prefetch_close(ahead);
    int with_months = 0;
    while (rb_firm_reader_next(r, &g, &err) == RB_OK && g != NULL)
        if (g->n_months > 0) {
            ck_assert_ptr_nonnull(g->months);
            ck_assert_int_eq(g->months[0].period, 202006);
            with_months++;
        }
    ck_assert_int_gt(with_months, 0);
    rb_firm_reader_close(r);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

static Suite *reader_suite(void)
{
    Suite *s = suite_create("rules/firm_reader");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, reader_population_in_uscc_order);
    tcase_add_test(tc, reader_fills_the_full_firm);
    tcase_add_test(tc, reader_other_firms);
    tcase_add_test(tc, reader_point_mode_equals_scan);
    tcase_add_test(tc, reader_given_codes_sorted_unique_upper_cased);
    tcase_add_test(tc, reader_given_codes_refused);
    tcase_add_test(tc, reader_empty_snapshot);
    tcase_add_test(tc, reader_scans_never_sort);
    tcase_add_test(tc, prefetch_equals_reader);
    tcase_add_test(tc, prefetch_closed_early);
    tcase_add_test(tc, damaged_months_are_refused_by_both_readers);
    tcase_add_test(tc, reader_unpacks_again_after_prefetch);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(reader_suite)
