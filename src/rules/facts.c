/* The phrases for measures that several facts and explain share: the
 * headcount, the layoff computation with its cap, the full months. Each
 * reason's own fact is in the reason table (reasons.c). */
#include <string.h>

#include "rebate/money.h"
#include "rebate/rules.h"
#include "rules/rules_internal.h"

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
