/* Tests of the working-day calendar (src/util/workdays.c): the compiled-in
 * calendars against the public 2020-2021 vectors, counting across the
 * National Day week, the Spring Festival and a year boundary, a missing
 * year, and the calendar folder read at run time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/workdays.h"
#include "test_support.h"

static rb_workdays *load_default(void)
{
    rb_workdays *cal = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_workdays_load(NULL, &cal, &err), RB_OK);
    return cal;
}

/* Every day of 2020 and 2021 against tests/fixtures/vectors/cn_holidays_2020_2021.tsv
 * (holiday-cn, cross-checked with chinese-calendar): listed days as listed,
 * the others by the week. */
START_TEST(matches_public_vectors_2020_2021)
{
    size_t len = 0;
    char *tsv = ts_read_file(ts_fixture("vectors/cn_holidays_2020_2021.tsv"), &len);
    rb_workdays *cal = load_default();
    int listed = 0;
    for (int32_t d = 20200101; d <= 20211231; d = rb_date_add_days(d, 1)) {
        char key[48];
        snprintf(key, sizeof key, "%04d-%02d-%02d\t", (int)(d / 10000), (int)(d / 100 % 100), (int)(d % 100));
        const char *hit = strstr(tsv, key);
        bool expected = rb_date_weekday(d) < 5;
        if (hit != NULL) {
            listed++;
            expected = strncmp(hit + strlen(key), "workday", 7) == 0;
        }
        bool provisional = false;
        ck_assert_msg(rb_workdays_is_working(cal, d, &provisional) == expected, "%d", (int)d);
        ck_assert(!provisional);
    }
    ck_assert_int_eq(listed, 74);
    rb_workdays_free(cal);
    free(tsv);
}
END_TEST

/* docs/report.md's example: 2020-09-28 + 5 crosses the National Day week and
 * its make-up Saturday 10-10 (and Sunday 09-27 before it). */
START_TEST(national_day_week)
{
    rb_workdays *cal = load_default();
    bool provisional = false;
    int32_t end = rb_workdays_after(cal, 20200928, 5, &provisional);
    ck_assert_int_eq(end, 20201012);
    ck_assert_int_eq(rb_workdays_after(cal, end, RB_DUE_WORKING_DAYS, &provisional), 20201019);
    /* 09-29, 09-30, 10-09, 10-10 (Saturday, worked), 10-12. */
    ck_assert_int_eq(rb_workdays_after(cal, 20200928, 4, &provisional), 20201010);
    ck_assert(rb_workdays_is_working(cal, 20200927, NULL));
    ck_assert(!rb_workdays_is_working(cal, 20201008, NULL));
    ck_assert(!provisional);
    /* 0 = the as-of date itself, even on a holiday. */
    ck_assert_int_eq(rb_workdays_after(cal, 20201003, 0, &provisional), 20201003);
    rb_workdays_free(cal);
}
END_TEST

START_TEST(spring_festival)
{
    rb_workdays *cal = load_default();
    /* 2021: 02-07 (Sunday) worked, 02-11..17 off, 02-20 (Saturday) worked. */
    ck_assert_int_eq(rb_workdays_after(cal, 20210205, 1, NULL), 20210207);
    ck_assert_int_eq(rb_workdays_after(cal, 20210205, 5, NULL), 20210218);
    ck_assert_int_eq(rb_workdays_after(cal, 20210218, 2, NULL), 20210220);
    /* 2020, extended by the January notice: off to 02-02, 02-01 no longer worked. */
    ck_assert_int_eq(rb_workdays_after(cal, 20200123, 1, NULL), 20200203);
    /* 2026: 02-14 (Saturday) worked, 02-15..23 off, 02-28 (Saturday) worked. */
    ck_assert_int_eq(rb_workdays_after(cal, 20260213, 1, NULL), 20260214);
    ck_assert_int_eq(rb_workdays_after(cal, 20260214, 1, NULL), 20260224);
    ck_assert_int_eq(rb_workdays_after(cal, 20260227, 1, NULL), 20260228);
    rb_workdays_free(cal);
}
END_TEST

START_TEST(year_boundary)
{
    rb_workdays *cal = load_default();
    /* 2020-12-30 (Wednesday) + 2: 12-31, then 2021-01-01..03 off, 01-04. */
    ck_assert_int_eq(rb_workdays_after(cal, 20201230, 2, NULL), 20210104);
    /* 2025-12-31 + 1: 2026-01-01..03 off, 01-04 (Sunday) worked. */
    ck_assert_int_eq(rb_workdays_after(cal, 20251231, 1, NULL), 20260104);
    ck_assert_int_eq(rb_workdays_after(cal, 20251231, 2, NULL), 20260105);
    ck_assert_int_eq(rb_date_add_days(20201231, 1), 20210101);
    ck_assert_int_eq(rb_date_add_days(20240228, 1), 20240229);
    rb_workdays_free(cal);
}
END_TEST

/* A few days of each year 2022-2026 as each notice gives them, and every
 * year 2020-2026 known with its count of working days. */
START_TEST(calendars_2020_to_2026)
{
    rb_workdays *cal = load_default();
    static const struct {
        int32_t day;
        bool working;
    } cases[] = {
        {20220130, true},  {20220131, false}, {20220402, true},  {20221008, true},  {20221007, false},
        {20230102, false}, {20230128, true},  {20230405, false}, {20231006, false}, {20231008, true},
        {20240204, true},  {20240218, true},  {20240216, false}, {20240407, true},  {20241012, true},
        {20250128, false}, {20250204, false}, {20250208, true},  {20250427, true},  {20251008, false},
        {20251011, true},  {20260104, true},  {20260223, false}, {20260509, true},  {20260920, true},
        {20261007, false}, {20261010, true},  {20261009, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(rb_workdays_is_working(cal, cases[i].day, NULL) == cases[i].working, "%d",
                      (int)cases[i].day);
    static const int working_days[] = {249, 250, 249, 249, 251, 248, 248}; /* 2020 .. 2026 */
    for (int y = 2020; y <= 2026; y++) {
        ck_assert(rb_workdays_knows_year(cal, y));
        int n = 0;
        for (int32_t d = y * 10000 + 101; d <= y * 10000 + 1231; d = rb_date_add_days(d, 1))
            n += rb_workdays_is_working(cal, d, NULL);
        ck_assert_msg(n == working_days[y - 2020], "%d: %d working days", y, n);
    }
    rb_workdays_free(cal);
}
END_TEST

/* A year with no file is counted Monday to Friday, and said so. */
START_TEST(missing_year_is_provisional)
{
    rb_workdays *cal = load_default();
    ck_assert(!rb_workdays_knows_year(cal, 2099));
    bool provisional = false;
    /* 2099-01-01 is a Thursday: Fri, Mon, Tue. */
    ck_assert_int_eq(rb_workdays_after(cal, 20990101, 3, &provisional), 20990106);
    ck_assert(provisional);
    /* Counting that stays in a known year is not provisional. */
    provisional = false;
    rb_workdays_after(cal, 20260601, 5, &provisional);
    ck_assert(!provisional);
    /* 0 days needs no calendar at all. */
    ck_assert_int_eq(rb_workdays_after(cal, 20990101, 0, &provisional), 20990101);
    ck_assert(!provisional);
    rb_workdays_free(cal);
}
END_TEST

/* The folder read at run time adds a year and replaces one; a bad file is
 * refused naming the file and line, and changes nothing. */
START_TEST(folder_adds_and_replaces)
{
    const char *dir = ts_tmpdir();
    char folder[4096];
    snprintf(folder, sizeof folder, "%s", dir);
    ts_write_file(folder, "2099.txt", "# 2099\n2099-01-01 休 元旦\r\n2099-01-02 休 元旦\n2099-01-03 班 调休\n", (size_t)-1);
    ts_write_file(folder, "2021.txt", "2021-06-14 班 (a test: a Monday cannot be 班)\n", (size_t)-1);
    ts_write_file(folder, "README", "not a calendar\n", (size_t)-1);
    rb_workdays *cal = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_workdays_load(folder, &cal, &err), RB_E_CONFIG);
    ck_assert_ptr_null(cal);
    ck_assert_msg(strstr(err.message, "2021.txt' line 1") != NULL && strstr(err.message, "weekday") != NULL, "%s",
                  err.message);

    ts_write_file(folder, "2021.txt", "2021-06-14 休 端午节\n", (size_t)-1);
    rb_error_clear(&err);
    ck_assert_int_eq(rb_workdays_load(folder, &cal, &err), RB_OK);
    ck_assert(rb_workdays_knows_year(cal, 2099));
    bool provisional = false;
    /* 2099-01-01 Thu and 01-02 Fri off, 01-03 Saturday worked. */
    ck_assert_int_eq(rb_workdays_after(cal, 20981231, 1, &provisional), 20990103);
    ck_assert(!provisional);
    /* 2021 is now only what the folder's file says: the Spring Festival is gone. */
    ck_assert(rb_workdays_is_working(cal, 20210211, NULL));
    ck_assert(!rb_workdays_is_working(cal, 20210614, NULL));
    rb_workdays_free(cal);

    static const char *const bad[] = {
        "2099-13-01 休 x\n", "2099-01-01 放 x\n", "2098-01-01 休 x\n", "2099-01-01 休\n2099-01-01 休\n",
        "2099-01-01休\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ts_write_file(folder, "2099.txt", bad[i], (size_t)-1);
        rb_error_clear(&err);
        ck_assert_int_eq(rb_workdays_load(folder, &cal, &err), RB_E_CONFIG);
        ck_assert_msg(strstr(err.message, "2099.txt' line") != NULL, "%s", err.message);
    }
    ts_rmtree(folder);
}
END_TEST

/* The nightly warning: from 1 December while next year's file is missing,
 * and whenever this year's is. */
START_TEST(year_to_add)
{
    rb_workdays *cal = load_default();
    ck_assert_int_eq(rb_workdays_year_to_add(cal, 20260601), 0);
    ck_assert_int_eq(rb_workdays_year_to_add(cal, 20261130), 0);
    ck_assert_int_eq(rb_workdays_year_to_add(cal, 20261201), 2027);
    ck_assert_int_eq(rb_workdays_year_to_add(cal, 20261231), 2027);
    ck_assert_int_eq(rb_workdays_year_to_add(cal, 20251201), 0);
    ck_assert_int_eq(rb_workdays_year_to_add(cal, 20270105), 2027);
    rb_error err = {0};
    ck_assert_int_eq(rb_workdays_add_year(cal, 2027, "2027.txt", "2027-01-01 休 元旦\n", &err), RB_OK);
    ck_assert_int_eq(rb_workdays_year_to_add(cal, 20261215), 0);
    rb_workdays_free(cal);
}
END_TEST

START_TEST(chinese_dates)
{
    char buf[32];
    ck_assert_str_eq(rb_date_format_zh(20201012, buf), "2020年10月12日");
    ck_assert_str_eq(rb_date_format_zh(20210101, buf), "2021年1月1日");
    ck_assert_int_eq(rb_date_weekday(20201010), 5);
    ck_assert_int_eq(rb_date_weekday(20261203), 3);
}
END_TEST

static Suite *workdays_suite(void)
{
    Suite *s = suite_create("workdays");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, matches_public_vectors_2020_2021);
    tcase_add_test(tc, national_day_week);
    tcase_add_test(tc, spring_festival);
    tcase_add_test(tc, year_boundary);
    tcase_add_test(tc, calendars_2020_to_2026);
    tcase_add_test(tc, missing_year_is_provisional);
    tcase_add_test(tc, folder_adds_and_replaces);
    tcase_add_test(tc, year_to_add);
    tcase_add_test(tc, chinese_dates);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(workdays_suite)
