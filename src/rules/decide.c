/* The decision of docs/rules.md ("Decision"): the predicates of the reason table
 * (reasons.c) give the set of applicable reasons, and the levels turn it
 * into one outcome. A pure function of the firm's input and the
 * parameters. */
#include <string.h>

#include "rebate/rules.h"
#include "rules/rules_internal.h"

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

static rb_reason_set reasons_at(rb_reason_set set, rb_reason_level level)
{
    rb_reason_set at = 0;
    for (int r = 0; r < RB_R_COUNT; r++)
        if ((set & (1u << r)) && rb_reason_level_of((rb_reason)r) == level)
            at |= 1u << r;
    return at;
}

/* docs/rules.md, "Review verdicts": the latest verdict applies to a level-5
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
    rb_rule_input in = {params, firm, &out->measures};
    for (int r = 0; r < RB_R_COUNT; r++)
        if (rb_reason_table[r].applies(&in))
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
