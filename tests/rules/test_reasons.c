/* Tests of the reason table (src/rules/reasons.c): the detail sentence of
 * every reason, as clerks read it in exceptions.csv, word for word with its
 * values; the joining of several; the facts explain prints for the named
 * numbers (account digits, labour-dispatch codes); and that every row of
 * the table is complete. */
#include <stdio.h>
#include <string.h>

#include "rebate/rules.h"
#include "rebate/strbuf.h"
#include "rules/rules_internal.h"
#include "test_support.h"

static rb_params params;
static rb_firm_input firm;
static rb_decision decision;
static rb_strbuf text = RB_STRBUF_INIT;

/* A firm with every field filled, as the reader gives it, and a decision
 * whose measures carry distinct numbers so each sentence shows its own. */
static void setup(void)
{
    memset(&params, 0, sizeof params);
    params.policy_year = 2022;
    params.min_full_months = 12;
    params.rate_smm_pct = 60;
    params.rate_large_pct = 30;
    params.large_firm_min_headcount = 300;
    params.scope_max_headcount = 10;
    params.review_amount = 2000000;
    params.small_unit_layoff_cap_permille = 200;
    params.small_unit_max_headcount = 30;
    memset(&firm, 0, sizeof firm);
    strcpy(firm.uscc, "91110000600037341L");
    firm.has_registration = true, firm.reg_name = "北京某某科技有限公司", firm.reg_status = "吊销";
    firm.industry_code = "L7263";
    firm.has_unit = true, firm.unit_name = "北京某某科技公司", firm.ui_status = "暂停缴费";
    firm.account_name = "某某商贸", firm.bank_account = "62220207", firm.bank_name = "工商银行";
    firm.row_errors = 3, firm.conflicts = 2;
    firm.paid_reference = "2022-20230301-001-000007";
    memset(&decision, 0, sizeof decision);
    rb_measures *m = &decision.measures;
    m->data_year = 2021;
    m->full_months = 7;
    m->arrears = 123456;
    m->claimants = 4;
    m->layoff_num = 4, m->layoff_den = 9;
    m->layoff_start = 9, m->layoff_end = 5;
    m->layoff_cap_permille = 200;
    m->amount = 2500001;
    rb_strbuf_reset(&text);
}

static void teardown(void)
{
    rb_strbuf_release(&text);
}

/* The detail column for a decision listing only reason r. */
static const char *detail(rb_reason r)
{
    decision.reasons = 1u << r;
    rb_strbuf_reset(&text);
    ck_assert(rb_decision_detail(&params, &firm, &decision, &text));
    return text.buf;
}

START_TEST(detail_of_every_reason)
{
    ck_assert_str_eq(detail(RB_R_ACCOUNT_INVALID), "ACCOUNT_INVALID 银行账号“62220207”不是 8 至 32 位数字");
    ck_assert_str_eq(detail(RB_R_ALREADY_PAID), "ALREADY_PAID 本年度已拨付（2022-20230301-001-000007）");
    ck_assert_str_eq(detail(RB_R_AMOUNT_HIGH), "AMOUNT_HIGH 返还金额 25000.01 元超过复核限额 20000.00 元");
    ck_assert_str_eq(detail(RB_R_ARREARS), "ARREARS 2021年欠缴 1234.56 元");
    ck_assert_str_eq(detail(RB_R_DATA_CONFLICT), "DATA_CONFLICT 有 2 行同键不同值的重复数据，见本表 ROW 行");
    ck_assert_str_eq(detail(RB_R_DISHONEST), "DISHONEST 列入严重失信主体名单");
    ck_assert_str_eq(detail(RB_R_FULL_MONTHS_SHORT), "FULL_MONTHS_SHORT 足额缴费 7 个月，少于 12 个月");
    ck_assert_str_eq(detail(RB_R_LABOUR_DISPATCH), "LABOUR_DISPATCH 行业代码 L7263（劳务派遣服务），须由单位申请办理");
    ck_assert_str_eq(detail(RB_R_LAYOFF_HIGH), "LAYOFF_HIGH 参保人数由 9 降至 5，降幅 44.44% 超过 20.00%");
    ck_assert_str_eq(detail(RB_R_LAYOFF_RATE), "LAYOFF_RATE 新增领取失业保险金 4 人，裁员率 44.44% 超过 20.00%");
    ck_assert_str_eq(detail(RB_R_NAME_MISMATCH),
                     "NAME_MISMATCH 参保单位名称“北京某某科技公司”与登记名称“北京某某科技有限公司”不一致");
    ck_assert_str_eq(detail(RB_R_NO_ACCOUNT), "NO_ACCOUNT 仅有税务账户，2022年度不允许向税务账户拨付");
    ck_assert_str_eq(detail(RB_R_NO_CONTRIBUTIONS), "NO_CONTRIBUTIONS 2021年无缴费记录");
    ck_assert_str_eq(detail(RB_R_OVER_SCOPE), "OVER_SCOPE 参保人数超过 10 人");
    ck_assert_str_eq(detail(RB_R_PAYEE_MISMATCH), "PAYEE_MISMATCH 收款户名“某某商贸”与登记名称“北京某某科技有限公司”不一致");
    ck_assert_str_eq(detail(RB_R_REG_INACTIVE), "REG_INACTIVE 登记状态为“吊销”");
    ck_assert_str_eq(detail(RB_R_REG_MISSING), "REG_MISSING 无市场主体登记信息");
    firm.reg_status = "停业";
    ck_assert_str_eq(detail(RB_R_REG_SUSPENDED), "REG_SUSPENDED 登记状态为“停业”");
    ck_assert_str_eq(detail(RB_R_ROW_ERROR), "ROW_ERROR 导入时有 3 行该单位的数据被拒收，见本表 ROW 行");
    ck_assert_str_eq(detail(RB_R_TRANSFER_RETURNED), "TRANSFER_RETURNED 上次转账被银行退回，收款账户至今未更正");
    ck_assert_str_eq(detail(RB_R_UI_SUSPENDED), "UI_SUSPENDED 参保状态为“暂停缴费”");
    firm.ui_status = "终止";
    ck_assert_str_eq(detail(RB_R_UI_TERMINATED), "UI_TERMINATED 参保状态为“终止”");
    ck_assert_str_eq(detail(RB_R_UNIT_MISSING), "UNIT_MISSING 无失业保险参保单位信息");
    decision.measures.amount = 0;
    ck_assert_str_eq(detail(RB_R_ZERO_AMOUNT), "ZERO_AMOUNT 返还金额为 0.00 元");
}
END_TEST

/* The reasons whose sentence depends on which case holds. */
START_TEST(detail_variants)
{
    firm.bank_account = "";
    ck_assert_str_eq(detail(RB_R_NO_ACCOUNT), "NO_ACCOUNT 未提供银行账号");
    firm.bank_account = NULL;
    ck_assert_str_eq(detail(RB_R_NO_ACCOUNT), "NO_ACCOUNT 未提供银行账号");
    firm.has_unit = false;
    ck_assert_str_eq(detail(RB_R_NO_ACCOUNT), "NO_ACCOUNT 无参保单位信息，没有收款账户");
    firm.account_name = "";
    ck_assert_str_eq(detail(RB_R_PAYEE_MISMATCH), "PAYEE_MISMATCH 收款户名为空");
    firm.account_name = NULL;
    ck_assert_str_eq(detail(RB_R_PAYEE_MISMATCH), "PAYEE_MISMATCH 收款户名为空");
    /* claimants with an average headcount of 0: over every cap */
    decision.measures.layoff_den = 0;
    ck_assert_str_eq(detail(RB_R_LAYOFF_RATE), "LAYOFF_RATE 新增领取失业保险金 4 人，而平均参保人数为 0");
    ck_assert_str_eq(detail(RB_R_LAYOFF_HIGH), "LAYOFF_HIGH 参保人数由 9 降至 5，降幅 —% 超过 20.00%");
    decision.measures.layoff_cap_permille = 55;
    decision.measures.layoff_den = 9;
    ck_assert_str_eq(detail(RB_R_LAYOFF_HIGH), "LAYOFF_HIGH 参保人数由 9 降至 5，降幅 44.44% 超过 5.50%");
    /* missing values print empty, never "(null)" */
    firm.reg_status = NULL, firm.industry_code = NULL, firm.paid_reference = NULL, firm.reg_name = NULL;
    ck_assert_str_eq(detail(RB_R_REG_INACTIVE), "REG_INACTIVE 登记状态为“”");
    ck_assert_str_eq(detail(RB_R_LABOUR_DISPATCH), "LABOUR_DISPATCH 行业代码 （劳务派遣服务），须由单位申请办理");
    ck_assert_str_eq(detail(RB_R_ALREADY_PAID), "ALREADY_PAID 本年度已拨付（）");
    firm.ui_status = NULL;
    ck_assert_str_eq(detail(RB_R_UI_SUSPENDED), "UI_SUSPENDED 参保状态为“”");
}
END_TEST

/* Several reasons: in code order, joined by a full-width semicolon. */
START_TEST(detail_joins_in_code_order)
{
    decision.reasons = (1u << RB_R_ROW_ERROR) | (1u << RB_R_FULL_MONTHS_SHORT) | (1u << RB_R_ARREARS);
    ck_assert(rb_decision_detail(&params, &firm, &decision, &text));
    ck_assert_str_eq(text.buf, "ARREARS 2021年欠缴 1234.56 元；FULL_MONTHS_SHORT 足额缴费 7 个月，少于 12 个月；"
                               "ROW_ERROR 导入时有 3 行该单位的数据被拒收，见本表 ROW 行");
    decision.reasons = 0;
    rb_strbuf_reset(&text);
    ck_assert(rb_decision_detail(&params, &firm, &decision, &text));
    ck_assert_str_eq(text.buf, "");
}
END_TEST

/* Through rb_decide: the sentence a real decision gets. */
START_TEST(detail_of_a_decided_firm)
{
    rb_month months[2] = {{202012, 8, 10000, 10000, 5000, 5000, 0, 2}, {202112, 8, 10000, 9000, 5000, 5000, 0, 3}};
    firm.months = months, firm.n_months = 2;
    firm.reg_status = "存续", firm.reg_class = RB_REG_ACTIVE, firm.industry_code = "7263";
    firm.ui_status = "正常", firm.ui_class = RB_UI_ACTIVE;
    firm.unit_name = firm.reg_name, firm.account_name = firm.reg_name, firm.bank_account = "6222020700001234567";
    firm.row_errors = 0, firm.conflicts = 0;
    rb_decide(&params, &firm, &decision);
    ck_assert_int_eq(decision.outcome, RB_OUTCOME_REJECT);
    ck_assert(rb_decision_detail(&params, &firm, &decision, &text));
    ck_assert_str_eq(text.buf, "ARREARS 2021年欠缴 10.00 元；FULL_MONTHS_SHORT 足额缴费 1 个月，少于 12 个月；"
                               "LABOUR_DISPATCH 行业代码 7263（劳务派遣服务），须由单位申请办理");
}
END_TEST

static const char *fact(rb_reason r)
{
    rb_strbuf_reset(&text);
    ck_assert(rb_reason_fact(r, &params, &firm, &decision, &text));
    return text.buf;
}

/* The named numbers reach the sentences explain prints. */
START_TEST(facts_use_the_named_numbers)
{
    firm.bank_account = "6222 0207-0000 1234 567";
    ck_assert_str_eq(fact(RB_R_ACCOUNT_INVALID), "银行账号 ****4567（去掉空格和“-”后 19 位数字），应为 8 至 32 位数字");
    firm.bank_account = "1234567";
    ck_assert_str_eq(fact(RB_R_ACCOUNT_INVALID), "银行账号 ****（去掉空格和“-”后 7 位数字），应为 8 至 32 位数字");
    firm.industry_code = "l7263";
    ck_assert_str_eq(fact(RB_R_LABOUR_DISPATCH), "行业代码「l7263」（劳务派遣服务为 7263 或 L7263）");
    rb_rule_input in = {&params, &firm, &decision.measures};
    ck_assert(rb_reason_table[RB_R_LABOUR_DISPATCH].applies(&in));
    firm.industry_code = " 7263 ";
    ck_assert(rb_reason_table[RB_R_LABOUR_DISPATCH].applies(&in));
    firm.industry_code = "L72631";
    ck_assert(!rb_reason_table[RB_R_LABOUR_DISPATCH].applies(&in));
    /* 8 and 32 digits are valid, 7 and 33 are not */
    const char *accounts[] = {"12345678", "12345678901234567890123456789012", "1234567",
                              "123456789012345678901234567890123", "1234567a"};
    bool invalid[] = {false, false, true, true, true};
    for (size_t i = 0; i < sizeof accounts / sizeof accounts[0]; i++) {
        firm.bank_account = accounts[i];
        ck_assert_msg(rb_reason_table[RB_R_ACCOUNT_INVALID].applies(&in) == invalid[i], "%s", accounts[i]);
    }
}
END_TEST

/* Every row is complete and sits at its enum's index. */
START_TEST(table_rows_complete)
{
    for (int r = 0; r < RB_R_COUNT; r++) {
        const rb_reason_row *row = &rb_reason_table[r];
        ck_assert_msg(row->code != NULL && row->label != NULL, "row %d empty", r);
        ck_assert_msg(row->applies && row->detail && row->fact, "%s lacks a function", row->code);
        ck_assert_msg(row->level >= RB_LEVEL_SKIP_PAID && row->level <= RB_LEVEL_REVIEW, "%s level", row->code);
        ck_assert_str_eq(rb_reason_code((rb_reason)r), row->code);
        /* every detail begins with its code */
        const char *d = detail((rb_reason)r);
        ck_assert_msg(strncmp(d, row->code, strlen(row->code)) == 0 && d[strlen(row->code)] == ' ', "%s", d);
    }
    ck_assert_str_eq(rb_reason_code(RB_R_COUNT), "?");
}
END_TEST

static Suite *reasons_suite(void)
{
    Suite *s = suite_create("rules/reasons");
    TCase *tc = tcase_create("reasons");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, detail_of_every_reason);
    tcase_add_test(tc, detail_variants);
    tcase_add_test(tc, detail_joins_in_code_order);
    tcase_add_test(tc, detail_of_a_decided_firm);
    tcase_add_test(tc, facts_use_the_named_numbers);
    tcase_add_test(tc, table_rows_complete);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(reasons_suite)
