/* Tests of the label table (codes sorted, one label each), the reason-set
 * formatting, the words and facts explain prints, and the parsing of --uscc. */
#include <stdio.h>
#include <string.h>

#include "rebate/rules.h"
#include "rebate/strbuf.h"
#include "rules/rules_internal.h"
#include "test_support.h"

START_TEST(labels_codes_are_sorted_and_labelled)
{
    for (int r = 0; r < RB_R_COUNT; r++) {
        ck_assert_str_ne(rb_reason_code((rb_reason)r), "?");
        ck_assert_msg(strlen(rb_reason_label((rb_reason)r)) > 0, "%d has no label", r);
        if (r > 0)
            ck_assert_msg(strcmp(rb_reason_code((rb_reason)(r - 1)), rb_reason_code((rb_reason)r)) < 0,
                          "%s before %s", rb_reason_code((rb_reason)(r - 1)), rb_reason_code((rb_reason)r));
    }
    ck_assert_str_eq(rb_reason_code(RB_R_ARREARS), "ARREARS");
    ck_assert_str_eq(rb_reason_label(RB_R_ARREARS), "欠缴");
    ck_assert_str_eq(rb_reason_code(RB_R_ZERO_AMOUNT), "ZERO_AMOUNT");
    ck_assert_str_eq(rb_reason_code(RB_R_LABOUR_DISPATCH), "LABOUR_DISPATCH");
}
END_TEST

START_TEST(labels_outcomes)
{
    ck_assert_str_eq(rb_outcome_code(RB_OUTCOME_PAY), "PAY");
    ck_assert_str_eq(rb_outcome_code(RB_OUTCOME_REVIEW), "REVIEW");
    ck_assert_str_eq(rb_outcome_code(RB_OUTCOME_REJECT), "REJECT");
    ck_assert_str_eq(rb_outcome_code(RB_OUTCOME_SKIP), "SKIP");
    ck_assert_str_eq(rb_outcome_label(RB_OUTCOME_PAY), "拨付");
    ck_assert_str_eq(rb_outcome_label(RB_OUTCOME_REVIEW), "人工复核");
    ck_assert_str_eq(rb_outcome_label(RB_OUTCOME_REJECT), "不予返还");
    ck_assert_str_eq(rb_outcome_label(RB_OUTCOME_SKIP), "跳过");
}
END_TEST

START_TEST(labels_reasons_format)
{
    char buf[512];
    ck_assert_str_eq(rb_reasons_format(0, buf, sizeof buf), "");
    ck_assert_str_eq(rb_reasons_format((1u << RB_R_REG_INACTIVE) | (1u << RB_R_NAME_MISMATCH), buf, sizeof buf),
                     "NAME_MISMATCH;REG_INACTIVE");
    ck_assert_str_eq(rb_reasons_format((1u << RB_R_DATA_CONFLICT) | (1u << RB_R_ARREARS), buf, sizeof buf),
                     "ARREARS;DATA_CONFLICT");
    /* Every code fits in 512 bytes. */
    rb_reason_set all = (1u << RB_R_COUNT) - 1;
    rb_reasons_format(all, buf, sizeof buf);
    ck_assert(strncmp(buf, "ACCOUNT_INVALID;ALREADY_PAID;", 29) == 0);
    ck_assert(strstr(buf, ";ZERO_AMOUNT") != NULL);
    /* A small buffer gets whole codes only. */
    char small[20];
    ck_assert_str_eq(rb_reasons_format((1u << RB_R_ARREARS) | (1u << RB_R_DATA_CONFLICT), small, sizeof small),
                     "ARREARS");
}
END_TEST

START_TEST(words_for_periods_and_caps)
{
    rb_strbuf sb = RB_STRBUF_INIT;
    ck_assert(rb_period_words(202012, &sb) && rb_strbuf_adds(&sb, " ") && rb_period_words(201901, &sb));
    ck_assert_str_eq(sb.buf, "2020年12月 2019年1月");
    rb_strbuf_reset(&sb);
    ck_assert(rb_permille_words(200, &sb) && rb_strbuf_adds(&sb, " ") && rb_permille_words(55, &sb));
    ck_assert_str_eq(sb.buf, "20% 5.5%");
    rb_strbuf_release(&sb);
}
END_TEST

static char *fact(rb_reason r, const rb_params *p, const rb_firm_input *f, const rb_decision *d, rb_strbuf *sb)
{
    rb_strbuf_reset(sb);
    ck_assert(rb_reason_fact(r, p, f, d, sb));
    return sb->buf;
}

/* The facts explain prints name the values and the parameter compared. */
START_TEST(facts_name_values_and_parameters)
{
    rb_params p;
    memset(&p, 0, sizeof p);
    p.policy_year = 2021;
    p.rate_smm_pct = 60;
    p.small_unit_layoff_cap_permille = 200;
    p.layoff_target_permille = 60;
    p.small_unit_max_headcount = 30;
    p.scope_max_headcount = 10;
    p.min_full_months = 12;
    p.large_firm_min_headcount = 300;
    p.review_amount = 2000000;
    rb_month months[2] = {{201912, 8, 10000, 10000, 5000, 5000, 0, 2}, {202012, 5, 10000, 9000, 5000, 5000, 0, 3}};
    rb_firm_input f;
    memset(&f, 0, sizeof f);
    strcpy(f.uscc, "91110000600037341L");
    f.has_registration = true, f.reg_name = "某某公司", f.reg_status = "存续";
    f.has_unit = true, f.unit_name = "某某公司", f.account_name = "某某公司", f.bank_account = "6222020700001234567";
    f.ui_status = "正常";
    f.months = months, f.n_months = 2;
    rb_decision d;
    rb_decide(&p, &f, &d);
    char reasons[512];
    ck_assert_str_eq(rb_reasons_format(d.reasons, reasons, sizeof reasons), "ARREARS;FULL_MONTHS_SHORT;LAYOFF_HIGH");
    rb_strbuf sb = RB_STRBUF_INIT;
    ck_assert_str_eq(fact(RB_R_ARREARS, &p, &f, &d, &sb), "2020年欠缴合计 10.00 元");
    /* 8 -> 5 is 3/8 = 37.50 %, cap 20 % for up to 30 staff */
    ck_assert_str_eq(fact(RB_R_LAYOFF_HIGH, &p, &f, &d, &sb),
                     "参保人数由 8 人（2019年12月）到 5 人（2020年12月），减少 3 人，裁员率 3 ÷ 8 = 37.50%，"
                     "上限 20%（参保人数不超过 30 人的企业）");
    ck_assert_str_eq(fact(RB_R_FULL_MONTHS_SHORT, &p, &f, &d, &sb),
                     "足额缴费月数 1 个月（累计口径：2020年12月及以前各月），至少需 12 个月");
    ck_assert_str_eq(fact(RB_R_OVER_SCOPE, &p, &f, &d, &sb),
                     "参保人数 5 人（2020年12月），免申即享范围为不超过 10 人");
    ck_assert_str_eq(fact(RB_R_AMOUNT_HIGH, &p, &f, &d, &sb), "返还金额 84.00 元，复核限额 20000.00 元");
    ck_assert(strstr(fact(RB_R_LAYOFF_RATE, &p, &f, &d, &sb), "不适用") != NULL);
    /* claimants: 2 x 1 row / 5 = 400 permille; average 5.00 */
    p.layoff_method = RB_LAYOFF_CLAIMANTS;
    months[1].new_claimants = 2;
    rb_decide(&p, &f, &d);
    ck_assert_str_eq(fact(RB_R_LAYOFF_RATE, &p, &f, &d, &sb),
                     "2020年新增领取失业保险金 2 人，月均参保人数 5.00 人（5 ÷ 1），裁员率 40.00%，"
                     "上限 20%（参保人数不超过 30 人的企业）");
    p.headcount_basis = RB_HEADCOUNT_AVERAGE;
    ck_assert_str_eq(fact(RB_R_OVER_SCOPE, &p, &f, &d, &sb), "月均参保人数 5.00 人（5 ÷ 1），免申即享范围为不超过 10 人");
    rb_strbuf_release(&sb);
}
END_TEST

START_TEST(uscc_argument)
{
    char out[RB_USCC_LEN + 1];
    rb_error err = {0};
    ck_assert_int_eq(rb_uscc_parse("91110000600037341l", out, &err), RB_OK);
    ck_assert_str_eq(out, "91110000600037341L");
    ck_assert_int_eq(rb_uscc_parse("91110000600037341N", out, &err), RB_E_USAGE);
    ck_assert_msg(strstr(err.message, "check character should be 'L'") != NULL, "%s", err.message);
    rb_error_clear(&err);
    ck_assert_int_eq(rb_uscc_parse("12345", out, &err), RB_E_USAGE);
    ck_assert(strstr(err.message, "5 characters") != NULL);
    rb_error_clear(&err);
    ck_assert_int_eq(rb_uscc_parse("9111000060003IOZSV", out, &err), RB_E_USAGE);
    ck_assert(strstr(err.message, "I, O, S, V and Z") != NULL);
}
END_TEST

static Suite *labels_suite(void)
{
    Suite *s = suite_create("rules/labels");
    TCase *tc = tcase_create("labels");
    tcase_add_test(tc, labels_codes_are_sorted_and_labelled);
    tcase_add_test(tc, labels_outcomes);
    tcase_add_test(tc, labels_reasons_format);
    tcase_add_test(tc, words_for_periods_and_caps);
    tcase_add_test(tc, facts_name_values_and_parameters);
    tcase_add_test(tc, uscc_argument);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(labels_suite)
