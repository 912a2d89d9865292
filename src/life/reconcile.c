/* `rebate reconcile` (rebate/life.h): the bank's answer, read whole by the
 * import stage, checked whole against the ledger (every problem named with
 * its line), then recorded in one transaction with an event per payment;
 * a batch whose payments are all paid or returned becomes settled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/answer_set.h"
#include "rebate/batches.h"
#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/events.h"
#include "rebate/life.h"
#include "rebate/payments.h"
#include "rebate/strbuf.h"

static const char *status_word(rb_answer_status s)
{
    return s == RB_ANSWER_PAID ? "paid" : s == RB_ANSWER_RETURNED ? "returned" : "pending";
}

static int by_reference(const void *a, const void *b)
{
    const rb_answer *x = *(const rb_answer *const *)a, *y = *(const rb_answer *const *)b;
    int d = strcmp(x->reference, y->reference);
    return d != 0 ? d : (x->line > y->line) - (x->line < y->line);
}

void rb_reconcile_result_free(rb_reconcile_result *r)
{
    free(r->reply);
    memset(r, 0, sizeof *r);
}

/* The references of the batch's approved payments, to return them all. */
typedef struct ref_list {
    char **refs;
    size_t n, cap;
    bool oom;
} ref_list;

static rb_status collect_approved(void *ctx, const char *reference, const char *uscc, const char *state,
                                  rb_fen amount, const char *reason, rb_error *err)
{
    (void)uscc, (void)amount, (void)reason, (void)err;
    ref_list *l = ctx;
    if (strcmp(state, "approved") != 0)
        return RB_OK;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **refs = realloc(l->refs, cap * sizeof *refs);
        if (refs == NULL) {
            l->oom = true;
            return RB_OK;
        }
        l->refs = refs;
        l->cap = cap;
    }
    if ((l->refs[l->n] = strdup(reference)) == NULL)
        l->oom = true;
    else
        l->n++;
    return RB_OK;
}

static void ref_list_free(ref_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->refs[i]);
    free(l->refs);
}

/* ---- the reply ---- */

typedef struct reply {
    rb_strbuf text;
    const char *state;          /* the section being written */
    rb_answer **pending;        /* sorted by reference */
    size_t n_pending;
    int64_t count;
    rb_fen total;
    bool ok;
} reply;

static bool is_pending(const reply *r, const char *reference)
{
    size_t lo = 0, hi = r->n_pending;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int d = strcmp(r->pending[mid]->reference, reference);
        if (d == 0)
            return true;
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Which section a payment belongs to: paid, returned, pending, unanswered. */
static const char *section_of(const reply *r, const char *reference, const char *state)
{
    if (strcmp(state, "approved") == 0)
        return is_pending(r, reference) ? "pending" : "unanswered";
    return state;
}

static rb_status reply_line(void *ctx, const char *reference, const char *uscc, const char *state, rb_fen amount,
                            const char *reason, rb_error *err)
{
    (void)err;
    reply *r = ctx;
    if (strcmp(section_of(r, reference, state), r->state) != 0)
        return RB_OK;
    char money[RB_MONEY_BUFSZ];
    r->count++;
    r->total += amount;
    r->ok = r->ok && rb_strbuf_addf(&r->text, "  %s  %s  %s 元%s%s\n", reference, uscc, rb_money_format(amount, money),
                                    reason[0] && strcmp(state, "returned") == 0 ? "  原因 reason: " : "",
                                    strcmp(state, "returned") == 0 ? reason : "");
    return RB_OK;
}

static rb_status build_reply(sqlite3 *db, const char *batch_id, rb_answer **pending, size_t n_pending,
                             rb_reconcile_result *out, rb_error *err)
{
    static const struct {
        const char *state, *title;
    } sections[] = {{"paid", "已到账 paid"},
                    {"returned", "退回 returned"},
                    {"pending", "处理中 pending"},
                    {"unanswered", "未答复 unanswered"}};
    reply r = {.text = RB_STRBUF_INIT, .pending = pending, .n_pending = n_pending, .ok = true};
    rb_status st = RB_OK;
    for (size_t i = 0; i < sizeof sections / sizeof sections[0] && st == RB_OK; i++) {
        rb_strbuf lines = r.text;
        rb_strbuf_init(&r.text);
        r.state = sections[i].state;
        r.count = 0;
        r.total = 0;
        st = rb_batch_each_answered(db, batch_id, reply_line, &r, err);
        char money[RB_MONEY_BUFSZ];
        rb_strbuf section = r.text;
        r.text = lines;
        r.ok = r.ok && rb_strbuf_addf(&r.text, "%s: %lld 笔 payments, 合计 total %s 元 yuan\n", sections[i].title,
                                      (long long)r.count, rb_money_format(r.total, money)) &&
               rb_strbuf_add(&r.text, section.buf, section.len);
        rb_strbuf_release(&section);
    }
    if (st == RB_OK && !r.ok)
        st = rb_fail(err, RB_E_INTERNAL, "out of memory writing the reply");
    if (st == RB_OK && (out->reply = strdup(r.text.buf)) == NULL)
        st = rb_fail(err, RB_E_INTERNAL, "out of memory writing the reply");
    rb_strbuf_release(&r.text);
    return st;
}

/* ---- checking and recording ---- */

static rb_status payment_event(sqlite3 *db, const char *batch_id, const char *reference, const char *uscc,
                               const char *to, const char *why, const rb_actor *who, rb_error *err)
{
    rb_event e = {.kind = RB_EVENT_PAYMENT,
                  .subject = reference,
                  .batch_id = batch_id,
                  .uscc = uscc,
                  .from_state = "approved",
                  .to_state = to,
                  .by = who->by,
                  .login = who->login,
                  .run_id = who->run_id,
                  .why = why};
    return rb_event_add(db, &e, err);
}

rb_status rb_batch_reconcile(sqlite3 *db, const rb_life_steps *steps, const char *batch_id, const char *path,
                             const rb_actor *who, rb_reconcile_result *out, rb_error *err)
{
    memset(out, 0, sizeof *out);
    rb_batch_record b = {0};
    rb_answer_set set;
    rb_answer_set_init(&set);
    rb_answers *answers = NULL;
    rb_answer **sorted = NULL, **pending = NULL;
    ref_list approved = {0};
    size_t n_pending = 0;
    bool in_transaction = false;
    char now[32];
    rb_now_utc(now);
    const char *slash = strrchr(path, '/');
    const char *file_name = slash ? slash + 1 : path;
    rb_status st = rb_db_begin(db, err);
    if (st != RB_OK)
        goto out;
    in_transaction = true;
    if ((st = rb_batch_record_load(db, batch_id, &b, err)) != RB_OK)
        goto out;
    if (strcmp(b.state, "approved") != 0 && strcmp(b.state, "settled") != 0) {
        st = strcmp(b.state, "voided") == 0
                 ? rb_fail(err, RB_E_USAGE, "batch %s was voided (by %s at %s): no bank file of it went to the bank",
                           b.batch_id, b.voided_by, b.voided_at)
                 : rb_fail(err, RB_E_USAGE,
                           "batch %s is %s, not approved: it has no bank file the bank could answer", b.batch_id,
                           b.state);
        goto out;
    }
    if ((st = steps->load_answers(path, &set, err)) != RB_OK)
        goto out;
    snprintf(out->format, sizeof out->format, "%s", set.format);
    if ((st = rb_answers_open(db, &answers, err)) != RB_OK)
        goto out;

    /* Two answers for one reference: the same status twice is one answer;
     * different ones are a problem. */
    if (set.n > 0 && ((sorted = malloc(set.n * sizeof *sorted)) == NULL ||
                      (pending = malloc(set.n * sizeof *pending)) == NULL)) {
        st = rb_fail(err, RB_E_INTERNAL, "out of memory reading bank answer '%s'", path);
        goto out;
    }
    for (size_t i = 0; i < set.n; i++)
        sorted[i] = &set.items[i];
    if (set.n > 0)
        qsort(sorted, set.n, sizeof *sorted, by_reference);
    for (size_t i = 0; i < set.n; i++) {
        rb_answer *a = sorted[i];
        if (i > 0 && strcmp(sorted[i - 1]->reference, a->reference) == 0) {
            if (sorted[i - 1]->status != a->status)
                rb_answer_set_problem(&set, a->line, "reference %s is answered %s here and %s on line %ld",
                                      a->reference, status_word(a->status), status_word(sorted[i - 1]->status),
                                      sorted[i - 1]->line);
            a->line = -a->line; /* a repeat: checked, not recorded again */
            continue;
        }
        bool found = false;
        rb_payment_facts p;
        if ((st = rb_payment_lookup(db, a->reference, &found, &p, err)) != RB_OK)
            goto out;
        char money_ours[RB_MONEY_BUFSZ], money_theirs[RB_MONEY_BUFSZ];
        if (!found) {
            rb_answer_set_problem(&set, a->line, "reference '%s' is no payment of batch %s (nor of any other)",
                                  a->reference, b.batch_id);
        } else if (strcmp(p.batch_id, b.batch_id) != 0) {
            rb_answer_set_problem(&set, a->line, "reference %s is a payment of batch %s, not of batch %s",
                                  a->reference, p.batch_id, b.batch_id);
        } else if (a->has_amount && a->amount != p.amount) {
            rb_answer_set_problem(&set, a->line, "payment %s is %s yuan, the answer says %s", a->reference,
                                  rb_money_format(p.amount, money_ours), rb_money_format(a->amount, money_theirs));
        } else if (a->status != RB_ANSWER_PENDING && strcmp(p.state, "approved") != 0 &&
                   strcmp(p.state, status_word(a->status)) != 0) {
            char *earlier = rb_answers_previous(answers, a->reference);
            rb_answer_set_problem(&set, a->line, "payment %s is recorded as %s%s; this answer says %s (%s)",
                                  a->reference, p.state, earlier ? earlier : "", status_word(a->status), a->code);
            free(earlier);
        }
    }
    if (set.group_returned) {
        if (set.original_id != NULL && strcmp(set.original_id, b.batch_id) != 0)
            rb_answer_set_problem(&set, set.group_line, "the report answers message %s, not batch %s",
                                  set.original_id, b.batch_id);
        int64_t paid = 0;
        rb_fen sum = 0;
        if ((st = rb_batch_payments_in_state(db, b.batch_id, "paid", &paid, &sum, err)) != RB_OK)
            goto out;
        if (paid > 0)
            rb_answer_set_problem(&set, set.group_line,
                                  "the whole batch is rejected (RJCT), but %lld of its payments are recorded as paid",
                                  (long long)paid);
    }
    if (set.n_problems > 0 || set.out_of_memory) {
        st = rb_answer_set_refuse(&set, path, err);
        goto out;
    }

    /* Recording. */
    for (size_t i = 0; i < set.n; i++) {
        rb_answer *a = sorted[i];
        if (a->line < 0)
            continue;
        if (a->status == RB_ANSWER_PENDING) {
            out->pending++;
            pending[n_pending++] = a;
            continue;
        }
        bool found = false;
        rb_payment_facts p;
        if ((st = rb_payment_lookup(db, a->reference, &found, &p, err)) != RB_OK)
            goto out;
        const char *status = status_word(a->status);
        if (strcmp(p.state, status) == 0) {
            if (a->status == RB_ANSWER_PAID)
                out->paid_again++;
            else
                out->returned_again++;
            continue;
        }
        if (strcmp(p.state, "approved") != 0)
            continue; /* pending after a final answer: an older report */
        if ((st = rb_answers_record(answers, a->reference, b.batch_id, status, a->reason, file_name, a->line,
                                    who->run_id, now, err)) != RB_OK ||
            (st = payment_event(db, b.batch_id, a->reference, p.uscc, status, a->reason[0] ? a->reason : a->code,
                                who, err)) != RB_OK)
            goto out;
        if (a->status == RB_ANSWER_PAID)
            out->paid++;
        else
            out->returned++;
    }
    if (set.group_returned) {
        if ((st = rb_batch_each_answered(db, b.batch_id, collect_approved, &approved, err)) != RB_OK)
            goto out;
        if (approved.oom) {
            st = rb_fail(err, RB_E_INTERNAL, "out of memory reading the payments of batch %s", b.batch_id);
            goto out;
        }
        for (size_t i = 0; i < approved.n; i++) {
            bool found = false;
            rb_payment_facts p;
            const char *why = set.group_reason[0] ? set.group_reason : "RJCT";
            if ((st = rb_payment_lookup(db, approved.refs[i], &found, &p, err)) != RB_OK ||
                (st = rb_answers_record(answers, approved.refs[i], b.batch_id, "returned", set.group_reason,
                                        file_name, set.group_line, who->run_id, now, err)) != RB_OK ||
                (st = payment_event(db, b.batch_id, approved.refs[i], p.uscc, "returned", why, who, err)) != RB_OK)
                goto out;
            out->returned++;
        }
    }
    rb_fen ignored = 0;
    if ((st = rb_batch_payments_in_state(db, b.batch_id, "approved", &out->open, &ignored, err)) != RB_OK)
        goto out;
    if (out->open == 0 && strcmp(b.state, "approved") == 0) {
        rb_event e = {.kind = RB_EVENT_BATCH,
                      .subject = b.batch_id,
                      .batch_id = b.batch_id,
                      .from_state = "approved",
                      .to_state = "settled",
                      .by = who->by,
                      .login = who->login,
                      .run_id = who->run_id,
                      .why = "the bank answered every payment"};
        if ((st = rb_batch_set_state(db, b.batch_id, "approved", "settled", now, err)) != RB_OK ||
            (st = rb_event_add(db, &e, err)) != RB_OK)
            goto out;
        out->settled = true;
    }
    if (out->paid + out->returned > 0 || out->settled) {
        if ((st = rb_db_commit(db, err)) != RB_OK)
            goto out;
    } else {
        rb_db_rollback(db); /* nothing new: nothing written */
    }
    in_transaction = false;
    if (n_pending > 0)
        qsort(pending, n_pending, sizeof *pending, by_reference);
    st = build_reply(db, b.batch_id, pending, n_pending, out, err);
out:
    rb_answers_close(answers);
    if (in_transaction)
        rb_db_rollback(db);
    rb_batch_record_free(&b);
    ref_list_free(&approved);
    free(sorted);
    free(pending);
    rb_answer_set_free(&set);
    if (st != RB_OK) {
        rb_reconcile_result_free(out); /* nothing was recorded */
    }
    return st;
}
