/* The one table of reason codes, their Chinese labels and the decision level
 * at which each takes effect (rules.md, "Decision"), and the outcome labels.
 * Everything that prints a code or a label reads it from here. */
#include <stdio.h>
#include <string.h>

#include "rebate/rules.h"
#include "rules/rules_internal.h"

static const struct reason_row {
    rb_reason reason;
    const char *code;
    const char *label;
    rb_reason_level level;
} reason_table[RB_R_COUNT] = {
    {RB_R_ACCOUNT_INVALID, "ACCOUNT_INVALID", "银行账号格式不正确", RB_LEVEL_REVIEW},
    {RB_R_ALREADY_PAID, "ALREADY_PAID", "本年度已返还", RB_LEVEL_SKIP_PAID},
    {RB_R_AMOUNT_HIGH, "AMOUNT_HIGH", "返还金额超过复核限额", RB_LEVEL_REVIEW},
    {RB_R_ARREARS, "ARREARS", "欠缴", RB_LEVEL_REJECT},
    {RB_R_DATA_CONFLICT, "DATA_CONFLICT", "数据冲突（同一企业有内容不同的重复行）", RB_LEVEL_DATA_QUALITY},
    {RB_R_DISHONEST, "DISHONEST", "列入严重失信主体名单", RB_LEVEL_REJECT},
    {RB_R_FULL_MONTHS_SHORT, "FULL_MONTHS_SHORT", "足额缴费月数不足", RB_LEVEL_REJECT},
    {RB_R_LABOUR_DISPATCH, "LABOUR_DISPATCH", "劳务派遣企业（须自行申请）", RB_LEVEL_REVIEW},
    {RB_R_LAYOFF_HIGH, "LAYOFF_HIGH", "参保人数降幅超过裁员率上限（需人工核实）", RB_LEVEL_REVIEW},
    {RB_R_LAYOFF_RATE, "LAYOFF_RATE", "裁员率超过上限", RB_LEVEL_REJECT},
    {RB_R_NAME_MISMATCH, "NAME_MISMATCH", "参保单位名称与登记名称不一致", RB_LEVEL_REVIEW},
    {RB_R_NO_ACCOUNT, "NO_ACCOUNT", "无可用的收款账户", RB_LEVEL_REVIEW},
    {RB_R_NO_CONTRIBUTIONS, "NO_CONTRIBUTIONS", "数据年度无缴费记录", RB_LEVEL_REJECT},
    {RB_R_OVER_SCOPE, "OVER_SCOPE", "参保人数超过免申即享范围", RB_LEVEL_SKIP_SCOPE},
    {RB_R_PAYEE_MISMATCH, "PAYEE_MISMATCH", "收款户名与登记名称不一致", RB_LEVEL_REVIEW},
    {RB_R_REG_INACTIVE, "REG_INACTIVE", "登记状态为注销、吊销或撤销", RB_LEVEL_REJECT},
    {RB_R_REG_MISSING, "REG_MISSING", "无市场主体登记信息", RB_LEVEL_REVIEW},
    {RB_R_REG_SUSPENDED, "REG_SUSPENDED", "登记状态为迁出、停业、歇业或清算", RB_LEVEL_REVIEW},
    {RB_R_REVIEW_REJECTED, "REVIEW_REJECTED", "经人工复核不予返还", RB_LEVEL_REJECT},
    {RB_R_ROW_ERROR, "ROW_ERROR", "有数据行在导入时被拒绝", RB_LEVEL_DATA_QUALITY},
    {RB_R_TRANSFER_RETURNED, "TRANSFER_RETURNED", "上次转账被银行退回且账户未变更", RB_LEVEL_REVIEW},
    {RB_R_UI_SUSPENDED, "UI_SUSPENDED", "失业保险暂停缴费", RB_LEVEL_REVIEW},
    {RB_R_UI_TERMINATED, "UI_TERMINATED", "失业保险参保终止或注销", RB_LEVEL_REJECT},
    {RB_R_UNIT_MISSING, "UNIT_MISSING", "无失业保险参保单位信息", RB_LEVEL_REVIEW},
    {RB_R_ZERO_AMOUNT, "ZERO_AMOUNT", "返还金额为零", RB_LEVEL_REJECT},
};

static const struct outcome_row {
    const char *code;
    const char *label;
} outcome_table[] = {
    [RB_OUTCOME_PAY] = {"PAY", "拨付"},
    [RB_OUTCOME_REVIEW] = {"REVIEW", "人工复核"},
    [RB_OUTCOME_REJECT] = {"REJECT", "不予返还"},
    [RB_OUTCOME_SKIP] = {"SKIP", "跳过"},
};

static const struct reason_row *reason_row(rb_reason reason)
{
    /* The table is indexed by the enum; a mismatch is caught by the tests. */
    return (unsigned)reason < RB_R_COUNT ? &reason_table[reason] : NULL;
}

const char *rb_reason_code(rb_reason reason)
{
    const struct reason_row *row = reason_row(reason);
    return row ? row->code : "?";
}

rb_reason rb_reason_from_code(const char *code, size_t len)
{
    for (int r = 0; r < RB_R_COUNT; r++)
        if (strlen(reason_table[r].code) == len && memcmp(reason_table[r].code, code, len) == 0)
            return (rb_reason)r;
    return RB_R_COUNT;
}

bool rb_reasons_parse(const char *text, rb_reason_set *out)
{
    *out = 0;
    const char *p = text;
    while (*p != '\0') {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        rb_reason r = rb_reason_from_code(p, len);
        if (r == RB_R_COUNT)
            return false;
        *out |= 1u << r;
        p += len;
        if (*p == ';')
            p++;
    }
    return true;
}

const char *rb_reason_label(rb_reason reason)
{
    const struct reason_row *row = reason_row(reason);
    return row ? row->label : "?";
}

rb_reason_level rb_reason_level_of(rb_reason reason)
{
    const struct reason_row *row = reason_row(reason);
    return row ? row->level : RB_LEVEL_REVIEW;
}

const char *rb_outcome_code(rb_outcome outcome)
{
    return (unsigned)outcome <= RB_OUTCOME_SKIP ? outcome_table[outcome].code : "?";
}

const char *rb_outcome_label(rb_outcome outcome)
{
    return (unsigned)outcome <= RB_OUTCOME_SKIP ? outcome_table[outcome].label : "?";
}

char *rb_reasons_format(rb_reason_set set, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    size_t used = 0;
    buf[0] = '\0';
    /* Bit order is code order (rules.h), so this prints them sorted. */
    for (int r = 0; r < RB_R_COUNT; r++) {
        if (!(set & (1u << r)))
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? ";" : "", rb_reason_code((rb_reason)r));
        if (n < 0 || (size_t)n >= size - used) {
            buf[used] = '\0'; /* never a half code */
            break;
        }
        used += (size_t)n;
    }
    return buf;
}

char *rb_verdict_text(const rb_verdict *v, char *buf, size_t size)
{
    snprintf(buf, size, "%s %.10s %s", v->accept ? "accepted" : "rejected", v->at ? v->at : "",
             v->by ? v->by : "");
    return buf;
}
