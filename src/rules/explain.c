/* rb_explain: one firm's decision in plain Chinese for the clerk who answers
 * the firm's call, with the codes beside: the rows each measure came from,
 * every measure, every rule with its verdict and the parameter it was
 * compared against, then the outcome and the amount. It reads the firm
 * through rb_firm_reader and decides with rb_decide, so it shows exactly
 * what a run would decide; it computes nothing of its own. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/money.h"
#include "rebate/rules.h"
#include "rules/rules_internal.h"

/* The text is built in memory and written at the end: on a failure nothing
 * half-made reaches the clerk. */
struct writer {
    rb_strbuf text;
    bool ok;
};

static void say(struct writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct writer *w, const char *fmt, ...)
{
    if (!w->ok)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !rb_strbuf_grow(&w->text, (size_t)n)) {
        w->ok = false;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(w->text.buf + w->text.len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    w->text.len += (size_t)n;
}

/* Takes the result of a phrase builder that appended to w->text. */
static void took(struct writer *w, bool appended)
{
    w->ok = w->ok && appended;
}

static const char *money(rb_fen fen, char buf[RB_MONEY_BUFSZ])
{
    return rb_money_format(fen, buf);
}

static const char *text_or(const char *s, const char *otherwise)
{
    return s && *s ? s : otherwise;
}

/* The firm's name as a clerk would say it: registered, else the unit's. */
static const char *firm_name(const rb_firm_input *f)
{
    if (f->has_registration && f->reg_name && *f->reg_name)
        return f->reg_name;
    if (f->has_unit && f->unit_name && *f->unit_name)
        return f->unit_name;
    return "（名称未知）";
}

static void explain_header(struct writer *w, const rb_params *p, const rb_firm_input *f)
{
    say(w, "失业保险稳岗返还（免申即享）测算说明\n");
    say(w, "企业：%s（统一社会信用代码 %s）\n", firm_name(f), f->uscc);
    say(w, "政策年度 %d 年，数据年度 %d 年（按 %d 年的缴费和参保人数判断）\n", (int)p->policy_year,
        (int)p->policy_year - 1, (int)p->policy_year - 1);
    say(w, "适用参数：%d 年度参数（依据：%s）\n", (int)p->policy_year, p->legal_reference);
}

static void explain_sources(struct writer *w, const rb_firm_input *f)
{
    char account[RB_ACCOUNT_MASKED_BUFSZ];
    say(w, "\n一、登记与参保信息\n");
    if (f->has_registration)
        say(w, "  登记信息（registration.csv 第 %lld 行）：名称「%s」，登记状态「%s」，行业代码 %s，严重失信：%s\n",
            (long long)f->reg_line, text_or(f->reg_name, ""), text_or(f->reg_status, ""),
            text_or(f->industry_code, "（无）"), f->dishonest ? "是" : "否");
    else
        say(w, "  登记信息：registration.csv 中没有该企业的有效行\n");
    if (f->has_unit)
        say(w,
            "  参保信息（insured_units.csv 第 %lld 行）：单位名称「%s」，参保状态「%s」，收款户名「%s」，"
            "开户银行 %s，银行账号 %s，账户来源 %s，开户行行号 %s\n",
            (long long)f->unit_line, text_or(f->unit_name, ""), text_or(f->ui_status, ""),
            text_or(f->account_name, "（空）"), text_or(f->bank_name, "（空）"), text_or(rb_account_masked(f->bank_account, account), "（空）"),
            f->tax_account ? "税务" : "对公", text_or(f->bank_code, "（空）"));
    else
        say(w, "  参保信息：insured_units.csv 中没有该企业的有效行\n");
}

/* The rejected rows behind ROW_ERROR and DATA_CONFLICT, and the payments
 * of the year: point queries for this one firm. */
static const char explain_errors_sql[] =
    "SELECT file, line, column_name, value, rule, message FROM row_errors"
    " WHERE uscc = :uscc OR uscc_prefix = substr(:uscc, 1, 17) ORDER BY file, line";
static const char explain_payments_sql[] =
    "SELECT reference, attempt, amount_fen, state, state_at, batch_id, bank_account, account_name"
    " FROM payments WHERE uscc = :uscc AND policy_year = :year ORDER BY attempt";

static rb_status prepare_for_firm(sqlite3 *db, const char *sql, const rb_params *p, const char *uscc,
                                  sqlite3_stmt **stmt, rb_error *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, stmt, NULL) != SQLITE_OK ||
        sqlite3_bind_text(*stmt, sqlite3_bind_parameter_index(*stmt, ":uscc"), uscc, -1, SQLITE_STATIC) !=
            SQLITE_OK)
        return rb_db_fail(db, "reading the firm's rows for explain", err);
    int year = sqlite3_bind_parameter_index(*stmt, ":year");
    if (year != 0 && sqlite3_bind_int(*stmt, year, p->policy_year) != SQLITE_OK)
        return rb_db_fail(db, "reading the firm's rows for explain", err);
    return RB_OK;
}

static const char *column(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return t ? (const char *)t : "";
}

/* The message of a rejected row on bank_account quotes the accounts it
 * compares (“…”, rb_message_quote of the import): each quoted value with a
 * digit in it is masked like every account explain shows. */
static void say_masking_quotes(struct writer *w, const char *message)
{
    static const char open[] = "\xE2\x80\x9C", close[] = "\xE2\x80\x9D"; /* “ ” */
    const char *p = message, *q, *end;
    while ((q = strstr(p, open)) != NULL && (end = strstr(q + 3, close)) != NULL) {
        const char *inner = q + 3;
        bool digit = false;
        for (const char *c = inner; c < end; c++)
            digit = digit || (*c >= '0' && *c <= '9');
        say(w, "%.*s", (int)(inner - p), p);
        if (digit) {
            char value[128], masked[RB_ACCOUNT_MASKED_BUFSZ];
            snprintf(value, sizeof value, "%.*s", (int)(end - inner), inner);
            say(w, "%s", rb_account_masked(value, masked));
        } else {
            say(w, "%.*s", (int)(end - inner), inner);
        }
        p = end;
    }
    say(w, "%s", p);
}

static rb_status explain_rejected_rows(struct writer *w, sqlite3 *db, const rb_params *p, const rb_firm_input *f,
                                       rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    rb_status st = prepare_for_firm(db, explain_errors_sql, p, f->uscc, &stmt, err);
    int rc, n = 0;
    if (st != RB_OK)
        goto out;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (n++ == 0)
            say(w, "  导入时未载入的数据行：\n");
        say(w, "    %s 第 %lld 行", column(stmt, 0), (long long)sqlite3_column_int64(stmt, 1));
        bool account = strcmp(column(stmt, 2), "bank_account") == 0;
        char masked[RB_ACCOUNT_MASKED_BUFSZ];
        if (sqlite3_column_type(stmt, 2) != SQLITE_NULL)
            say(w, "，字段 %s 值「%s」", column(stmt, 2),
                account ? rb_account_masked(column(stmt, 3), masked) : column(stmt, 3));
        say(w, "：");
        if (account)
            say_masking_quotes(w, column(stmt, 5));
        else
            say(w, "%s", column(stmt, 5));
        say(w, "（%s）\n", column(stmt, 4));
    }
    if (rc != SQLITE_DONE) {
        st = rb_db_fail(db, "reading the rejected rows for explain", err);
        goto out;
    }
    if (n == 0)
        say(w, "  导入时未载入的数据行：无\n");
out:
    sqlite3_finalize(stmt);
    return st;
}

static rb_status explain_payments(struct writer *w, sqlite3 *db, const rb_params *p, const rb_firm_input *f,
                                  rb_error *err)
{
    static const struct {
        const char *state, *words;
    } states[] = {{"published", "已发布待审批"}, {"approved", "已审批待银行处理"}, {"paid", "已到账"},
                  {"returned", "被银行退回"},    {"voided", "已作废"}};
    sqlite3_stmt *stmt = NULL;
    char buf[RB_MONEY_BUFSZ], account[RB_ACCOUNT_MASKED_BUFSZ];
    rb_status st = prepare_for_firm(db, explain_payments_sql, p, f->uscc, &stmt, err);
    int rc, n = 0;
    if (st != RB_OK)
        goto out;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *state = column(stmt, 3), *words = state;
        for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
            if (strcmp(states[i].state, state) == 0)
                words = states[i].words;
        if (n++ == 0)
            say(w, "  %d年度支付记录：\n", (int)p->policy_year);
        say(w, "    %s（第 %lld 次，批次 %s）：%s 元，账号 %s，户名「%s」，%s %s（%s）\n", column(stmt, 0),
            (long long)sqlite3_column_int64(stmt, 1), column(stmt, 5), money(sqlite3_column_int64(stmt, 2), buf),
            rb_account_masked(column(stmt, 6), account), column(stmt, 7), words, state, column(stmt, 4));
    }
    if (rc != SQLITE_DONE) {
        st = rb_db_fail(db, "reading the payments for explain", err);
        goto out;
    }
    if (n == 0)
        say(w, "  %d年度支付记录：无\n", (int)p->policy_year);
out:
    sqlite3_finalize(stmt);
    return st;
}

/* Rows shown: every row of A; before A, the rows a measure used (all of
 * them under the cumulative rule, the December before A for the stock
 * method's start); rows after A are only counted. */
static bool row_shown(const rb_params *p, const rb_measures *m, const rb_month *mo)
{
    if (rb_period_in_data_year(mo->period, m->data_year))
        return true;
    if (mo->period > m->data_year * 100 + 12)
        return false;
    return p->full_months_rule == RB_FULL_MONTHS_CUMULATIVE ||
           (p->layoff_method == RB_LAYOFF_DECEMBER_STOCK && mo->period == m->layoff_start_period);
}

static void explain_months(struct writer *w, const rb_params *p, const rb_firm_input *f, const rb_measures *m)
{
    char b1[RB_MONEY_BUFSZ], b2[RB_MONEY_BUFSZ], b3[RB_MONEY_BUFSZ], b4[RB_MONEY_BUFSZ], b5[RB_MONEY_BUFSZ],
        b6[RB_MONEY_BUFSZ];
    int64_t later = 0, count_sum = 0, claimants = 0;
    rb_fen unpaid_sum = 0, counted_sum = 0;
    say(w, "\n二、缴费明细（contributions.csv，金额单位：元）\n");
    if (f->n_months == 0) {
        say(w, "  该企业没有载入的缴费记录\n");
        return;
    }
    say(w, "  所属期   参保人数   单位应缴   单位实缴   个人应缴   个人实缴  新增领金     欠缴   计入基数  足额月  行号\n");
    for (size_t i = 0; i < f->n_months; i++) {
        const rb_month *mo = &f->months[i];
        if (mo->period > m->data_year * 100 + 12)
            later++;
        if (!row_shown(p, m, mo))
            continue;
        bool in_a = rb_period_in_data_year(mo->period, m->data_year);
        say(w, "  %04d-%02d %8lld %10s %10s %10s %10s %9lld", (int)(mo->period / 100), (int)(mo->period % 100),
            (long long)mo->insured_count, money(mo->employer_due, b1), money(mo->employer_paid, b2),
            money(mo->employee_due, b3), money(mo->employee_paid, b4), (long long)mo->new_claimants);
        if (in_a)
            say(w, " %8s %10s", money(rb_month_unpaid(mo), b5), money(rb_month_counted(mo), b6));
        else
            say(w, " %8s %10s", "—", "—");
        say(w, "  %s  %6lld%s\n", rb_month_is_full(mo) ? "是" : "否", (long long)mo->line,
            in_a ? "" : "（数据年度前）");
        if (in_a) {
            count_sum = rb_sat_add(count_sum, mo->insured_count);
            claimants = rb_sat_add(claimants, mo->new_claimants);
            unpaid_sum = rb_sat_add(unpaid_sum, rb_month_unpaid(mo));
            counted_sum = rb_sat_add(counted_sum, rb_month_counted(mo));
        }
    }
    say(w, "  %d年合计：%lld 个月，参保人数合计 %lld，新增领金合计 %lld 人，欠缴合计 %s 元，计入基数合计 %s 元\n",
        (int)m->data_year, (long long)m->rows_in_a, (long long)count_sum, (long long)claimants,
        money(unpaid_sum, b1), money(counted_sum, b2));
    if (later)
        say(w, "  （另有 %lld 个月的记录晚于 %d年12月，不参与本年度计算）\n", (long long)later, (int)m->data_year);
    say(w, "  说明：每月每部分按 min(实缴, 应缴) 计入基数，超过应缴的预缴不计；欠缴 = max(0, 应缴 − 实缴)；"
           "单位和个人两部分都足额缴纳且应缴合计大于 0 的月份为足额月。\n");
}

/* The months of the data year with no loaded row, each linked to the
 * rejected row of contributions.csv that would have given it: the
 * firm's rejected row whose line lies between the lines of the loaded
 * months around the gap (an extract lists a firm's months in order). */
static rb_status explain_missing_months(struct writer *w, sqlite3 *db, const rb_params *p, const rb_firm_input *f,
                                        const rb_measures *m, rb_error *err)
{
    static const char sql[] = "SELECT line, column_name, value, rule, message FROM row_errors"
                              " WHERE file = 'contributions.csv' AND (uscc = :uscc OR uscc_prefix = substr(:uscc, 1, 17))"
                              " ORDER BY line";
    bool present[13] = {false};
    int missing = 0;
    for (size_t i = 0; i < f->n_months; i++)
        if (rb_period_in_data_year(f->months[i].period, m->data_year))
            present[f->months[i].period % 100] = true;
    for (int mm = 1; mm <= 12; mm++)
        missing += !present[mm];
    if (missing == 0)
        return RB_OK;
    sqlite3_stmt *stmt = NULL;
    rb_status st = prepare_for_firm(db, sql, p, f->uscc, &stmt, err);
    if (st != RB_OK) {
        sqlite3_finalize(stmt);
        return st;
    }
    say(w, "  %d年缺少的月份：\n", (int)m->data_year);
    for (int mm = 1; mm <= 12; mm++) {
        if (present[mm])
            continue;
        int32_t period = m->data_year * 100 + mm;
        int64_t before = 0, after = INT64_MAX; /* lines of the loaded months around the gap */
        for (size_t i = 0; i < f->n_months; i++) {
            const rb_month *mo = &f->months[i];
            if (mo->period < period && mo->line > before)
                before = mo->line;
            if (mo->period > period && mo->line < after)
                after = mo->line;
        }
        say(w, "    %d年%d月：没有载入的记录", (int)m->data_year, mm);
        sqlite3_reset(stmt);
        int rc, found = 0;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            int64_t line = sqlite3_column_int64(stmt, 0);
            if (line <= before || line >= after)
                continue;
            say(w, "%s contributions.csv 第 %lld 行在导入时被拒绝（%s", found++ ? "；或" : "；应由", (long long)line,
                column(stmt, 3));
            if (sqlite3_column_type(stmt, 1) != SQLITE_NULL)
                say(w, "，字段 %s 值「%s」", column(stmt, 1), column(stmt, 2));
            say(w, "：%s）", column(stmt, 4));
        }
        if (rc != SQLITE_DONE) {
            sqlite3_finalize(stmt);
            return rb_db_fail(db, "reading the rejected rows for explain", err);
        }
        say(w, "%s\n", found ? "" : "，导入时也没有该企业在这一位置被拒绝的行");
    }
    sqlite3_finalize(stmt);
    return RB_OK;
}

/* base × rate / 100 exactly, in yuan with up to four decimals (the product
 * of fen and percent is in 1/10000 yuan), then rounded half up to the fen. */
static void explain_amount(struct writer *w, const rb_measures *m)
{
    char b1[RB_MONEY_BUFSZ], b2[RB_MONEY_BUFSZ];
    rb_wide exact = (rb_wide)m->base * m->rate_pct; /* in 1/10000 yuan */
    unsigned long long whole = (unsigned long long)(exact / 10000);
    unsigned frac = (unsigned)(exact % 10000);
    char digits[8];
    snprintf(digits, sizeof digits, "%04u", frac);
    if (digits[3] == '0') {
        digits[3] = '\0';
        if (digits[2] == '0')
            digits[2] = '\0';
    }
    say(w, "  AMOUNT 返还金额：缴费基数 %s 元 × 返还比例 %d%% = %llu.%s 元", money(m->base, b1), (int)m->rate_pct,
        whole, digits);
    if (exact % 100 != 0)
        say(w, "，四舍五入到分为 %s 元\n", money(m->amount, b2));
    else
        say(w, "\n");
}

static void explain_measures(struct writer *w, const rb_params *p, const rb_measures *m)
{
    char b1[RB_MONEY_BUFSZ];
    say(w, "\n三、各项指标\n");
    say(w, "  HEADCOUNT ");
    took(w, rb_headcount_words(p, m, &w->text));
    say(w, "（口径：%s）", p->headcount_basis == RB_HEADCOUNT_AVERAGE ? "数据年度各月参保人数的平均数"
                                                                 : "数据年度最后一个有记录月份的参保人数");
    say(w, "\n  FULL_MONTHS ");
    took(w, rb_full_months_words(p, m, &w->text));
    say(w, "\n  ARREARS 欠缴：%d年欠缴合计 %s 元\n", (int)m->data_year, money(m->arrears, b1));
    say(w, "  BASE 缴费基数：%d年各月计入基数合计 %s 元\n", (int)m->data_year, money(m->base, b1));
    say(w, "  LAYOFF 裁员率（%s）：", p->layoff_method == RB_LAYOFF_CLAIMANTS
                                      ? "按新增领取失业保险金人数 ÷ 月均参保人数"
                                      : "按上年12月到本年末参保人数的降幅");
    took(w, rb_layoff_words(p, m, &w->text));
    say(w, "，%s\n", m->layoff_over_cap ? "超过上限" : "未超过上限");
    if (m->headcount_known &&
        rb_frac_cmp(m->headcount_num, m->headcount_den, p->large_firm_min_headcount, 1) >= 0)
        say(w, "  RATE 返还比例：%d%%（参保人数不少于 %lld 人，按大型企业比例）\n", (int)m->rate_pct,
            (long long)p->large_firm_min_headcount);
    else
        say(w, "  RATE 返还比例：%d%%（参保人数少于 %lld 人，按中小微企业比例）\n", (int)m->rate_pct,
            (long long)p->large_firm_min_headcount);
    explain_amount(w, m);
}

static const char *verdict(rb_reason reason, bool applies)
{
    if (!applies)
        return "通过";
    switch (rb_reason_level_of(reason)) {
    case RB_LEVEL_SKIP_PAID:
    case RB_LEVEL_SKIP_SCOPE:
        return "跳过";
    case RB_LEVEL_REJECT:
        return "不通过";
    case RB_LEVEL_DATA_QUALITY:
    case RB_LEVEL_REVIEW:
        break;
    }
    return "需人工复核";
}

static void explain_rules(struct writer *w, const rb_params *p, const rb_firm_input *f, const rb_decision *d)
{
    static const struct {
        rb_reason_level level;
        const char *title;
    } levels[] = {
        {RB_LEVEL_SKIP_PAID, "第1层 已返还的跳过"},
        {RB_LEVEL_SKIP_SCOPE, "第2层 超出免申即享范围的跳过"},
        {RB_LEVEL_DATA_QUALITY, "第3层 数据质量（有问题则人工复核）"},
        {RB_LEVEL_REJECT, "第4层 不予返还的条件"},
        {RB_LEVEL_REVIEW, "第5层 需人工复核的条件"},
    };
    say(w, "\n四、规则判断（依次判断，第一个成立的层级决定结果）\n");
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
        say(w, "  %s\n", levels[l].title);
        for (int r = 0; r < RB_R_COUNT; r++) {
            if (rb_reason_level_of((rb_reason)r) != levels[l].level)
                continue;
            say(w, "    %s %s：", rb_reason_code((rb_reason)r), rb_reason_label((rb_reason)r));
            took(w, rb_reason_fact((rb_reason)r, p, f, d, &w->text));
            say(w, " — %s\n", verdict((rb_reason)r, (d->applicable & (1u << r)) != 0));
        }
    }
}

/* The latest review verdict and whether this decision follows it. */
static void explain_verdict(struct writer *w, const rb_firm_input *f, const rb_decision *d)
{
    const rb_verdict *v = &f->verdict;
    char covered[512], uncovered[512], b1[RB_MONEY_BUFSZ], b2[RB_MONEY_BUFSZ];
    if (v->id == 0) {
        if (d->reviewed != 0)
            say(w, "\n  复核结论：尚无。可由复核人员用 rebate review 记录通过（--accept）或不予返还（--reject）\n");
        return;
    }
    rb_reasons_format(v->covered, covered, sizeof covered);
    char day[11];
    say(w, "\n  复核结论（第 %lld 号）：%s 于 %s（北京时间）%s，覆盖原因 %s、金额 %s 元；说明：%s\n", (long long)v->id,
        v->by ? v->by : "", rb_china_date_of_utc(v->at, day), v->accept ? "复核通过（accept）" : "复核不予返还（reject）", covered,
        money(v->amount, b1), v->note ? v->note : "");
    switch (d->verdict) {
    case RB_VERDICT_APPLIES:
        say(w, "  复核结论适用：本次原因均在其覆盖范围内，金额相同，%s\n",
            v->accept ? "按第6层拨付" : "不予返还（REVIEW_REJECTED）");
        break;
    case RB_VERDICT_LAPSED_REASON:
        rb_reasons_format(d->uncovered, uncovered, sizeof uncovered);
        say(w, "  复核结论已失效：出现了复核时没有的原因 %s，需重新复核\n", uncovered);
        break;
    case RB_VERDICT_LAPSED_AMOUNT:
        say(w, "  复核结论已失效：金额由复核时的 %s 元变为 %s 元，需重新复核\n", money(v->amount, b1),
            money(d->measures.amount, b2));
        break;
    case RB_VERDICT_NOT_REVIEW:
        say(w, "  复核结论不适用：本次结果不是待人工复核（第1至4层的结果不受复核结论影响）\n");
        break;
    case RB_VERDICT_NONE:
        break;
    }
}

static void explain_outcome(struct writer *w, const rb_firm_input *f, const rb_decision *d)
{
    char b1[RB_MONEY_BUFSZ], account[RB_ACCOUNT_MASKED_BUFSZ];
    say(w, "\n五、结论\n");
    say(w, "  结果：%s %s\n", rb_outcome_code(d->outcome), rb_outcome_label(d->outcome));
    if (d->reasons) {
        say(w, "  原因：");
        bool first = true;
        for (int r = 0; r < RB_R_COUNT; r++) {
            if (!(d->reasons & (1u << r)))
                continue;
            say(w, "%s%s %s", first ? "" : "；", rb_reason_code((rb_reason)r), rb_reason_label((rb_reason)r));
            first = false;
        }
        say(w, "\n");
    }
    const char *amount = money(d->measures.amount, b1);
    switch (d->outcome) {
    case RB_OUTCOME_PAY:
        say(w, "  返还金额：%s 元，在本次运行的批次中拨付到账号 %s（户名「%s」）\n", amount,
            rb_account_masked(f->bank_account, account), text_or(f->account_name, ""));
        break;
    case RB_OUTCOME_REVIEW:
        say(w, "  测算金额：%s 元；人工复核通过前不拨付\n", amount);
        break;
    case RB_OUTCOME_REJECT:
        say(w, "  测算金额：%s 元，本次不予返还；企业改正后（如补缴欠费、更正账户），"
               "之后每晚的运行会按新数据重新判断\n", amount);
        break;
    case RB_OUTCOME_SKIP:
        say(w, "  测算金额：%s 元；本次不处理%s\n", amount,
            (d->reasons & (1u << RB_R_ALREADY_PAID)) ? "（本年度已有有效支付，不会重复拨付）"
                                                      : "（不属于免申即享范围，可按一般程序申请）");
        break;
    }
}

rb_status rb_explain(sqlite3 *db, const rb_params *params, const char *uscc, FILE *out, rb_error *err)
{
    rb_firm_reader *reader = NULL;
    const rb_firm_input *firm = NULL;
    struct writer w = {RB_STRBUF_INIT, true};
    rb_decision decision;
    rb_status st = rb_firm_reader_open(db, params, &uscc, 1, &reader, err);
    if (st != RB_OK)
        goto out;
    if ((st = rb_firm_reader_next(reader, &firm, err)) != RB_OK)
        goto out;
    if (firm == NULL) { /* the reader checked the population; cannot happen */
        st = rb_fail(err, RB_E_INTERNAL, "the firm %s vanished from the snapshot while it was read", uscc);
        goto out;
    }
    rb_decide(params, firm, &decision);

    explain_header(&w, params, firm);
    explain_sources(&w, firm);
    if ((st = explain_rejected_rows(&w, db, params, firm, err)) != RB_OK ||
        (st = explain_payments(&w, db, params, firm, err)) != RB_OK)
        goto out;
    explain_months(&w, params, firm, &decision.measures);
    if ((st = explain_missing_months(&w, db, params, firm, &decision.measures, err)) != RB_OK)
        goto out;
    explain_measures(&w, params, &decision.measures);
    explain_rules(&w, params, firm, &decision);
    explain_verdict(&w, firm, &decision);
    explain_outcome(&w, firm, &decision);
    if (!w.ok) {
        st = rb_fail(err, RB_E_INTERNAL, "out of memory writing the explanation of %s", firm->uscc);
        goto out;
    }
    if (fwrite(w.text.buf, 1, w.text.len, out) != w.text.len || fflush(out) != 0)
        st = rb_fail(err, RB_E_CANTWRITE, "cannot write the explanation of %s", firm->uscc);
out:
    rb_strbuf_release(&w.text);
    rb_firm_reader_close(reader);
    return st;
}
