/* Tests of `rebate explain` through the built binary: exit statuses (64 for
 * a bad code or a year without parameters, 66 for a missing database or a
 * firm outside the population), one sentence on stderr, every rule shown,
 * and the printed numbers adding up to the printed amount. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/money.h"
#include "rebate/rules.h"
#include "snapshot.h"
#include "test_support.h"

static char db_path[4200];
static const char *tmp_dir;
static char code_paid[RB_USCC_LEN + 1], code_arrears[RB_USCC_LEN + 1], code_half[RB_USCC_LEN + 1],
    code_reg_only[RB_USCC_LEN + 1];

static void setup(void)
{
    tmp_dir = strdup(ts_tmpdir());
    sqlite3 *db = snap_open(tmp_dir, db_path);
    snap_code(1, code_paid);
    snap_code(2, code_arrears);
    snap_code(3, code_half);
    snap_code(4, code_reg_only);
    snap_exec(db, "BEGIN");
    snap_baseline_firm(db, code_paid, 2020);
    snap_baseline_firm(db, code_arrears, 2020);
    snap_exec_snapshot("UPDATE temp.months SET employee_paid = 4999 WHERE uscc = %Q AND period = 202004", code_arrears);
    /* for 2022 (90 %, data year 2021): base 1800.05 gives 1620.045 */
    snap_baseline_firm(db, code_half, 2021);
    snap_exec_snapshot("UPDATE temp.months SET employee_due = 5005, employee_paid = 5005 WHERE uscc = %Q AND period = 202101",
                       code_half);
    snap_registration(db, code_reg_only, "只有登记的企业", "存续", "active", NULL, 0, 9);
    snap_exec(db, "COMMIT");
    snap_publish(db);
    rb_db_close(db);
}

static void teardown(void)
{
    ts_rmtree(tmp_dir);
    free((void *)tmp_dir);
}

static int lines_in(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Reads a money value ("1234.56") at s into fen. */
static rb_fen money_at(const char *s)
{
    size_t len = strspn(s, "0123456789.");
    rb_fen fen = -1;
    ck_assert_msg(rb_money_parse(s, len, &fen) == RB_MONEY_OK, "not money: %.20s", s);
    return fen;
}

static rb_fen money_after(const char *text, const char *marker)
{
    const char *at = strstr(text, marker);
    ck_assert_msg(at != NULL, "no '%s' in:\n%s", marker, text);
    return money_at(at + strlen(marker));
}

/* The months table: each row of the data year ends in its counted base
 * and arrears; their sums must be the base and arrears shown, and base x
 * rate rounded half up must be the amount shown in the conclusion. */
static void check_numbers_add_up(const char *out, int data_year, rb_fen want_amount)
{
    char prefix[16];
    snprintf(prefix, sizeof prefix, "\n  %d-", data_year);
    rb_fen counted_sum = 0, arrears_sum = 0;
    int rows = 0;
    for (const char *p = strstr(out, prefix); p; p = strstr(p + 1, prefix)) {
        char period[16], er_due[32], er_paid[32], ee_due[32], ee_paid[32], arrears[32], counted[32];
        long long count, claimants;
        ck_assert_int_eq(sscanf(p + 1, "%15s %lld %31s %31s %31s %31s %lld %31s %31s", period, &count, er_due, er_paid,
                                ee_due, ee_paid, &claimants, arrears, counted),
                         9);
        counted_sum += money_at(counted);
        arrears_sum += money_at(arrears);
        /* counted = min(paid, due) of each part */
        rb_fen ed = money_at(er_due), ep = money_at(er_paid), ud = money_at(ee_due), up = money_at(ee_paid);
        ck_assert_int_eq(money_at(counted), (ep < ed ? ep : ed) + (up < ud ? up : ud));
        rows++;
    }
    ck_assert_int_eq(rows, 12);
    char marker[64];
    snprintf(marker, sizeof marker, "BASE 缴费基数：%d年各月计入基数合计 ", data_year);
    rb_fen base = money_after(out, marker);
    ck_assert_int_eq(counted_sum, base);
    snprintf(marker, sizeof marker, "ARREARS 欠缴：%d年欠缴合计 ", data_year);
    ck_assert_int_eq(arrears_sum, money_after(out, marker));
    ck_assert_int_eq(base, money_after(out, "AMOUNT 返还金额：缴费基数 "));
    const char *rate_at = strstr(out, "× 返还比例 ");
    ck_assert_ptr_nonnull(rate_at);
    int rate = atoi(rate_at + strlen("× 返还比例 "));
    /* the conclusion: 返还金额 for a PAY, 测算金额 otherwise */
    rb_fen amount = strstr(out, "结果：PAY") ? money_after(out, "\n  返还金额：") : money_after(out, "\n  测算金额：");
    ck_assert_int_eq(amount, (base * rate + 50) / 100);
    ck_assert_int_eq(amount, want_amount);
}

START_TEST(explain_pay_adds_up)
{
    char *out = NULL, *err = NULL;
    int rc = ts_run_rebate(&out, &err, "explain", "--db", db_path, "--year", "2021", "--uscc", code_paid, NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    ck_assert_str_eq(err, "");
    ck_assert(strstr(out, "结果：PAY 拨付") != NULL);
    ck_assert(strstr(out, "人社部发〔2021〕29号") != NULL); /* the parameter row's reference */
    /* "8 -> 8": the December of both years */
    ck_assert_msg(strstr(out, "参保人数由 8 人（2019年12月）到 8 人（2020年12月），未减少") != NULL, "%s", out);
    ck_assert(strstr(out, "ARREARS 欠缴：2020年欠缴合计 0.00 元 — 通过") != NULL);
    ck_assert(strstr(out, "1800.00 元 × 返还比例 60% = 1080.00 元\n") != NULL);
    /* every rule is shown with its verdict */
    for (int r = 0; r < RB_R_COUNT; r++) {
        char code[64];
        snprintf(code, sizeof code, "    %s ", rb_reason_code((rb_reason)r));
        ck_assert_msg(strstr(out, code) != NULL, "rule %s not shown", code);
    }
    check_numbers_add_up(out, 2020, 108000);
    free(out);
    free(err);
}
END_TEST

START_TEST(explain_reject_shows_the_fen)
{
    char *out = NULL, *err = NULL;
    int rc = ts_run_rebate(&out, &err, "explain", "--db", db_path, "--year", "2021", "--uscc", code_arrears, NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    ck_assert(strstr(out, "结果：REJECT 不予返还") != NULL);
    ck_assert(strstr(out, "原因：ARREARS 欠缴") != NULL);
    ck_assert(strstr(out, "ARREARS 欠缴：2020年欠缴合计 0.01 元 — 不通过") != NULL);
    /* 1799.99 x 60 % = 1079.994 -> 1079.99 */
    ck_assert_msg(strstr(out, "= 1079.994 元，四舍五入到分为 1079.99 元") != NULL, "%s", out);
    check_numbers_add_up(out, 2020, 107999);
    free(out);
    free(err);
}
END_TEST

START_TEST(explain_half_fen_rounds_up)
{
    char *out = NULL, *err = NULL;
    int rc = ts_run_rebate(&out, &err, "explain", "--db", db_path, "--year", "2022", "--uscc", code_half, NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    /* 1800.05 x 90 % = 1620.045 -> 1620.05 */
    ck_assert_msg(strstr(out, "缴费基数 1800.05 元 × 返还比例 90% = 1620.045 元，四舍五入到分为 1620.05 元") != NULL,
                  "%s", out);
    check_numbers_add_up(out, 2021, 162005);
    free(out);
    free(err);
}
END_TEST

START_TEST(explain_lower_case_code_accepted)
{
    char lower[RB_USCC_LEN + 1];
    strcpy(lower, code_paid);
    for (char *c = lower; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    int rc = ts_run_rebate(NULL, NULL, "explain", "--db", db_path, "--year", "2021", "--uscc", lower, NULL);
    ck_assert_int_eq(rc, 0);
}
END_TEST

/* One sentence on stderr, nothing on stdout. */
static void expect_failure(int want, const char *mentions, const char *a1, const char *a2, const char *a3,
                           const char *a4, const char *a5, const char *a6, const char *a7)
{
    char *out = NULL, *err = NULL;
    int rc = ts_run_rebate(&out, &err, a1, a2, a3, a4, a5, a6, a7, NULL);
    ck_assert_msg(rc == want, "exit %d, expected %d: %s", rc, want, err);
    ck_assert_str_eq(out, "");
    ck_assert_msg(lines_in(err) == 1, "not one line: %s", err);
    ck_assert_msg(strstr(err, mentions) != NULL, "'%s' not in: %s", mentions, err);
    free(out);
    free(err);
}

START_TEST(explain_exit_statuses)
{
    char typo[RB_USCC_LEN + 1], outside[RB_USCC_LEN + 1];
    snap_mistyped(code_paid, typo);
    expect_failure(64, typo, "explain", "--db", db_path, "--year", "2021", "--uscc", typo);
    expect_failure(64, "12345", "explain", "--db", db_path, "--year", "2021", "--uscc", "12345");
    /* a valid code of no insured unit; a firm only registered */
    snap_code(77, outside);
    expect_failure(66, outside, "explain", "--db", db_path, "--year", "2021", "--uscc", outside);
    expect_failure(66, code_reg_only, "explain", "--db", db_path, "--year", "2021", "--uscc", code_reg_only);
    /* a year without parameters names the years there are */
    expect_failure(64, "2019", "explain", "--db", db_path, "--year", "2019", "--uscc", code_paid);
    expect_failure(64, "--year", "explain", "--db", db_path, "--year", "21", "--uscc", code_paid);
    /* a missing database */
    char missing[4300];
    snprintf(missing, sizeof missing, "%s/none.db", tmp_dir);
    expect_failure(66, missing, "explain", "--db", missing, "--year", "2021", "--uscc", code_paid);
    /* usage */
    expect_failure(64, "required", "explain", "--db", db_path, "--year", "2021", NULL, NULL);
    expect_failure(64, "--bogus", "explain", "--bogus", db_path, "--year", "2021", "--uscc", code_paid);
}
END_TEST

START_TEST(explain_help)
{
    char *out = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "explain", "--help", NULL), 0);
    ck_assert(strstr(out, "usage: rebate explain --db DB --year Y --uscc CODE") != NULL);
    free(out);
}
END_TEST

static Suite *explain_suite(void)
{
    Suite *s = suite_create("rules/explain");
    TCase *tc = tcase_create("explain");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, explain_pay_adds_up);
    tcase_add_test(tc, explain_reject_shows_the_fen);
    tcase_add_test(tc, explain_half_fen_rounds_up);
    tcase_add_test(tc, explain_lower_case_code_accepted);
    tcase_add_test(tc, explain_exit_statuses);
    tcase_add_test(tc, explain_help);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(explain_suite)
