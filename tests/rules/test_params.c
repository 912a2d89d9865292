/* Tests of rb_params_load against the seed of sql/002_policy.sql: every
 * year's row as docs/rules.md's table gives it (written out by hand here), a
 * year without a row, a changed row being read (no number lives in code). */
#include <stdio.h>
#include <string.h>

#include "rebate/db.h"
#include "rebate/rules.h"
#include "test_support.h"

static sqlite3 *open_fresh(const char **dir)
{
    *dir = ts_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/p.db", *dir);
    sqlite3 *db = NULL;
    rb_error err = {0};
    ck_assert_msg(rb_db_init(path, &db, &err) == RB_OK, "%s", err.message);
    return db;
}

/* docs/rules.md, "Parameters" (hand copy). */
static const struct {
    int year, smm, large, target, cap;
    rb_full_months_rule months_rule;
    bool tax;
    rb_layoff_method method;
    const char *reference_part;
} expected[] = {
    {2020, 100, 50, 55, 200, RB_FULL_MONTHS_CUMULATIVE, false, RB_LAYOFF_DECEMBER_STOCK, "国办发〔2020〕6号"},
    {2021, 60, 30, 60, 200, RB_FULL_MONTHS_CUMULATIVE, false, RB_LAYOFF_DECEMBER_STOCK, "人社部发〔2021〕29号"},
    {2022, 90, 50, 55, 200, RB_FULL_MONTHS_DATA_YEAR, true, RB_LAYOFF_DECEMBER_STOCK, "人社部发〔2022〕23号"},
    {2023, 60, 30, 55, 200, RB_FULL_MONTHS_DATA_YEAR, true, RB_LAYOFF_CLAIMANTS, "2023"},
    {2024, 60, 30, 55, 200, RB_FULL_MONTHS_DATA_YEAR, true, RB_LAYOFF_CLAIMANTS, "人社部发〔2024〕40号"},
    {2025, 60, 30, 55, 200, RB_FULL_MONTHS_DATA_YEAR, true, RB_LAYOFF_CLAIMANTS, "2025"},
};

START_TEST(params_seed_row_of_each_year)
{
    const char *dir;
    sqlite3 *db = open_fresh(&dir);
    int i = _i;
    rb_params p;
    rb_error err = {0};
    ck_assert_int_eq(rb_params_load(db, expected[i].year, &p, &err), RB_OK);
    ck_assert_int_eq(p.policy_year, expected[i].year);
    ck_assert_int_eq(p.rate_smm_pct, expected[i].smm);
    ck_assert_int_eq(p.rate_large_pct, expected[i].large);
    ck_assert_int_eq(p.layoff_target_permille, expected[i].target);
    ck_assert_int_eq(p.small_unit_layoff_cap_permille, expected[i].cap);
    ck_assert_int_eq(p.full_months_rule, expected[i].months_rule);
    ck_assert_int_eq(p.tax_account_allowed, expected[i].tax);
    ck_assert_int_eq(p.layoff_method, expected[i].method);
    /* the same every year unless a row says otherwise */
    ck_assert_int_eq(p.scope_max_headcount, 10);
    ck_assert_int_eq(p.small_unit_max_headcount, 30);
    ck_assert_int_eq(p.min_full_months, 12);
    ck_assert_int_eq(p.large_firm_min_headcount, 300);
    ck_assert_int_eq(p.review_amount, 2000000); /* 20000.00 yuan */
    ck_assert_int_eq(p.headcount_basis, RB_HEADCOUNT_DECEMBER);
    ck_assert_msg(strstr(p.legal_reference, expected[i].reference_part) != NULL, "%d: %s", expected[i].year,
                  p.legal_reference);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

START_TEST(params_year_without_row_is_usage_error)
{
    const char *dir;
    sqlite3 *db = open_fresh(&dir);
    rb_params p;
    rb_error err = {0};
    ck_assert_int_eq(rb_params_load(db, 2019, &p, &err), RB_E_USAGE);
    ck_assert_msg(strstr(err.message, "2019") && strstr(err.message, "2020, 2021, 2022, 2023, 2024, 2025"), "%s",
                  err.message);
    ck_assert_ptr_null(strchr(err.message, '\n'));
    rb_error_clear(&err);
    ck_assert_int_eq(rb_params_load(db, 2026, &p, &err), RB_E_USAGE);
    ck_assert(strstr(err.message, "2026") != NULL);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

/* A new year is one row; every column is read from it. */
START_TEST(params_new_row_is_read_whole)
{
    const char *dir;
    sqlite3 *db = open_fresh(&dir);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "INSERT INTO policy_params VALUES (2026, 70, 35, 45, 150, 'cumulative', 0,"
                                  " 'december_stock', 8, 25, 11, 250, 1500000, 'average', '测试通知')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    rb_params p;
    rb_error err = {0};
    ck_assert_int_eq(rb_params_load(db, 2026, &p, &err), RB_OK);
    ck_assert_int_eq(p.rate_smm_pct, 70);
    ck_assert_int_eq(p.rate_large_pct, 35);
    ck_assert_int_eq(p.layoff_target_permille, 45);
    ck_assert_int_eq(p.small_unit_layoff_cap_permille, 150);
    ck_assert_int_eq(p.full_months_rule, RB_FULL_MONTHS_CUMULATIVE);
    ck_assert(!p.tax_account_allowed);
    ck_assert_int_eq(p.layoff_method, RB_LAYOFF_DECEMBER_STOCK);
    ck_assert_int_eq(p.scope_max_headcount, 8);
    ck_assert_int_eq(p.small_unit_max_headcount, 25);
    ck_assert_int_eq(p.min_full_months, 11);
    ck_assert_int_eq(p.large_firm_min_headcount, 250);
    ck_assert_int_eq(p.review_amount, 1500000);
    ck_assert_int_eq(p.headcount_basis, RB_HEADCOUNT_AVERAGE);
    ck_assert_str_eq(p.legal_reference, "测试通知");
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

START_TEST(params_empty_table_says_so)
{
    const char *dir;
    sqlite3 *db = open_fresh(&dir);
    ck_assert_int_eq(sqlite3_exec(db, "DELETE FROM policy_params", NULL, NULL, NULL), SQLITE_OK);
    rb_params p;
    rb_error err = {0};
    ck_assert_int_eq(rb_params_load(db, 2021, &p, &err), RB_E_USAGE);
    ck_assert(strstr(err.message, "empty") != NULL);
    rb_db_close(db);
    ts_rmtree(dir);
}
END_TEST

static Suite *params_suite(void)
{
    Suite *s = suite_create("rules/params");
    TCase *tc = tcase_create("params");
    tcase_add_loop_test(tc, params_seed_row_of_each_year, 0, (int)(sizeof expected / sizeof expected[0]));
    tcase_add_test(tc, params_year_without_row_is_usage_error);
    tcase_add_test(tc, params_new_row_is_read_whole);
    tcase_add_test(tc, params_empty_table_says_so);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(params_suite)
