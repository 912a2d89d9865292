/* The batch row, its payments by state, approval and void in the ledger,
 * the bank debtor and the bank's answers: the SQL of a batch's life
 * (rebate/batches.h), each statement next to the code that runs it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/alloc.h"
#include "rebate/batches.h"
#include "rebate/db.h"

/* The text of a column as a heap string ("" for NULL); NULL when memory ran out. */
static char *column_dup(sqlite3_stmt *stmt, int col)
{
    const unsigned char *text = sqlite3_column_text(stmt, col);
    return rb_strdup(text ? (const char *)text : "");
}

rb_status rb_batch_record_load(sqlite3 *db, const char *batch_id, rb_batch_record *out, rb_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *stmt = NULL;
    rb_status st = RB_OK;
    if (sqlite3_prepare_v2(db,
                           "SELECT batch_id, policy_year, state, as_of, created_at, created_by, approved_at,"
                           " approved_by, voided_at, voided_by, void_reason, folder, payout_sha256, firms,"
                           " payments, total_fen FROM batches WHERE batch_id = ?",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the batch", err);
    sqlite3_bind_text(stmt, 1, batch_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        st = rb_fail(err, RB_E_NOINPUT, "batch '%s' is not in the ledger%s", batch_id,
                     strncmp(batch_id, "PREVIEW-", 8) == 0
                         ? ": a dry-run preview is never recorded, so it cannot be approved, voided or reconciled"
                         : "; 'rebate status' lists the batches");
        goto out;
    }
    if (rc != SQLITE_ROW) {
        st = rb_db_fail(db, "reading the batch", err);
        goto out;
    }
    char **texts[] = {&out->batch_id,  NULL,          &out->state,       &out->as_of,       &out->created_at,
                      &out->created_by, &out->approved_at, &out->approved_by, &out->voided_at, &out->voided_by,
                      &out->void_reason, &out->folder, &out->payout_sha256};
    for (int col = 0; col < (int)(sizeof texts / sizeof texts[0]); col++)
        if (texts[col] != NULL && (*texts[col] = column_dup(stmt, col)) == NULL) {
            st = rb_fail(err, RB_E_INTERNAL, "out of memory reading batch '%s'", batch_id);
            goto out;
        }
    out->policy_year = sqlite3_column_int(stmt, 1);
    out->firms = sqlite3_column_int64(stmt, 13);
    out->payments = sqlite3_column_int64(stmt, 14);
    out->total = sqlite3_column_int64(stmt, 15);
out:
    sqlite3_finalize(stmt);
    if (st != RB_OK)
        rb_batch_record_free(out);
    return st;
}

void rb_batch_record_free(rb_batch_record *b)
{
    char *texts[] = {b->batch_id,  b->state,     b->as_of,     b->created_at, b->created_by,
                     b->approved_at, b->approved_by, b->voided_at, b->voided_by,  b->void_reason,
                     b->folder,    b->payout_sha256};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        free(texts[i]);
    memset(b, 0, sizeof *b);
}

rb_status rb_batch_payments_in_state(sqlite3 *db, const char *batch_id, const char *state, int64_t *count,
                                     rb_fen *sum, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*), coalesce(sum(amount_fen), 0) FROM payments"
                           " WHERE batch_id = ?1 AND (?2 IS NULL OR state = ?2)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "counting the payments of the batch", err);
    sqlite3_bind_text(stmt, 1, batch_id, -1, SQLITE_STATIC);
    if (state != NULL)
        sqlite3_bind_text(stmt, 2, state, -1, SQLITE_STATIC);
    rb_status st = RB_OK;
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        st = rb_db_fail(db, "counting the payments of the batch", err);
    } else {
        *count = sqlite3_column_int64(stmt, 0);
        *sum = sqlite3_column_int64(stmt, 1);
    }
    sqlite3_finalize(stmt);
    return st;
}

rb_status rb_batch_expect_payments(sqlite3 *db, const rb_batch_record *b, const char *state, rb_error *err)
{
    int64_t all = 0, in_state = 0;
    rb_fen all_sum = 0, state_sum = 0;
    rb_status st;
    if ((st = rb_batch_payments_in_state(db, b->batch_id, NULL, &all, &all_sum, err)) != RB_OK ||
        (st = rb_batch_payments_in_state(db, b->batch_id, state, &in_state, &state_sum, err)) != RB_OK)
        return st;
    if (all != b->payments || all_sum != b->total)
        return rb_fail(err, RB_E_INTERNAL,
                       "the ledger holds %lld payments of %lld fen for batch %s, but the batch row says %lld of %lld",
                       (long long)all, (long long)all_sum, b->batch_id, (long long)b->payments, (long long)b->total);
    if (in_state != all)
        return rb_fail(err, RB_E_INTERNAL, "%lld of the %lld payments of batch %s are not '%s' as its state requires",
                       (long long)(all - in_state), (long long)all, b->batch_id, state);
    return RB_OK;
}

/* UPDATE with the given bindings (text values), expecting `expected` rows
 * changed. */
static rb_status update(sqlite3 *db, const char *sql, const char *const *values, int n_values, int64_t expected,
                        const char *what, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, what, err);
    for (int i = 0; i < n_values; i++)
        sqlite3_bind_text(stmt, i + 1, values[i], -1, SQLITE_STATIC);
    rb_status st = RB_OK;
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = rb_db_fail(db, what, err);
    else if (sqlite3_changes(db) != expected)
        st = rb_fail(err, RB_E_INTERNAL, "%s changed %d rows instead of %lld", what, sqlite3_changes(db),
                     (long long)expected);
    sqlite3_finalize(stmt);
    return st;
}

rb_status rb_batch_set_approved(sqlite3 *db, const rb_batch_record *b, const char *by, const char *at,
                                rb_error *err)
{
    const char *batch_values[] = {by, at, b->batch_id};
    const char *payment_values[] = {at, b->batch_id};
    rb_status st = update(db,
                          "UPDATE batches SET state = 'approved', approved_by = ?1, approved_at = ?2"
                          " WHERE batch_id = ?3 AND state = 'published'",
                          batch_values, 3, 1, "recording the approval", err);
    if (st == RB_OK)
        st = update(db,
                    "UPDATE payments SET state = 'approved', state_at = ?1"
                    " WHERE batch_id = ?2 AND state = 'published'",
                    payment_values, 2, b->payments, "recording the approved payments", err);
    return st;
}

rb_status rb_batch_set_voided(sqlite3 *db, const rb_batch_record *b, const char *by, const char *at,
                              const char *reason, rb_error *err)
{
    const char *batch_values[] = {by, at, reason, b->batch_id};
    const char *payment_values[] = {at, b->batch_id};
    rb_status st = update(db,
                          "UPDATE batches SET state = 'voided', voided_by = ?1, voided_at = ?2, void_reason = ?3"
                          " WHERE batch_id = ?4 AND state = 'published'",
                          batch_values, 4, 1, "recording the void", err);
    if (st == RB_OK)
        st = update(db, "UPDATE payments SET state = 'voided', state_at = ?1 WHERE batch_id = ?2 AND state = 'published'",
                    payment_values, 2, b->payments, "voiding the payments", err);
    return st;
}

rb_status rb_debtor_load(sqlite3 *db, rb_debtor_row *row, rb_error *err)
{
    memset(row, 0, sizeof *row);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT name, account, bank_code, bank_name FROM bank_debtor WHERE id = 1", -1, &stmt,
                           NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the bank debtor", err);
    rb_status st = RB_OK;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        row->name = column_dup(stmt, 0);
        row->account = column_dup(stmt, 1);
        row->bank_code = column_dup(stmt, 2);
        row->bank_name = column_dup(stmt, 3);
        if (!row->name || !row->account || !row->bank_code || !row->bank_name)
            st = rb_fail(err, RB_E_INTERNAL, "out of memory reading the bank debtor");
    } else if (rc == SQLITE_DONE) {
        st = rb_fail(err, RB_E_DATA, "table bank_debtor has no row (id 1): the bank file has no debtor");
    } else {
        st = rb_db_fail(db, "reading the bank debtor", err);
    }
    sqlite3_finalize(stmt);
    if (st != RB_OK)
        rb_debtor_row_free(row);
    return st;
}

void rb_debtor_row_free(rb_debtor_row *row)
{
    free(row->name);
    free(row->account);
    free(row->bank_code);
    free(row->bank_name);
    memset(row, 0, sizeof *row);
}

rb_status rb_batch_each_payment(sqlite3 *db, const char *batch_id,
                                rb_status (*fn)(void *ctx, const rb_batch_payment *payment, rb_error *err),
                                void *ctx, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT reference, amount_fen, account_name, bank_account, bank_code, bank_name"
                           " FROM payments WHERE batch_id = ? ORDER BY uscc, attempt",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the payments of the batch", err);
    sqlite3_bind_text(stmt, 1, batch_id, -1, SQLITE_STATIC);
    rb_status st = RB_OK;
    int rc;
    while (st == RB_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        rb_batch_payment p = {
            .reference = (const char *)sqlite3_column_text(stmt, 0),
            .amount = sqlite3_column_int64(stmt, 1),
            .account_name = (const char *)sqlite3_column_text(stmt, 2),
            .bank_account = (const char *)sqlite3_column_text(stmt, 3),
            .bank_code = (const char *)sqlite3_column_text(stmt, 4),
            .bank_name = (const char *)sqlite3_column_text(stmt, 5),
        };
        st = fn(ctx, &p, err);
    }
    if (st == RB_OK && rc != SQLITE_DONE)
        st = rb_db_fail(db, "reading the payments of the batch", err);
    sqlite3_finalize(stmt);
    return st;
}

rb_status rb_answer_line_error(const char *path, long line, rb_error *err, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return rb_fail(err, RB_E_DATA, "cannot read bank answer '%s' line %ld: %s; nothing was recorded", path, line,
                   what);
}

struct rb_answers {
    sqlite3 *db;
    sqlite3_stmt *find, *previous, *set_state, *record;
};

rb_status rb_answers_open(sqlite3 *db, rb_answers **out, rb_error *err)
{
    *out = NULL;
    rb_answers *a = rb_calloc(1, sizeof *a);
    if (a == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory");
    a->db = db;
    if (sqlite3_prepare_v2(db, "SELECT batch_id, state FROM payments WHERE reference = ?", -1, &a->find, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT file, line FROM bank_answers WHERE reference = ?", -1, &a->previous, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "UPDATE payments SET state = ?1, state_at = ?2 WHERE reference = ?3 AND state = 'approved'",
                           -1, &a->set_state, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO bank_answers (reference, batch_id, status, reason, file, line, run_id,"
                           " recorded_at) VALUES (?,?,?,?,?,?,?,?)",
                           -1, &a->record, NULL) != SQLITE_OK) {
        rb_status st = rb_db_fail(db, "preparing the reconcile statements", err);
        rb_answers_close(a);
        return st;
    }
    *out = a;
    return RB_OK;
}

void rb_answers_close(rb_answers *a)
{
    if (a == NULL)
        return;
    sqlite3_finalize(a->find);
    sqlite3_finalize(a->previous);
    sqlite3_finalize(a->set_state);
    sqlite3_finalize(a->record);
    free(a);
}

rb_status rb_answers_payment(rb_answers *a, const char *reference, bool *found, char **batch_id, char **state,
                             rb_error *err)
{
    *found = false;
    *batch_id = *state = NULL;
    sqlite3_reset(a->find);
    sqlite3_bind_text(a->find, 1, reference, -1, SQLITE_STATIC);
    int rc = sqlite3_step(a->find);
    rb_status st = RB_OK;
    if (rc == SQLITE_ROW) {
        *found = true;
        *batch_id = column_dup(a->find, 0);
        *state = column_dup(a->find, 1);
        if (*batch_id == NULL || *state == NULL) {
            free(*batch_id);
            free(*state);
            *batch_id = *state = NULL;
            st = rb_fail(err, RB_E_INTERNAL, "out of memory looking up a payment");
        }
    } else if (rc != SQLITE_DONE) {
        st = rb_db_fail(a->db, "looking up a payment", err);
    }
    sqlite3_reset(a->find);
    return st;
}

char *rb_answers_previous(rb_answers *a, const char *reference)
{
    char *out = NULL;
    sqlite3_reset(a->previous);
    sqlite3_bind_text(a->previous, 1, reference, -1, SQLITE_STATIC);
    if (sqlite3_step(a->previous) == SQLITE_ROW) {
        const unsigned char *file = sqlite3_column_text(a->previous, 0);
        long long line = sqlite3_column_int64(a->previous, 1);
        int n = snprintf(NULL, 0, " (from '%s' line %lld)", file ? (const char *)file : "", line);
        if (n >= 0 && (out = rb_malloc((size_t)n + 1)) != NULL)
            snprintf(out, (size_t)n + 1, " (from '%s' line %lld)", file ? (const char *)file : "", line);
    } else {
        out = rb_strdup("");
    }
    sqlite3_reset(a->previous);
    return out;
}

rb_status rb_answers_record(rb_answers *a, const char *reference, const char *batch_id, const char *status,
                            const char *reason, const char *file, long line, int64_t run_id, const char *now,
                            rb_error *err)
{
    sqlite3_reset(a->set_state);
    sqlite3_bind_text(a->set_state, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(a->set_state, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(a->set_state, 3, reference, -1, SQLITE_STATIC);
    if (sqlite3_step(a->set_state) != SQLITE_DONE || sqlite3_changes(a->db) != 1)
        return rb_db_fail(a->db, "recording the bank's answer", err);
    sqlite3_reset(a->record);
    sqlite3_bind_text(a->record, 1, reference, -1, SQLITE_STATIC);
    sqlite3_bind_text(a->record, 2, batch_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(a->record, 3, status, -1, SQLITE_STATIC);
    if (reason[0] != '\0')
        sqlite3_bind_text(a->record, 4, reason, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(a->record, 4);
    sqlite3_bind_text(a->record, 5, file, -1, SQLITE_STATIC);
    sqlite3_bind_int64(a->record, 6, line);
    if (run_id > 0)
        sqlite3_bind_int64(a->record, 7, run_id);
    else
        sqlite3_bind_null(a->record, 7);
    sqlite3_bind_text(a->record, 8, now, -1, SQLITE_STATIC);
    rb_status st = RB_OK;
    if (sqlite3_step(a->record) != SQLITE_DONE)
        st = rb_db_fail(a->db, "recording the bank's answer", err);
    sqlite3_reset(a->record);
    return st;
}
