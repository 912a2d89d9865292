/* The one table of reasons (docs/rules.md, "Decision"): for every reason code its
 * level, its Chinese label, the predicate that says when it applies, the
 * detail sentence clerks read in exceptions.csv and the fact explain prints
 * beside the verdict. Each reason's three functions stand together above
 * the table; a new reason is its functions and one row. */
#include <string.h>

#include "rebate/date.h"
#include "rebate/money.h"
#include "rebate/rules.h"
#include "rebate/text.h"
#include "rules/rules_internal.h"

/* ---- shared by several reasons ---- */

/* For facts: the value, or （空） when missing. */
static const char *or_empty(const char *s)
{
    return s && *s ? s : "（空）";
}

/* For detail sentences: the value as given, "" when missing. */
static const char *or_blank(const char *s)
{
    return s ? s : "";
}

static bool add_money(rb_strbuf *out, rb_fen fen)
{
    char buf[RB_MONEY_BUFSZ];
    return rb_strbuf_adds(out, rb_money_format(fen, buf));
}

/* Digits of the account after removing spaces and '-' (0 without a unit). */
static size_t account_kept(const rb_firm_input *f, bool *all_digits)
{
    size_t kept;
    rb_account_shape(f->has_unit ? f->bank_account : NULL, &kept, all_digits);
    return kept;
}

/* "an account is given": an insured-unit row whose bank_account is not
 * empty (after removing spaces and '-'). */
static bool account_given(const rb_firm_input *f)
{
    bool digits;
    return account_kept(f, &digits) > 0;
}

/* Empty after the name folding (NULL, or only white space). */
static bool name_empty(const char *name)
{
    return name == NULL || rb_names_equal(name, "");
}

static bool names_equal(const char *a, const char *b)
{
    return rb_names_equal(a ? a : "", b ? b : "");
}

static bool no_registration_fact(rb_strbuf *out)
{
    return rb_strbuf_adds(out, "无登记信息，不适用");
}

static bool reg_status_detail(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "登记状态为“%s”", or_blank(in->firm->reg_status));
}

static bool reg_status_fact(const rb_rule_input *in, rb_strbuf *out)
{
    if (!in->firm->has_registration)
        return no_registration_fact(out);
    return rb_strbuf_addf(out, "登记状态「%s」", or_empty(in->firm->reg_status));
}

static bool ui_status_detail(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "参保状态为“%s”", or_blank(in->firm->ui_status));
}

static bool ui_status_fact(const rb_rule_input *in, rb_strbuf *out)
{
    if (!in->firm->has_unit)
        return rb_strbuf_adds(out, "无参保单位信息，不适用");
    return rb_strbuf_addf(out, "参保状态「%s」", or_empty(in->firm->ui_status));
}

/* ---- level 1 ---- */

/* ALREADY_PAID: a payment for this policy year that is not voided or
 * returned (the reader looks it up in the ledger). */
static bool already_paid_applies(const rb_rule_input *in)
{
    return in->firm->already_paid;
}

static bool already_paid_detail(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "本年度已拨付（%s）", or_blank(in->firm->paid_reference));
}

static bool already_paid_fact(const rb_rule_input *in, rb_strbuf *out)
{
    if (in->firm->already_paid)
        return rb_strbuf_addf(out, "%d年度已有有效的支付记录 %s", (int)in->params->policy_year,
                              or_empty(in->firm->paid_reference));
    return rb_strbuf_addf(out, "%d年度无有效的支付记录（已作废或被退回的不计）", (int)in->params->policy_year);
}

/* ---- level 2 ---- */

/* OVER_SCOPE: headcount known and > scope_max_headcount (on the average
 * basis the fraction is compared, never rounded). */
static bool over_scope_applies(const rb_rule_input *in)
{
    return in->m->headcount_known &&
           rb_frac_cmp(in->m->headcount_num, in->m->headcount_den, in->params->scope_max_headcount, 1) > 0;
}

static bool over_scope_detail(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "参保人数超过 %lld 人", (long long)in->params->scope_max_headcount);
}

static bool over_scope_fact(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_headcount_words(in->params, in->m, out) &&
           rb_strbuf_addf(out, "，免申即享范围为不超过 %lld 人", (long long)in->params->scope_max_headcount);
}

/* ---- level 3 ---- */

/* ROW_ERROR: a rejected row (not a conflicting duplicate) whose uscc is
 * this firm's or differs only in the check character. */
static bool row_error_applies(const rb_rule_input *in)
{
    return in->firm->row_errors > 0;
}

static bool row_error_detail(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "导入时有 %lld 行该单位的数据被拒收，见本表 ROW 行", (long long)in->firm->row_errors);
}

static bool row_error_fact(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "导入时被拒绝、代码为本企业（或仅校验位不同）的数据行 %lld 行",
                          (long long)in->firm->row_errors);
}

/* DATA_CONFLICT: conflicting duplicate rows in any extract. */
static bool data_conflict_applies(const rb_rule_input *in)
{
    return in->firm->conflicts > 0;
}

static bool data_conflict_detail(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "有 %lld 行同键不同值的重复数据，见本表 ROW 行", (long long)in->firm->conflicts);
}

static bool data_conflict_fact(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "内容相互冲突的重复数据行 %lld 行", (long long)in->firm->conflicts);
}

/* ---- level 4 ---- */

/* REG_INACTIVE: registration status inactive (注销, 吊销, 撤销). */
static bool reg_inactive_applies(const rb_rule_input *in)
{
    return in->firm->has_registration && in->firm->reg_class == RB_REG_INACTIVE;
}

/* DISHONEST: on the serious-dishonesty list. */
static bool dishonest_applies(const rb_rule_input *in)
{
    return in->firm->has_registration && in->firm->dishonest;
}

static bool dishonest_detail(const rb_rule_input *in, rb_strbuf *out)
{
    (void)in;
    return rb_strbuf_adds(out, "列入严重失信主体名单");
}

static bool dishonest_fact(const rb_rule_input *in, rb_strbuf *out)
{
    if (!in->firm->has_registration)
        return no_registration_fact(out);
    return rb_strbuf_adds(out, in->firm->dishonest ? "已列入严重失信主体名单" : "未列入严重失信主体名单");
}

/* UI_TERMINATED: ui_status 终止 or 注销. */
static bool ui_terminated_applies(const rb_rule_input *in)
{
    return in->firm->has_unit && in->firm->ui_class == RB_UI_TERMINATED;
}

/* NO_CONTRIBUTIONS: no contribution row in A. */
static bool no_contributions_applies(const rb_rule_input *in)
{
    return in->m->rows_in_a == 0;
}

static bool no_contributions_detail(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "%d年无缴费记录", (int)in->m->data_year);
}

static bool no_contributions_fact(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "%d年缴费记录 %lld 个月", (int)in->m->data_year, (long long)in->m->rows_in_a);
}

/* FULL_MONTHS_SHORT: full months < min_full_months. */
static bool full_months_short_applies(const rb_rule_input *in)
{
    return in->m->full_months < in->params->min_full_months;
}

static bool full_months_short_detail(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "足额缴费 %lld 个月，少于 %lld 个月", (long long)in->m->full_months,
                          (long long)in->params->min_full_months);
}

static bool full_months_short_fact(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_full_months_words(in->params, in->m, out);
}

/* ARREARS: arrears > 0. */
static bool arrears_applies(const rb_rule_input *in)
{
    return in->m->arrears > 0;
}

static bool arrears_detail(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "%d年欠缴 ", (int)in->m->data_year) && add_money(out, in->m->arrears) &&
           rb_strbuf_adds(out, " 元");
}

static bool arrears_fact(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "%d年欠缴合计 ", (int)in->m->data_year) && add_money(out, in->m->arrears) &&
           rb_strbuf_adds(out, " 元");
}

/* LAYOFF_RATE: method claimants and the rate over the cap. */
static bool layoff_rate_applies(const rb_rule_input *in)
{
    return in->params->layoff_method == RB_LAYOFF_CLAIMANTS && in->m->layoff_over_cap;
}

static bool layoff_rate_detail(const rb_rule_input *in, rb_strbuf *out)
{
    const rb_measures *m = in->m;
    char rate[RB_MONEY_BUFSZ], cap[RB_MONEY_BUFSZ];
    if (m->layoff_den == 0)
        return rb_strbuf_addf(out, "新增领取失业保险金 %lld 人，而平均参保人数为 0", (long long)m->claimants);
    return rb_strbuf_addf(out, "新增领取失业保险金 %lld 人，裁员率 %s%% 超过 %s%%", (long long)m->claimants,
                          rb_percent_format(m->layoff_num, m->layoff_den, rate),
                          rb_percent_format(m->layoff_cap_permille, 1000, cap));
}

static bool layoff_rate_fact(const rb_rule_input *in, rb_strbuf *out)
{
    if (in->params->layoff_method != RB_LAYOFF_CLAIMANTS)
        return rb_strbuf_adds(out, "本年度按年末参保人数的降幅判断（见 LAYOFF_HIGH），不适用");
    return rb_layoff_words(in->params, in->m, out);
}

/* ZERO_AMOUNT: amount = 0. */
static bool zero_amount_applies(const rb_rule_input *in)
{
    return in->m->amount == 0;
}

static bool zero_amount_detail(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_adds(out, "返还金额为 ") && add_money(out, in->m->amount) && rb_strbuf_adds(out, " 元");
}

static bool zero_amount_fact(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_adds(out, "返还金额 ") && add_money(out, in->m->amount) && rb_strbuf_adds(out, " 元");
}

/* ---- level 5 ---- */

/* REG_MISSING: no loaded registration row. */
static bool reg_missing_applies(const rb_rule_input *in)
{
    return !in->firm->has_registration;
}

static bool reg_missing_detail(const rb_rule_input *in, rb_strbuf *out)
{
    (void)in;
    return rb_strbuf_adds(out, "无市场主体登记信息");
}

static bool reg_missing_fact(const rb_rule_input *in, rb_strbuf *out)
{
    if (in->firm->has_registration)
        return rb_strbuf_addf(out, "有登记信息（registration.csv 第 %lld 行）", (long long)in->firm->reg_line);
    return rb_strbuf_adds(out, "registration.csv 中没有该企业的有效行");
}

/* UNIT_MISSING: no loaded insured-unit row. */
static bool unit_missing_applies(const rb_rule_input *in)
{
    return !in->firm->has_unit;
}

static bool unit_missing_detail(const rb_rule_input *in, rb_strbuf *out)
{
    (void)in;
    return rb_strbuf_adds(out, "无失业保险参保单位信息");
}

static bool unit_missing_fact(const rb_rule_input *in, rb_strbuf *out)
{
    if (in->firm->has_unit)
        return rb_strbuf_addf(out, "有参保单位信息（insured_units.csv 第 %lld 行）", (long long)in->firm->unit_line);
    return rb_strbuf_adds(out, "insured_units.csv 中没有该企业的有效行");
}

/* REG_SUSPENDED: registration status 迁出, 停业, 歇业, 清算. */
static bool reg_suspended_applies(const rb_rule_input *in)
{
    return in->firm->has_registration && in->firm->reg_class == RB_REG_SUSPENDED;
}

/* UI_SUSPENDED: ui_status 暂停缴费. */
static bool ui_suspended_applies(const rb_rule_input *in)
{
    return in->firm->has_unit && in->firm->ui_class == RB_UI_SUSPENDED;
}

/* LAYOFF_HIGH: method december_stock and the rate over the cap. */
static bool layoff_high_applies(const rb_rule_input *in)
{
    return in->params->layoff_method == RB_LAYOFF_DECEMBER_STOCK && in->m->layoff_over_cap;
}

static bool layoff_high_detail(const rb_rule_input *in, rb_strbuf *out)
{
    const rb_measures *m = in->m;
    char rate[RB_MONEY_BUFSZ], cap[RB_MONEY_BUFSZ];
    return rb_strbuf_addf(out, "参保人数由 %lld 降至 %lld，降幅 %s%% 超过 %s%%", (long long)m->layoff_start,
                          (long long)m->layoff_end,
                          m->layoff_den > 0 ? rb_percent_format(m->layoff_num, m->layoff_den, rate) : "—",
                          rb_percent_format(m->layoff_cap_permille, 1000, cap));
}

static bool layoff_high_fact(const rb_rule_input *in, rb_strbuf *out)
{
    if (in->params->layoff_method != RB_LAYOFF_DECEMBER_STOCK)
        return rb_strbuf_adds(out, "本年度按新增领取失业保险金人数判断（见 LAYOFF_RATE），不适用");
    return rb_layoff_words(in->params, in->m, out);
}

/* LABOUR_DISPATCH: industry code, trimmed and upper-cased, is the
 * labour-dispatch code with or without its section letter. */
static bool labour_dispatch_applies(const rb_rule_input *in)
{
    const char *code = in->firm->has_registration ? in->firm->industry_code : NULL;
    if (code == NULL)
        return false;
    size_t len = strlen(code);
    rb_text_trim(&code, &len);
    char upper[sizeof RB_LABOUR_DISPATCH_SECTION_CODE];
    if (len >= sizeof upper)
        return false;
    for (size_t i = 0; i < len; i++)
        upper[i] = (code[i] >= 'a' && code[i] <= 'z') ? (char)(code[i] - 'a' + 'A') : code[i];
    upper[len] = '\0';
    return strcmp(upper, RB_LABOUR_DISPATCH_CODE) == 0 || strcmp(upper, RB_LABOUR_DISPATCH_SECTION_CODE) == 0;
}

static bool labour_dispatch_detail(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "行业代码 %s（劳务派遣服务），须由单位申请办理", or_blank(in->firm->industry_code));
}

static bool labour_dispatch_fact(const rb_rule_input *in, rb_strbuf *out)
{
    if (!in->firm->has_registration || in->firm->industry_code == NULL)
        return rb_strbuf_adds(out, "无行业代码");
    return rb_strbuf_addf(out, "行业代码「%s」（劳务派遣服务为 %s 或 %s）", in->firm->industry_code,
                          RB_LABOUR_DISPATCH_CODE, RB_LABOUR_DISPATCH_SECTION_CODE);
}

/* NAME_MISMATCH: both rows exist and the unit's name differs from the
 * registered name after folding full-width forms and white space. */
static bool name_mismatch_applies(const rb_rule_input *in)
{
    return in->firm->has_registration && in->firm->has_unit &&
           !names_equal(in->firm->unit_name, in->firm->reg_name);
}

static bool name_mismatch_detail(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "参保单位名称“%s”与登记名称“%s”不一致", or_blank(in->firm->unit_name),
                          or_blank(in->firm->reg_name));
}

static bool name_mismatch_fact(const rb_rule_input *in, rb_strbuf *out)
{
    if (!in->firm->has_registration || !in->firm->has_unit)
        return rb_strbuf_adds(out, "登记信息或参保单位信息缺失，不适用");
    return rb_strbuf_addf(out, "参保单位名称「%s」，登记名称「%s」", or_empty(in->firm->unit_name),
                          or_empty(in->firm->reg_name));
}

/* NO_ACCOUNT: no insured-unit row, an empty bank_account, or only a
 * tax-bureau account (税务) in a year where that is not allowed. */
static bool no_account_applies(const rb_rule_input *in)
{
    return !in->firm->has_unit || !account_given(in->firm) ||
           (in->firm->tax_account && !in->params->tax_account_allowed);
}

static bool no_account_detail(const rb_rule_input *in, rb_strbuf *out)
{
    const rb_firm_input *f = in->firm;
    if (!f->has_unit)
        return rb_strbuf_adds(out, "无参保单位信息，没有收款账户");
    if (f->bank_account == NULL || f->bank_account[0] == '\0')
        return rb_strbuf_adds(out, "未提供银行账号");
    return rb_strbuf_addf(out, "仅有税务账户，%d年度不允许向税务账户拨付", (int)in->params->policy_year);
}

static bool no_account_fact(const rb_rule_input *in, rb_strbuf *out)
{
    const rb_firm_input *f = in->firm;
    char account[RB_ACCOUNT_MASKED_BUFSZ];
    bool digits;
    if (!f->has_unit)
        return rb_strbuf_adds(out, "无参保单位信息，没有收款账户");
    if (account_kept(f, &digits) == 0)
        return rb_strbuf_adds(out, "参保单位信息中的银行账号为空");
    if (f->tax_account)
        return rb_strbuf_addf(out, "银行账号 %s，账户来源为税务部门提供的缴费账户（税务），本年度%s向该类账户拨付",
                              rb_account_masked(f->bank_account, account),
                              in->params->tax_account_allowed ? "允许" : "不允许");
    return rb_strbuf_addf(out, "银行账号 %s，账户来源为对公账户", rb_account_masked(f->bank_account, account));
}

/* ACCOUNT_INVALID: an account is given but is not RB_ACCOUNT_MIN_DIGITS to
 * RB_ACCOUNT_MAX_DIGITS digits after removing spaces and '-'. */
static bool account_invalid_applies(const rb_rule_input *in)
{
    bool digits;
    size_t kept = account_kept(in->firm, &digits);
    return kept > 0 && (!digits || kept < RB_ACCOUNT_MIN_DIGITS || kept > RB_ACCOUNT_MAX_DIGITS);
}

static bool account_invalid_detail(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "银行账号“%s”不是 %d 至 %d 位数字", or_blank(in->firm->bank_account),
                          RB_ACCOUNT_MIN_DIGITS, RB_ACCOUNT_MAX_DIGITS);
}

static bool account_invalid_fact(const rb_rule_input *in, rb_strbuf *out)
{
    char account[RB_ACCOUNT_MASKED_BUFSZ];
    bool digits;
    size_t kept = account_kept(in->firm, &digits);
    if (kept == 0)
        return rb_strbuf_adds(out, "未提供银行账号，不适用");
    if (!digits) /* the characters at fault shown in place, the digits masked */
        return rb_strbuf_adds(out, "银行账号 ") && rb_account_masked_in_place(in->firm->bank_account, out) &&
               rb_strbuf_addf(out, "（去掉空格和“-”后 %zu 位，含非数字字符，数字已隐去），应为 %d 至 %d 位数字", kept,
                              RB_ACCOUNT_MIN_DIGITS, RB_ACCOUNT_MAX_DIGITS);
    return rb_strbuf_addf(out, "银行账号 %s（去掉空格和“-”后 %zu 位数字），应为 %d 至 %d 位数字",
                          rb_account_masked(in->firm->bank_account, account), kept, RB_ACCOUNT_MIN_DIGITS,
                          RB_ACCOUNT_MAX_DIGITS);
}

/* PAYEE_MISMATCH: a registration row, an account given, and the account
 * name empty or different from the registered name. */
static bool payee_mismatch_applies(const rb_rule_input *in)
{
    const rb_firm_input *f = in->firm;
    return f->has_registration && account_given(f) &&
           (name_empty(f->account_name) || !names_equal(f->account_name, f->reg_name));
}

static bool payee_mismatch_detail(const rb_rule_input *in, rb_strbuf *out)
{
    const rb_firm_input *f = in->firm;
    if (f->account_name == NULL || f->account_name[0] == '\0')
        return rb_strbuf_adds(out, "收款户名为空");
    return rb_strbuf_addf(out, "收款户名“%s”与登记名称“%s”不一致", f->account_name, or_blank(f->reg_name));
}

static bool payee_mismatch_fact(const rb_rule_input *in, rb_strbuf *out)
{
    bool digits;
    if (!in->firm->has_registration)
        return no_registration_fact(out);
    if (account_kept(in->firm, &digits) == 0)
        return rb_strbuf_adds(out, "未提供银行账号，不适用");
    return rb_strbuf_addf(out, "收款户名「%s」，登记名称「%s」", or_empty(in->firm->account_name),
                          or_empty(in->firm->reg_name));
}

/* AMOUNT_HIGH: amount > review_amount. */
static bool amount_high_applies(const rb_rule_input *in)
{
    return in->m->amount > in->params->review_amount;
}

static bool amount_high_detail(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_adds(out, "返还金额 ") && add_money(out, in->m->amount) &&
           rb_strbuf_adds(out, " 元超过复核限额 ") && add_money(out, in->params->review_amount) &&
           rb_strbuf_adds(out, " 元");
}

static bool amount_high_fact(const rb_rule_input *in, rb_strbuf *out)
{
    return rb_strbuf_adds(out, "返还金额 ") && add_money(out, in->m->amount) &&
           rb_strbuf_adds(out, " 元，复核限额 ") && add_money(out, in->params->review_amount) &&
           rb_strbuf_adds(out, " 元");
}

/* TRANSFER_RETURNED: the last transfer for this year came back and was sent
 * to the account (number and name) the extract still gives. */
static bool transfer_returned_applies(const rb_rule_input *in)
{
    return in->firm->transfer_returned;
}

static bool transfer_returned_detail(const rb_rule_input *in, rb_strbuf *out)
{
    (void)in;
    return rb_strbuf_adds(out, "上次转账被银行退回，收款账户至今未更正");
}

static bool transfer_returned_fact(const rb_rule_input *in, rb_strbuf *out)
{
    char account[RB_ACCOUNT_MASKED_BUFSZ];
    if (in->firm->transfer_returned)
        return rb_strbuf_addf(out, "本年度上一笔转账被银行退回，当前账户（%s，户名「%s」）仍与退回时相同",
                              rb_account_masked(in->firm->bank_account, account), or_empty(in->firm->account_name));
    return rb_strbuf_adds(out, "没有被退回且账户未变更的转账");
}

/* REVIEW_REJECTED is no condition of the data: rb_decide adds it when a
 * person's reject verdict applies (docs/rules.md, "Review verdicts"). */
static bool review_rejected_applies(const rb_rule_input *in)
{
    (void)in;
    return false;
}

static bool review_rejected_detail(const rb_rule_input *in, rb_strbuf *out)
{
    const rb_verdict *v = &in->firm->verdict;
    char day[11];
    return rb_strbuf_addf(out, "%s 于 %s 复核不予返还：%s", or_blank(v->by), rb_china_date_of_utc(v->at, day),
                          or_blank(v->note));
}

static bool review_rejected_fact(const rb_rule_input *in, rb_strbuf *out)
{
    const rb_verdict *v = &in->firm->verdict;
    char day[11];
    if (v->id != 0 && !v->accept)
        return rb_strbuf_addf(out, "%s 于 %s 复核不予返还：%s", or_empty(v->by), rb_china_date_of_utc(v->at, day),
                              or_empty(v->note));
    return rb_strbuf_adds(out, "没有不予返还的复核结论");
}

/* ---- the table, indexed by the enum (code order) ---- */

#define ROW(name, code, level, label) \
    [RB_R_##code] = {#code, level, label, name##_applies, name##_detail, name##_fact}

const rb_reason_row rb_reason_table[RB_R_COUNT] = {
    ROW(account_invalid, ACCOUNT_INVALID, RB_LEVEL_REVIEW, "银行账号格式不正确"),
    ROW(already_paid, ALREADY_PAID, RB_LEVEL_SKIP_PAID, "本年度已返还"),
    ROW(amount_high, AMOUNT_HIGH, RB_LEVEL_REVIEW, "返还金额超过复核限额"),
    ROW(arrears, ARREARS, RB_LEVEL_REJECT, "欠缴"),
    ROW(data_conflict, DATA_CONFLICT, RB_LEVEL_DATA_QUALITY, "数据冲突（同一企业有内容不同的重复行）"),
    ROW(dishonest, DISHONEST, RB_LEVEL_REJECT, "列入严重失信主体名单"),
    ROW(full_months_short, FULL_MONTHS_SHORT, RB_LEVEL_REJECT, "足额缴费月数不足"),
    ROW(labour_dispatch, LABOUR_DISPATCH, RB_LEVEL_REVIEW, "劳务派遣企业（须自行申请）"),
    ROW(layoff_high, LAYOFF_HIGH, RB_LEVEL_REVIEW, "参保人数降幅超过裁员率上限（需人工核实）"),
    ROW(layoff_rate, LAYOFF_RATE, RB_LEVEL_REJECT, "裁员率超过上限"),
    ROW(name_mismatch, NAME_MISMATCH, RB_LEVEL_REVIEW, "参保单位名称与登记名称不一致"),
    ROW(no_account, NO_ACCOUNT, RB_LEVEL_REVIEW, "无可用的收款账户"),
    ROW(no_contributions, NO_CONTRIBUTIONS, RB_LEVEL_REJECT, "数据年度无缴费记录"),
    ROW(over_scope, OVER_SCOPE, RB_LEVEL_SKIP_SCOPE, "参保人数超过免申即享范围"),
    ROW(payee_mismatch, PAYEE_MISMATCH, RB_LEVEL_REVIEW, "收款户名与登记名称不一致"),
    [RB_R_REG_INACTIVE] = {"REG_INACTIVE", RB_LEVEL_REJECT, "登记状态为注销、吊销或撤销", reg_inactive_applies,
                           reg_status_detail, reg_status_fact},
    ROW(reg_missing, REG_MISSING, RB_LEVEL_REVIEW, "无市场主体登记信息"),
    [RB_R_REG_SUSPENDED] = {"REG_SUSPENDED", RB_LEVEL_REVIEW, "登记状态为迁出、停业、歇业或清算",
                            reg_suspended_applies, reg_status_detail, reg_status_fact},
    ROW(review_rejected, REVIEW_REJECTED, RB_LEVEL_REJECT, "经人工复核不予返还"),
    ROW(row_error, ROW_ERROR, RB_LEVEL_DATA_QUALITY, "有数据行在导入时被拒绝"),
    ROW(transfer_returned, TRANSFER_RETURNED, RB_LEVEL_REVIEW, "上次转账被银行退回且账户未变更"),
    [RB_R_UI_SUSPENDED] = {"UI_SUSPENDED", RB_LEVEL_REVIEW, "失业保险暂停缴费", ui_suspended_applies,
                           ui_status_detail, ui_status_fact},
    [RB_R_UI_TERMINATED] = {"UI_TERMINATED", RB_LEVEL_REJECT, "失业保险参保终止或注销", ui_terminated_applies,
                            ui_status_detail, ui_status_fact},
    ROW(unit_missing, UNIT_MISSING, RB_LEVEL_REVIEW, "无失业保险参保单位信息"),
    ROW(zero_amount, ZERO_AMOUNT, RB_LEVEL_REJECT, "返还金额为零"),
};

bool rb_reason_fact(rb_reason reason, const rb_params *params, const rb_firm_input *firm,
                    const rb_decision *decision, rb_strbuf *out)
{
    if ((unsigned)reason >= RB_R_COUNT)
        return rb_strbuf_adds(out, "?");
    rb_rule_input in = {params, firm, &decision->measures};
    return rb_reason_table[reason].fact(&in, out);
}

bool rb_decision_detail(const rb_params *params, const rb_firm_input *firm, const rb_decision *decision,
                        rb_strbuf *out)
{
    rb_rule_input in = {params, firm, &decision->measures};
    for (int r = 0; r < RB_R_COUNT; r++) {
        if (!(decision->reasons & (1u << r)))
            continue;
        if ((out->len > 0 && !rb_strbuf_adds(out, "；")) || !rb_strbuf_adds(out, rb_reason_table[r].code) ||
            !rb_strbuf_adds(out, " ") || !rb_reason_table[r].detail(&in, out))
            return false;
    }
    return true;
}
