/* rb_review_record: a person's verdict on a REVIEW firm, checked against the
 * decision the firm has now (docs/rules.md, "Review verdicts") and recorded with
 * its event in one transaction. */
#include <stdio.h>
#include <string.h>

#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/events.h"
#include "rebate/ledger.h"
#include "rebate/review.h"
#include "rebate/text.h"
#include "rules/rules_internal.h"

/* The reasons of a set as "CODE 标签、CODE 标签" into buf. */
static const char *reasons_words(rb_reason_set set, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int r = 0; r < RB_R_COUNT && used < size; r++)
        if (set & (1u << r)) {
            int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", rb_reason_code((rb_reason)r));
            if (n < 0)
                break;
            used += (size_t)n;
        }
    return buf;
}

/* The firm's decision now, without any earlier verdict. */
static rb_status decide_now(sqlite3 *db, const rb_params *params, const char *uscc, rb_decision *d, rb_error *err)
{
    rb_firm_reader *reader = NULL;
    const rb_firm_input *firm = NULL;
    rb_status st = rb_firm_reader_open(db, params, &uscc, 1, &reader, err);
    if (st == RB_OK)
        st = rb_firm_reader_next(reader, &firm, err);
    if (st == RB_OK && firm == NULL)
        st = rb_fail(err, RB_E_INTERNAL, "the firm %s vanished from the snapshot while it was read", uscc);
    if (st == RB_OK) {
        rb_firm_input copy = *firm;
        memset(&copy.verdict, 0, sizeof copy.verdict);
        rb_decide(params, &copy, d);
    }
    rb_firm_reader_close(reader);
    return st;
}

/* Refuses what a verdict cannot decide, saying what the firm is instead. */
static rb_status check_reviewable(const rb_params *params, const char *uscc, bool accept, const rb_decision *d,
                                  rb_error *err)
{
    char codes[512];
    if (d->reviewed == 0) {
        rb_reasons_format(d->reasons, codes, sizeof codes);
        if (d->outcome == RB_OUTCOME_REVIEW)
            return rb_fail(err, RB_E_USAGE,
                           "firm %s is REVIEW for %d because of %s: the data cannot be trusted (data-quality "
                           "reason), which only corrected data clears, not a verdict",
                           uscc, (int)params->policy_year, codes);
        return rb_fail(err, RB_E_USAGE, "firm %s is %s%s%s for %d, not a review case: a verdict is given only on a "
                       "REVIEW decision", uscc, rb_outcome_code(d->outcome), codes[0] ? " " : "", codes,
                       (int)params->policy_year);
    }
    rb_reason_set blocked = d->reviewed & ~params->clearable;
    if (accept && blocked != 0)
        return rb_fail(err, RB_E_USAGE,
                       "firm %s cannot be accepted for %d: %s cannot be cleared by a verdict, only by corrected "
                       "data (where the money goes, or whether the data can be trusted)",
                       uscc, (int)params->policy_year, reasons_words(blocked, codes, sizeof codes));
    return RB_OK;
}

/* The id of the latest verdict of the firm and year (0: none). */
static rb_status latest_verdict(sqlite3 *db, const char *uscc, int32_t year, int64_t *id, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    *id = 0;
    if (sqlite3_prepare_v2(db, "SELECT max(verdict_id) FROM review_verdicts WHERE policy_year = ? AND uscc = ?", -1,
                           &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the review verdicts", err);
    sqlite3_bind_int(stmt, 1, year);
    sqlite3_bind_text(stmt, 2, uscc, -1, SQLITE_STATIC);
    rb_status st = RB_OK;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        *id = sqlite3_column_int64(stmt, 0);
    else
        st = rb_db_fail(db, "reading the review verdicts", err);
    sqlite3_finalize(stmt);
    return st;
}

static rb_status insert_verdict(sqlite3 *db, const rb_params *params, const char *uscc, bool accept,
                                const char *reasons, rb_fen amount, const char *by, const char *login,
                                const char *note, const char *at, int64_t *id, rb_error *err)
{
    int64_t import_id = 0;
    rb_status st = rb_ledger_current_import(db, &import_id, err);
    if (st != RB_OK)
        return st;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO review_verdicts (uscc, policy_year, verdict, reasons, amount_fen, import_id,"
                           " at, by_whom, login, note) VALUES (?,?,?,?,?,?,?,?,?,?)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "recording the verdict", err);
    sqlite3_bind_text(stmt, 1, uscc, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, params->policy_year);
    sqlite3_bind_text(stmt, 3, accept ? "accept" : "reject", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, reasons, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, amount);
    if (import_id > 0)
        sqlite3_bind_int64(stmt, 6, import_id);
    else
        sqlite3_bind_null(stmt, 6);
    sqlite3_bind_text(stmt, 7, at, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 8, by, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 9, login, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 10, note, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = rb_db_fail(db, "recording the verdict", err);
    else
        *id = sqlite3_last_insert_rowid(db);
    sqlite3_finalize(stmt);
    return st;
}

rb_status rb_review_record(sqlite3 *db, const rb_params *params, const char *uscc, bool accept, const char *by,
                           const char *login, const char *note, int64_t run_id, rb_review_result *out,
                           rb_error *err)
{
    memset(out, 0, sizeof *out);
    char by_text[RB_REVIEW_BY_MAX + 1], note_text[RB_REVIEW_NOTE_MAX + 1];
    rb_status st;
    if ((st = rb_text_typed("the reviewer's name", by, RB_REVIEW_BY_MAX, by_text, err)) != RB_OK ||
        (st = rb_text_typed("the note", note, RB_REVIEW_NOTE_MAX, note_text, err)) != RB_OK)
        return st;
    if ((st = rb_db_begin(db, err)) != RB_OK)
        return st;
    rb_decision d;
    int64_t previous = 0;
    char reasons[512], subject[64], why[RB_REVIEW_NOTE_MAX + 600], amount[RB_MONEY_BUFSZ];
    if ((st = decide_now(db, params, uscc, &d, err)) != RB_OK ||
        (st = check_reviewable(params, uscc, accept, &d, err)) != RB_OK ||
        (st = latest_verdict(db, uscc, params->policy_year, &previous, err)) != RB_OK)
        goto fail;
    rb_reasons_format(d.reviewed, reasons, sizeof reasons);
    rb_now_utc(out->at);
    if ((st = insert_verdict(db, params, uscc, accept, reasons, d.measures.amount, by_text, login, note_text,
                             out->at, &out->verdict_id, err)) != RB_OK)
        goto fail;
    snprintf(subject, sizeof subject, "%s/%d", uscc, (int)params->policy_year);
    snprintf(why, sizeof why, "%s (covers %s, %s yuan; verdict %lld)", note_text, reasons,
             rb_money_format(d.measures.amount, amount), (long long)out->verdict_id);
    rb_event e = {.kind = RB_EVENT_VERDICT,
                  .subject = subject,
                  .uscc = uscc,
                  .from_state = "REVIEW",
                  .to_state = accept ? "accepted" : "rejected",
                  .by = by_text,
                  .login = login,
                  .run_id = run_id,
                  .why = why};
    if ((st = rb_event_add(db, &e, err)) != RB_OK || (st = rb_db_commit(db, err)) != RB_OK)
        goto fail;
    out->covered = d.reviewed;
    out->amount = d.measures.amount;
    out->superseded = previous != 0;
    return RB_OK;
fail:
    rb_db_rollback(db);
    memset(out, 0, sizeof *out);
    return st;
}
