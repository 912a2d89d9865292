/* The decision of rules.md ("Decision"): one table row per reason code with
 * the predicate that says when it applies, and the levels that turn the set
 * of applicable reasons into one outcome. A pure function of the firm's
 * input and the parameters. */
#include <string.h>

#include "rebate/rules.h"
#include "rebate/text.h"
#include "rules/rules_internal.h"

struct rule_input {
    const rb_params *params;
    const rb_firm_input *firm;
    const rb_measures *m;
};

void rb_account_shape(const char *account, size_t *kept, bool *all_digits)
{
    *kept = 0;
    *all_digits = true;
    if (account == NULL)
        return;
    const unsigned char *s = (const unsigned char *)account;
    for (size_t i = 0; s[i] != '\0';) {
        if (s[i] == ' ' || s[i] == '-') {
            i++;
        } else if (s[i] == 0xE3 && s[i + 1] == 0x80 && s[i + 2] == 0x80) { /* U+3000 */
            i += 3;
        } else {
            if (s[i] < '0' || s[i] > '9')
                *all_digits = false;
            (*kept)++;
            i++;
        }
    }
}

/* "an account is given": an insured-unit row whose bank_account is not
 * empty (after removing spaces and '-'). */
static bool account_given(const rb_firm_input *f)
{
    size_t kept;
    bool digits;
    rb_account_shape(f->has_unit ? f->bank_account : NULL, &kept, &digits);
    return kept > 0;
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

/* Level 1. ALREADY_PAID: a payment for this policy year that is not voided
 * or returned (the reader looks it up in the ledger). */
static bool rule_already_paid(const struct rule_input *in)
{
    return in->firm->already_paid;
}

/* Level 2. OVER_SCOPE: headcount known and > scope_max_headcount (on the
 * average basis the fraction is compared, never rounded). */
static bool rule_over_scope(const struct rule_input *in)
{
    return in->m->headcount_known &&
           rb_frac_cmp(in->m->headcount_num, in->m->headcount_den, in->params->scope_max_headcount, 1) > 0;
}

/* Level 3. ROW_ERROR: a rejected row (not a conflicting duplicate) whose
 * uscc is this firm's or differs only in the check character. */
static bool rule_row_error(const struct rule_input *in)
{
    return in->firm->row_errors > 0;
}

/* Level 3. DATA_CONFLICT: conflicting duplicate rows in any extract. */
static bool rule_data_conflict(const struct rule_input *in)
{
    return in->firm->conflicts > 0;
}

/* Level 4. REG_INACTIVE: registration status inactive (注销, 吊销, 撤销). */
static bool rule_reg_inactive(const struct rule_input *in)
{
    return in->firm->has_registration && in->firm->reg_class == RB_REG_INACTIVE;
}

/* Level 4. DISHONEST: on the serious-dishonesty list. */
static bool rule_dishonest(const struct rule_input *in)
{
    return in->firm->has_registration && in->firm->dishonest;
}

/* Level 4. UI_TERMINATED: ui_status 终止 or 注销. */
static bool rule_ui_terminated(const struct rule_input *in)
{
    return in->firm->has_unit && in->firm->ui_class == RB_UI_TERMINATED;
}

/* Level 4. NO_CONTRIBUTIONS: no contribution row in A. */
static bool rule_no_contributions(const struct rule_input *in)
{
    return in->m->rows_in_a == 0;
}

/* Level 4. FULL_MONTHS_SHORT: full months < min_full_months. */
static bool rule_full_months_short(const struct rule_input *in)
{
    return in->m->full_months < in->params->min_full_months;
}

/* Level 4. ARREARS: arrears > 0. */
static bool rule_arrears(const struct rule_input *in)
{
    return in->m->arrears > 0;
}

/* Level 4. LAYOFF_RATE: method claimants and the rate over the cap. */
static bool rule_layoff_rate(const struct rule_input *in)
{
    return in->params->layoff_method == RB_LAYOFF_CLAIMANTS && in->m->layoff_over_cap;
}

/* Level 4. ZERO_AMOUNT: amount = 0. */
static bool rule_zero_amount(const struct rule_input *in)
{
    return in->m->amount == 0;
}

/* Level 5. REG_MISSING: no loaded registration row. */
static bool rule_reg_missing(const struct rule_input *in)
{
    return !in->firm->has_registration;
}

/* Level 5. UNIT_MISSING: no loaded insured-unit row. */
static bool rule_unit_missing(const struct rule_input *in)
{
    return !in->firm->has_unit;
}

/* Level 5. REG_SUSPENDED: registration status 迁出, 停业, 歇业, 清算. */
static bool rule_reg_suspended(const struct rule_input *in)
{
    return in->firm->has_registration && in->firm->reg_class == RB_REG_SUSPENDED;
}

/* Level 5. UI_SUSPENDED: ui_status 暂停缴费. */
static bool rule_ui_suspended(const struct rule_input *in)
{
    return in->firm->has_unit && in->firm->ui_class == RB_UI_SUSPENDED;
}

/* Level 5. LAYOFF_HIGH: method december_stock and the rate over the cap. */
static bool rule_layoff_high(const struct rule_input *in)
{
    return in->params->layoff_method == RB_LAYOFF_DECEMBER_STOCK && in->m->layoff_over_cap;
}

/* Level 5. LABOUR_DISPATCH: industry code, trimmed and upper-cased, is
 * 7263 (劳务派遣服务) or L7263 (with the section letter). */
static bool rule_labour_dispatch(const struct rule_input *in)
{
    const char *code = in->firm->has_registration ? in->firm->industry_code : NULL;
    if (code == NULL)
        return false;
    size_t len = strlen(code);
    rb_text_trim(&code, &len);
    char upper[6];
    if (len >= sizeof upper)
        return false;
    for (size_t i = 0; i < len; i++)
        upper[i] = (code[i] >= 'a' && code[i] <= 'z') ? (char)(code[i] - 'a' + 'A') : code[i];
    upper[len] = '\0';
    return strcmp(upper, "7263") == 0 || strcmp(upper, "L7263") == 0;
}

/* Level 5. NAME_MISMATCH: both rows exist and the unit's name differs from
 * the registered name after folding full-width forms and white space. */
static bool rule_name_mismatch(const struct rule_input *in)
{
    return in->firm->has_registration && in->firm->has_unit &&
           !names_equal(in->firm->unit_name, in->firm->reg_name);
}

/* Level 5. NO_ACCOUNT: no insured-unit row, an empty bank_account, or only
 * a tax-bureau account (税务) in a year where that is not allowed. */
static bool rule_no_account(const struct rule_input *in)
{
    return !in->firm->has_unit || !account_given(in->firm) ||
           (in->firm->tax_account && !in->params->tax_account_allowed);
}

/* Level 5. ACCOUNT_INVALID: an account is given but is not 8 to 32 digits
 * after removing spaces and '-'. */
static bool rule_account_invalid(const struct rule_input *in)
{
    if (!account_given(in->firm))
        return false;
    size_t kept;
    bool digits;
    rb_account_shape(in->firm->bank_account, &kept, &digits);
    return !digits || kept < 8 || kept > 32;
}

/* Level 5. PAYEE_MISMATCH: a registration row, an account given, and the
 * account name empty or different from the registered name. */
static bool rule_payee_mismatch(const struct rule_input *in)
{
    return in->firm->has_registration && account_given(in->firm) &&
           (name_empty(in->firm->account_name) || !names_equal(in->firm->account_name, in->firm->reg_name));
}

/* Level 5. AMOUNT_HIGH: amount > review_amount. */
static bool rule_amount_high(const struct rule_input *in)
{
    return in->m->amount > in->params->review_amount;
}

/* Level 5. TRANSFER_RETURNED: the last transfer for this year came back and
 * was sent to the account (number and name) the extract still gives. */
static bool rule_transfer_returned(const struct rule_input *in)
{
    return in->firm->transfer_returned;
}

/* REVIEW_REJECTED is never a condition of the data: rb_decide adds it when
 * a person's reject verdict applies (apply_verdict). */
static bool rule_review_rejected(const struct rule_input *in)
{
    (void)in;
    return false;
}

/* The rule table, in code order (the level of each is in labels.c). */
static bool (*const rule_table[RB_R_COUNT])(const struct rule_input *) = {
    [RB_R_ACCOUNT_INVALID] = rule_account_invalid,
    [RB_R_ALREADY_PAID] = rule_already_paid,
    [RB_R_AMOUNT_HIGH] = rule_amount_high,
    [RB_R_ARREARS] = rule_arrears,
    [RB_R_DATA_CONFLICT] = rule_data_conflict,
    [RB_R_DISHONEST] = rule_dishonest,
    [RB_R_FULL_MONTHS_SHORT] = rule_full_months_short,
    [RB_R_LABOUR_DISPATCH] = rule_labour_dispatch,
    [RB_R_LAYOFF_HIGH] = rule_layoff_high,
    [RB_R_LAYOFF_RATE] = rule_layoff_rate,
    [RB_R_NAME_MISMATCH] = rule_name_mismatch,
    [RB_R_NO_ACCOUNT] = rule_no_account,
    [RB_R_NO_CONTRIBUTIONS] = rule_no_contributions,
    [RB_R_OVER_SCOPE] = rule_over_scope,
    [RB_R_PAYEE_MISMATCH] = rule_payee_mismatch,
    [RB_R_REG_INACTIVE] = rule_reg_inactive,
    [RB_R_REG_MISSING] = rule_reg_missing,
    [RB_R_REG_SUSPENDED] = rule_reg_suspended,
    [RB_R_REVIEW_REJECTED] = rule_review_rejected,
    [RB_R_ROW_ERROR] = rule_row_error,
    [RB_R_TRANSFER_RETURNED] = rule_transfer_returned,
    [RB_R_UI_SUSPENDED] = rule_ui_suspended,
    [RB_R_UI_TERMINATED] = rule_ui_terminated,
    [RB_R_UNIT_MISSING] = rule_unit_missing,
    [RB_R_ZERO_AMOUNT] = rule_zero_amount,
};

static rb_reason_set reasons_at(rb_reason_set set, rb_reason_level level)
{
    rb_reason_set at = 0;
    for (int r = 0; r < RB_R_COUNT; r++)
        if ((set & (1u << r)) && rb_reason_level_of((rb_reason)r) == level)
            at |= 1u << r;
    return at;
}

/* rules.md, "Review verdicts": the latest verdict applies to a level-5
 * REVIEW only while the decision has no reason outside the covered set and
 * the same amount to the fen; an accept then pays (level 6), a reject is
 * REJECT with REVIEW_REJECTED added. Levels 1 to 4 never reach here. */
static void apply_verdict(const rb_verdict *v, rb_decision *out)
{
    if (v->id == 0)
        return;
    out->uncovered = out->reasons & ~v->covered;
    if (out->uncovered != 0) {
        out->verdict = RB_VERDICT_LAPSED_REASON;
    } else if (out->measures.amount != v->amount) {
        out->verdict = RB_VERDICT_LAPSED_AMOUNT;
    } else {
        out->verdict = RB_VERDICT_APPLIES;
        out->verdict_id = v->id;
        if (v->accept) {
            out->outcome = RB_OUTCOME_PAY;
            out->reasons = 0;
        } else {
            out->outcome = RB_OUTCOME_REJECT;
            out->reasons |= 1u << RB_R_REVIEW_REJECTED;
            out->applicable |= 1u << RB_R_REVIEW_REJECTED;
        }
    }
}

void rb_decide(const rb_params *params, const rb_firm_input *firm, rb_decision *out)
{
    memset(out, 0, sizeof *out);
    rb_measures_compute(params, firm, &out->measures);
    struct rule_input in = {params, firm, &out->measures};
    for (int r = 0; r < RB_R_COUNT; r++)
        if (rule_table[r](&in))
            out->applicable |= 1u << r;

    rb_reason_set skip_paid = reasons_at(out->applicable, RB_LEVEL_SKIP_PAID);
    rb_reason_set skip_scope = reasons_at(out->applicable, RB_LEVEL_SKIP_SCOPE);
    /* Levels 3 to 5 list every reason of the three tables that applies. */
    rb_reason_set listed = out->applicable & ~(skip_paid | skip_scope);
    if (skip_paid) { /* level 1: SKIP lists its one reason */
        out->outcome = RB_OUTCOME_SKIP;
        out->reasons = skip_paid;
    } else if (skip_scope) { /* level 2 */
        out->outcome = RB_OUTCOME_SKIP;
        out->reasons = skip_scope;
    } else if (reasons_at(listed, RB_LEVEL_DATA_QUALITY)) { /* level 3 */
        out->outcome = RB_OUTCOME_REVIEW;
        out->reasons = listed;
    } else if (reasons_at(listed, RB_LEVEL_REJECT)) { /* level 4 */
        out->outcome = RB_OUTCOME_REJECT;
        out->reasons = listed;
    } else if (listed) { /* level 5: only review reasons are left */
        out->outcome = RB_OUTCOME_REVIEW;
        out->reasons = listed;
        out->reviewed = listed;
        apply_verdict(&firm->verdict, out);
        return;
    } else { /* level 6: PAY lists none */
        out->outcome = RB_OUTCOME_PAY;
        out->reasons = 0;
    }
    out->verdict = firm->verdict.id != 0 ? RB_VERDICT_NOT_REVIEW : RB_VERDICT_NONE;
}
