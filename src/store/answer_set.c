/* The bank's answer as read (rebate/answer_set.h): entries, problems with
 * their lines, and the status words the bank uses. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rebate/answer_set.h"

void rb_answer_set_init(rb_answer_set *set)
{
    memset(set, 0, sizeof *set);
    rb_strbuf_init(&set->problems);
}

void rb_answer_set_free(rb_answer_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        free(set->items[i].reference);
        free(set->items[i].code);
        free(set->items[i].reason);
    }
    free(set->items);
    free(set->group_code);
    free(set->group_reason);
    free(set->original_id);
    rb_strbuf_release(&set->problems);
    memset(set, 0, sizeof *set);
}

bool rb_answer_set_add(rb_answer_set *set, long line, const char *reference, rb_answer_status status,
                       const char *code, const char *reason, bool has_amount, rb_fen amount)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        rb_answer *items = realloc(set->items, cap * sizeof *items);
        if (items == NULL) {
            set->out_of_memory = true;
            return false;
        }
        set->items = items;
        set->cap = cap;
    }
    rb_answer *a = &set->items[set->n];
    memset(a, 0, sizeof *a);
    a->line = line;
    a->status = status;
    a->has_amount = has_amount;
    a->amount = amount;
    a->reference = strdup(reference);
    a->code = strdup(code);
    a->reason = strdup(reason ? reason : "");
    if (a->reference == NULL || a->code == NULL || a->reason == NULL) {
        free(a->reference);
        free(a->code);
        free(a->reason);
        set->out_of_memory = true;
        return false;
    }
    set->n++;
    return true;
}

void rb_answer_set_problem(rb_answer_set *set, long line, const char *fmt, ...)
{
    set->n_problems++;
    if (set->n_problems > RB_ANSWER_PROBLEMS_NAMED)
        return;
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    bool ok = set->problems.len == 0 || rb_strbuf_adds(&set->problems, "; ");
    ok = ok && (line > 0 ? rb_strbuf_addf(&set->problems, "line %ld: %s", line, what)
                         : rb_strbuf_adds(&set->problems, what));
    if (!ok)
        set->out_of_memory = true;
}

rb_status rb_answer_set_refuse(const rb_answer_set *set, const char *path, rb_error *err)
{
    if (set->out_of_memory)
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading bank answer '%s'", path);
    char more[64] = "";
    if (set->n_problems > RB_ANSWER_PROBLEMS_NAMED)
        snprintf(more, sizeof more, "; and %zu more", set->n_problems - RB_ANSWER_PROBLEMS_NAMED);
    return rb_fail(err, RB_E_DATA, "bank answer '%s' is refused whole, nothing was recorded (%zu problem%s): %s%s",
                   path, set->n_problems, set->n_problems == 1 ? "" : "s", set->problems.buf, more);
}

bool rb_answer_status_parse(const char *text, rb_answer_status *out)
{
    static const struct {
        const char *word;
        rb_answer_status status;
    } words[] = {
        {"ACSC", RB_ANSWER_PAID},      {"ACCC", RB_ANSWER_PAID},      {"paid", RB_ANSWER_PAID},
        {"成功", RB_ANSWER_PAID},      {"已到账", RB_ANSWER_PAID},    {"交易成功", RB_ANSWER_PAID},
        {"RJCT", RB_ANSWER_RETURNED},  {"CANC", RB_ANSWER_RETURNED},  {"returned", RB_ANSWER_RETURNED}, {"失败", RB_ANSWER_RETURNED},
        {"退回", RB_ANSWER_RETURNED},  {"退票", RB_ANSWER_RETURNED},  {"交易失败", RB_ANSWER_RETURNED},
        {"pending", RB_ANSWER_PENDING}, {"处理中", RB_ANSWER_PENDING},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(text, words[i].word) == 0) {
            *out = words[i].status;
            return true;
        }
    /* The other codes of ISO 20022's transaction status list are not final:
     * received, accepted at some step, pending, blocked, partly accepted.
     * Any other text (FAIL, DONE ...) is no answer and refuses the file. */
    static const char *const not_final[] = {"ACCP", "ACFC", "ACIS", "ACPD", "ACSP", "ACTC", "ACWC",
                                            "ACWP", "BLCK", "PART", "PATC", "PDNG", "PRES", "RCVD"};
    for (size_t i = 0; i < sizeof not_final / sizeof not_final[0]; i++)
        if (strcasecmp(text, not_final[i]) == 0) {
            *out = RB_ANSWER_PENDING;
            return true;
        }
    return false;
}
