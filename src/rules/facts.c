/* The fact each reason is judged on, as a Chinese phrase with the numbers
 * and the parameter compared against: explain prints it for every rule with
 * its verdict. Phrases only describe; the verdict is decide.c's. */
#include <string.h>

#include "rebate/money.h"
#include "rebate/rules.h"
#include "rules/rules_internal.h"

static const char *or_empty(const char *s)
{
    return s && *s ? s : "（空）";
}

static bool add_money(rb_strbuf *out, rb_fen fen)
{
    char buf[RB_MONEY_BUFSZ];
    return rb_strbuf_adds(out, rb_money_format(fen, buf));
}

/* "参保人数 8 人（2020年12月）" or "月均参保人数 10.08 人（121 ÷ 12）". */
bool rb_headcount_words(const rb_params *params, const rb_measures *m, rb_strbuf *out)
{
    char buf[RB_MONEY_BUFSZ];
    if (!m->headcount_known)
        return rb_strbuf_adds(out, "参保人数未知（数据年度无缴费记录）");
    if (params->headcount_basis == RB_HEADCOUNT_AVERAGE)
        return rb_strbuf_addf(out, "月均参保人数 %s 人（%lld ÷ %lld）",
                              rb_ratio_format(m->headcount_num, m->headcount_den, buf),
                              (long long)m->headcount_num, (long long)m->headcount_den);
    return rb_strbuf_addf(out, "参保人数 %lld 人（", (long long)m->headcount_num) &&
           rb_period_words(m->headcount_period, out) && rb_strbuf_adds(out, "）");
}

/* "上限 20%（参保人数不超过 30 人的企业）". */
static bool add_cap(const rb_params *params, const rb_measures *m, rb_strbuf *out)
{
    bool small = m->layoff_cap_permille == params->small_unit_layoff_cap_permille &&
                 (!m->headcount_known ||
                  rb_frac_cmp(m->headcount_num, m->headcount_den, params->small_unit_max_headcount, 1) <= 0);
    if (!rb_strbuf_adds(out, "上限 ") || !rb_permille_words(m->layoff_cap_permille, out))
        return false;
    if (small)
        return rb_strbuf_addf(out, "（参保人数不超过 %lld 人的企业）", (long long)params->small_unit_max_headcount);
    return rb_strbuf_addf(out, "（全国城镇调查失业率控制目标，参保人数超过 %lld 人的企业）",
                          (long long)params->small_unit_max_headcount);
}

/* The layoff computation of the year's method, with the cap. */
bool rb_layoff_words(const rb_params *params, const rb_measures *m, rb_strbuf *out)
{
    char pct[RB_MONEY_BUFSZ], avg[RB_MONEY_BUFSZ];
    bool ok = true;
    if (m->rows_in_a == 0)
        return rb_strbuf_adds(out, "数据年度无缴费记录，裁员率按 0 计");
    if (params->layoff_method == RB_LAYOFF_DECEMBER_STOCK) {
        ok = rb_strbuf_addf(out, "参保人数由 %lld 人（", (long long)m->layoff_start) &&
             rb_period_words(m->layoff_start_period, out) &&
             rb_strbuf_addf(out, "）到 %lld 人（", (long long)m->layoff_end) &&
             rb_period_words(m->layoff_end_period, out) && rb_strbuf_adds(out, "），");
        if (ok && m->layoff_num == 0)
            ok = rb_strbuf_adds(out, "未减少，裁员率 0.00%");
        else if (ok)
            ok = rb_strbuf_addf(out, "减少 %lld 人，裁员率 %lld ÷ %lld = %s%%", (long long)m->layoff_num,
                                (long long)m->layoff_num, (long long)m->layoff_den,
                                rb_percent_format(m->layoff_num, m->layoff_den, pct));
    } else if (m->claimants == 0) {
        ok = rb_strbuf_addf(out, "%d年无新增领取失业保险金人员，裁员率 0.00%%", (int)m->data_year);
    } else if (m->layoff_den == 0) {
        ok = rb_strbuf_addf(out, "%d年新增领取失业保险金 %lld 人，而月均参保人数为 0，裁员率超过任何上限",
                            (int)m->data_year, (long long)m->claimants);
    } else {
        ok = rb_strbuf_addf(out, "%d年新增领取失业保险金 %lld 人，月均参保人数 %s 人（%lld ÷ %lld），裁员率 %s%%",
                            (int)m->data_year, (long long)m->claimants,
                            rb_ratio_format(m->layoff_den, m->rows_in_a, avg), (long long)m->layoff_den,
                            (long long)m->rows_in_a, rb_percent_format(m->layoff_num, m->layoff_den, pct));
    }
    return ok && rb_strbuf_adds(out, "，") && add_cap(params, m, out);
}

bool rb_full_months_words(const rb_params *params, const rb_measures *m, rb_strbuf *out)
{
    if (params->full_months_rule == RB_FULL_MONTHS_CUMULATIVE)
        return rb_strbuf_addf(out, "足额缴费月数 %lld 个月（累计口径：%d年12月及以前各月），至少需 %lld 个月",
                              (long long)m->full_months, (int)m->data_year, (long long)params->min_full_months);
    return rb_strbuf_addf(out, "足额缴费月数 %lld 个月（%d年内），至少需 %lld 个月", (long long)m->full_months,
                          (int)m->data_year, (long long)params->min_full_months);
}

static bool add_account(const rb_params *params, const rb_firm_input *f, rb_strbuf *out)
{
    char account[RB_ACCOUNT_MASKED_BUFSZ];
    size_t kept;
    bool digits;
    if (!f->has_unit)
        return rb_strbuf_adds(out, "无参保单位信息，没有收款账户");
    rb_account_shape(f->bank_account, &kept, &digits);
    if (kept == 0)
        return rb_strbuf_adds(out, "参保单位信息中的银行账号为空");
    if (f->tax_account)
        return rb_strbuf_addf(out, "银行账号 %s，账户来源为税务部门提供的缴费账户（税务），本年度%s向该类账户拨付",
                              rb_account_masked(f->bank_account, account),
                              params->tax_account_allowed ? "允许" : "不允许");
    return rb_strbuf_addf(out, "银行账号 %s，账户来源为对公账户", rb_account_masked(f->bank_account, account));
}

bool rb_reason_fact(rb_reason reason, const rb_params *params, const rb_firm_input *f, const rb_decision *d,
                    rb_strbuf *out)
{
    const rb_measures *m = &d->measures;
    char account[RB_ACCOUNT_MASKED_BUFSZ];
    size_t kept;
    bool digits;
    switch (reason) {
    case RB_R_ALREADY_PAID:
        if (f->already_paid)
            return rb_strbuf_addf(out, "%d年度已有有效的支付记录 %s", (int)params->policy_year,
                                  or_empty(f->paid_reference));
        return rb_strbuf_addf(out, "%d年度无有效的支付记录（已作废或被退回的不计）", (int)params->policy_year);
    case RB_R_OVER_SCOPE:
        return rb_headcount_words(params, m, out) &&
               rb_strbuf_addf(out, "，免申即享范围为不超过 %lld 人", (long long)params->scope_max_headcount);
    case RB_R_ROW_ERROR:
        return rb_strbuf_addf(out, "导入时被拒绝、代码为本企业（或仅校验位不同）的数据行 %lld 行",
                              (long long)f->row_errors);
    case RB_R_DATA_CONFLICT:
        return rb_strbuf_addf(out, "内容相互冲突的重复数据行 %lld 行", (long long)f->conflicts);
    case RB_R_REG_INACTIVE:
    case RB_R_REG_SUSPENDED:
        if (!f->has_registration)
            return rb_strbuf_adds(out, "无登记信息，不适用");
        return rb_strbuf_addf(out, "登记状态「%s」", or_empty(f->reg_status));
    case RB_R_DISHONEST:
        if (!f->has_registration)
            return rb_strbuf_adds(out, "无登记信息，不适用");
        return rb_strbuf_adds(out, f->dishonest ? "已列入严重失信主体名单" : "未列入严重失信主体名单");
    case RB_R_UI_TERMINATED:
    case RB_R_UI_SUSPENDED:
        if (!f->has_unit)
            return rb_strbuf_adds(out, "无参保单位信息，不适用");
        return rb_strbuf_addf(out, "参保状态「%s」", or_empty(f->ui_status));
    case RB_R_NO_CONTRIBUTIONS:
        return rb_strbuf_addf(out, "%d年缴费记录 %lld 个月", (int)m->data_year, (long long)m->rows_in_a);
    case RB_R_FULL_MONTHS_SHORT:
        return rb_full_months_words(params, m, out);
    case RB_R_ARREARS:
        return rb_strbuf_addf(out, "%d年欠缴合计 ", (int)m->data_year) && add_money(out, m->arrears) &&
               rb_strbuf_adds(out, " 元");
    case RB_R_LAYOFF_RATE:
        if (params->layoff_method != RB_LAYOFF_CLAIMANTS)
            return rb_strbuf_adds(out, "本年度按年末参保人数的降幅判断（见 LAYOFF_HIGH），不适用");
        return rb_layoff_words(params, m, out);
    case RB_R_LAYOFF_HIGH:
        if (params->layoff_method != RB_LAYOFF_DECEMBER_STOCK)
            return rb_strbuf_adds(out, "本年度按新增领取失业保险金人数判断（见 LAYOFF_RATE），不适用");
        return rb_layoff_words(params, m, out);
    case RB_R_ZERO_AMOUNT:
        return rb_strbuf_adds(out, "返还金额 ") && add_money(out, m->amount) && rb_strbuf_adds(out, " 元");
    case RB_R_REG_MISSING:
        if (f->has_registration)
            return rb_strbuf_addf(out, "有登记信息（registration.csv 第 %lld 行）", (long long)f->reg_line);
        return rb_strbuf_adds(out, "registration.csv 中没有该企业的有效行");
    case RB_R_UNIT_MISSING:
        if (f->has_unit)
            return rb_strbuf_addf(out, "有参保单位信息（insured_units.csv 第 %lld 行）", (long long)f->unit_line);
        return rb_strbuf_adds(out, "insured_units.csv 中没有该企业的有效行");
    case RB_R_LABOUR_DISPATCH:
        if (!f->has_registration || f->industry_code == NULL)
            return rb_strbuf_adds(out, "无行业代码");
        return rb_strbuf_addf(out, "行业代码「%s」（劳务派遣服务为 7263 或 L7263）", f->industry_code);
    case RB_R_NAME_MISMATCH:
        if (!f->has_registration || !f->has_unit)
            return rb_strbuf_adds(out, "登记信息或参保单位信息缺失，不适用");
        return rb_strbuf_addf(out, "参保单位名称「%s」，登记名称「%s」", or_empty(f->unit_name),
                              or_empty(f->reg_name));
    case RB_R_NO_ACCOUNT:
        return add_account(params, f, out);
    case RB_R_ACCOUNT_INVALID:
        rb_account_shape(f->has_unit ? f->bank_account : NULL, &kept, &digits);
        if (kept == 0)
            return rb_strbuf_adds(out, "未提供银行账号，不适用");
        if (!digits) /* the characters at fault shown in place, the digits masked */
            return rb_strbuf_adds(out, "银行账号 ") && rb_account_masked_in_place(f->bank_account, out) &&
                   rb_strbuf_addf(out, "（去掉空格和“-”后 %zu 位，含非数字字符，数字已隐去），应为 8 至 32 位数字",
                                  kept);
        return rb_strbuf_addf(out, "银行账号 %s（去掉空格和“-”后 %zu 位数字），应为 8 至 32 位数字",
                              rb_account_masked(f->bank_account, account), kept);
    case RB_R_PAYEE_MISMATCH:
        if (!f->has_registration)
            return rb_strbuf_adds(out, "无登记信息，不适用");
        rb_account_shape(f->has_unit ? f->bank_account : NULL, &kept, &digits);
        if (kept == 0)
            return rb_strbuf_adds(out, "未提供银行账号，不适用");
        return rb_strbuf_addf(out, "收款户名「%s」，登记名称「%s」", or_empty(f->account_name),
                              or_empty(f->reg_name));
    case RB_R_AMOUNT_HIGH:
        return rb_strbuf_adds(out, "返还金额 ") && add_money(out, m->amount) &&
               rb_strbuf_adds(out, " 元，复核限额 ") && add_money(out, params->review_amount) &&
               rb_strbuf_adds(out, " 元");
    case RB_R_TRANSFER_RETURNED:
        if (f->transfer_returned)
            return rb_strbuf_addf(out, "本年度上一笔转账被银行退回，当前账户（%s，户名「%s」）仍与退回时相同",
                                  rb_account_masked(f->bank_account, account), or_empty(f->account_name));
        return rb_strbuf_adds(out, "没有被退回且账户未变更的转账");
    case RB_R_REVIEW_REJECTED:
        if (f->verdict.id != 0 && !f->verdict.accept)
            return rb_strbuf_addf(out, "%s 于 %.10s 复核不予返还：%s", or_empty(f->verdict.by),
                                  or_empty(f->verdict.at), or_empty(f->verdict.note));
        return rb_strbuf_adds(out, "没有不予返还的复核结论");
    case RB_R_COUNT:
        break;
    }
    return rb_strbuf_adds(out, "?");
}
