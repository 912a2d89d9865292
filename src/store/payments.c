/* Rows of the later life of a batch (rebate/payments.h). */
#include <stdio.h>
#include <string.h>

#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/payments.h"

static void copy_text(char *out, size_t size, sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    snprintf(out, size, "%s", t ? (const char *)t : "");
}

static const char *text_or_empty(sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return t ? (const char *)t : "";
}

rb_status rb_payment_lookup(sqlite3 *db, const char *reference, bool *found, rb_payment_facts *out, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    memset(out, 0, sizeof *out);
    *found = false;
    if (sqlite3_prepare_v2(db, "SELECT batch_id, state, uscc, amount_fen FROM payments WHERE reference = ?", -1,
                           &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "looking up a payment", err);
    sqlite3_bind_text(stmt, 1, reference, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    rb_status st = RB_OK;
    if (rc == SQLITE_ROW) {
        *found = true;
        copy_text(out->batch_id, sizeof out->batch_id, stmt, 0);
        copy_text(out->state, sizeof out->state, stmt, 1);
        copy_text(out->uscc, sizeof out->uscc, stmt, 2);
        out->amount = sqlite3_column_int64(stmt, 3);
    } else if (rc != SQLITE_DONE) {
        st = rb_db_fail(db, "looking up a payment", err);
    }
    sqlite3_finalize(stmt);
    return st;
}

rb_status rb_batch_set_state(sqlite3 *db, const char *batch_id, const char *from, const char *to, const char *at,
                             rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "UPDATE batches SET state = ?1,"
                           " settled_at = CASE WHEN ?1 = 'settled' THEN ?2 ELSE settled_at END"
                           " WHERE batch_id = ?3 AND state = ?4",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "changing the state of a batch", err);
    sqlite3_bind_text(stmt, 1, to, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, at, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, batch_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, from, -1, SQLITE_STATIC);
    rb_status st = RB_OK;
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = rb_db_fail(db, "changing the state of a batch", err);
    else if (sqlite3_changes(db) != 1)
        st = rb_fail(err, RB_E_INTERNAL, "batch %s was not %s when it was to become %s", batch_id, from, to);
    sqlite3_finalize(stmt);
    return st;
}

rb_status rb_events_add_payments(sqlite3 *db, const char *batch_id, const char *from, const char *to,
                                 const char *by, const char *login, int64_t run_id, const char *why,
                                 rb_error *err)
{
    char now[32];
    rb_now_utc(now);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO events (at, kind, subject, batch_id, uscc, from_state, to_state, by_whom,"
                           " login, run_id, why)"
                           " SELECT ?1, 'payment', reference, batch_id, uscc, ?2, ?3, ?4, ?5, ?6, ?7"
                           " FROM payments WHERE batch_id = ?8 AND state = ?3 ORDER BY rowid",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "recording the payments' events", err);
    sqlite3_bind_text(stmt, 1, now, -1, SQLITE_STATIC);
    if (from != NULL)
        sqlite3_bind_text(stmt, 2, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, to, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, by, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, login, -1, SQLITE_STATIC);
    if (run_id > 0)
        sqlite3_bind_int64(stmt, 6, run_id);
    if (why != NULL)
        sqlite3_bind_text(stmt, 7, why, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 8, batch_id, -1, SQLITE_STATIC);
    rb_status st = RB_OK;
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = rb_db_fail(db, "recording the payments' events", err);
    sqlite3_finalize(stmt);
    return st;
}

rb_status rb_batch_each_answered(sqlite3 *db, const char *batch_id, rb_answered_fn fn, void *ctx, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT p.reference, p.uscc, p.state, p.amount_fen, a.reason FROM payments p"
                           " LEFT JOIN bank_answers a ON a.reference = p.reference"
                           " WHERE p.batch_id = ? ORDER BY p.uscc, p.attempt",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the payments of the batch", err);
    sqlite3_bind_text(stmt, 1, batch_id, -1, SQLITE_STATIC);
    rb_status st = RB_OK;
    int rc;
    while (st == RB_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
        st = fn(ctx, text_or_empty(stmt, 0), text_or_empty(stmt, 1), text_or_empty(stmt, 2),
                sqlite3_column_int64(stmt, 3), text_or_empty(stmt, 4), err);
    if (st == RB_OK && rc != SQLITE_DONE)
        st = rb_db_fail(db, "reading the payments of the batch", err);
    sqlite3_finalize(stmt);
    return st;
}

rb_status rb_batch_each_reviewer(sqlite3 *db, const char *batch_id, rb_reviewer_fn fn, void *ctx, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT DISTINCT v.by_whom, v.uscc FROM payments p JOIN review_verdicts v"
                           " ON v.uscc = p.uscc AND v.policy_year = p.policy_year"
                           " WHERE p.batch_id = ? AND v.verdict = 'accept' ORDER BY v.uscc",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the reviewers of the batch", err);
    sqlite3_bind_text(stmt, 1, batch_id, -1, SQLITE_STATIC);
    rb_status st = RB_OK;
    int rc;
    while (st == RB_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
        st = fn(ctx, text_or_empty(stmt, 0), text_or_empty(stmt, 1), err);
    if (st == RB_OK && rc != SQLITE_DONE)
        st = rb_db_fail(db, "reading the reviewers of the batch", err);
    sqlite3_finalize(stmt);
    return st;
}
