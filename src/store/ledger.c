/* Ledger, batches, decisions and the run log: the prepared statements that
 * write them, kept next to the code that uses them. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/ledger.h"

rb_status rb_ledger_open(sqlite3 *db, rb_ledger *out, rb_error *err)
{
    memset(out, 0, sizeof *out);
    out->db = db;
    if (sqlite3_prepare_v3(db,
                           "INSERT INTO payments (reference, uscc, policy_year, attempt, batch_id, amount_fen,"
                           " account_name, bank_name, bank_code, bank_account, state, state_at)"
                           " VALUES (?,?,?,?,?,?,?,?,?,?,'published',?)",
                           -1, SQLITE_PREPARE_PERSISTENT, &out->insert_payment, NULL) != SQLITE_OK) {
        rb_status st = rb_db_fail(db, "preparing the ledger statements", err);
        rb_ledger_close(out);
        return st;
    }
    return RB_OK;
}

void rb_ledger_close(rb_ledger *ledger)
{
    sqlite3_finalize(ledger->insert_payment);
    ledger->insert_payment = NULL;
}

/* Runs a one-row query with up to two bound values and reads two integers. */
static rb_status query_ints(sqlite3 *db, const char *sql, const char *text_arg, int64_t int_arg,
                            int64_t *a, int64_t *b, const char *what, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    rb_status status = RB_OK;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, what, err);
    if (text_arg)
        sqlite3_bind_text(st, 1, text_arg, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, int_arg);
    if (sqlite3_step(st) != SQLITE_ROW) {
        status = rb_db_fail(db, what, err);
    } else {
        if (a)
            *a = sqlite3_column_int64(st, 0);
        if (b)
            *b = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return status;
}

rb_status rb_ledger_next_seq(sqlite3 *db, int32_t as_of, int *seq, rb_error *err)
{
    char day[11];
    rb_date_format(as_of, day);
    int64_t highest = 0;
    rb_status st = query_ints(db, "SELECT coalesce(max(seq), 0), 0 FROM batches WHERE as_of = ?", day, 0,
                              &highest, NULL, "numbering the batch", err);
    if (st == RB_OK && highest >= 999)
        return rb_fail(err, RB_E_USAGE, "day %s already has 999 batches; no batch number is left", day);
    *seq = (int)highest + 1;
    return st;
}

rb_status rb_ledger_current_import(sqlite3 *db, int64_t *import_id, rb_error *err)
{
    return query_ints(db, "SELECT coalesce(max(import_id), 0), ? FROM imports", NULL, 0, import_id, NULL,
                      "finding the current import", err);
}

rb_status rb_ledger_insert_batch(sqlite3 *db, const char *batch_id, int32_t policy_year, const char *params_text,
                                 int32_t as_of, int seq, const char *scope, int64_t import_id, int64_t run_id,
                                 const char *by, const char *folder, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    char day[11], now[32];
    rb_date_format(as_of, day);
    rb_now_utc(now);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO batches (batch_id, policy_year, as_of, seq, scope, state, import_id, run_id,"
                           " created_at, created_by, folder, firms, payments, total_fen, payout_sha256, params)"
                           " VALUES (?,?,?,?,?,'published',?,?,?,?,?,0,0,0,'',?)",
                           -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "recording the batch", err);
    sqlite3_bind_text(st, 1, batch_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, policy_year);
    sqlite3_bind_text(st, 3, day, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, seq);
    sqlite3_bind_text(st, 5, scope, -1, SQLITE_STATIC);
    if (import_id > 0)
        sqlite3_bind_int64(st, 6, import_id);
    if (run_id > 0)
        sqlite3_bind_int64(st, 7, run_id);
    sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, by, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, folder, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, params_text, -1, SQLITE_STATIC);
    rb_status status = sqlite3_step(st) == SQLITE_DONE ? RB_OK : rb_db_fail(db, "recording the batch", err);
    sqlite3_finalize(st);
    return status;
}

rb_status rb_ledger_finish_batch(sqlite3 *db, const char *batch_id, int64_t firms, int64_t payments,
                                 rb_fen total, const char *payout_sha256, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "UPDATE batches SET firms = ?, payments = ?, total_fen = ?, payout_sha256 = ?"
                           " WHERE batch_id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "recording the batch totals", err);
    sqlite3_bind_int64(st, 1, firms);
    sqlite3_bind_int64(st, 2, payments);
    sqlite3_bind_int64(st, 3, total);
    sqlite3_bind_text(st, 4, payout_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, batch_id, -1, SQLITE_STATIC);
    rb_status status = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1
                           ? RB_OK
                           : rb_db_fail(db, "recording the batch totals", err);
    sqlite3_finalize(st);
    return status;
}

static void bind_text_or_null(sqlite3_stmt *st, int index, const char *text)
{
    if (text != NULL)
        sqlite3_bind_text(st, index, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, index);
}

rb_status rb_ledger_add_payment(rb_ledger *ledger, const char *batch_id, int32_t policy_year,
                                const rb_payment_row *firm, char *reference, rb_error *err)
{
    sqlite3_stmt *st = ledger->insert_payment;
    char now[32];
    int attempt = firm->attempt;
    snprintf(reference, 64, "%d-%s-%d", (int)policy_year, firm->uscc, attempt);
    rb_now_utc(now);
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, reference, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, firm->uscc, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, policy_year);
    sqlite3_bind_int(st, 4, attempt);
    sqlite3_bind_text(st, 5, batch_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, firm->amount);
    bind_text_or_null(st, 7, firm->account_name);
    bind_text_or_null(st, 8, firm->bank_name);
    bind_text_or_null(st, 9, firm->bank_code);
    bind_text_or_null(st, 10, firm->bank_account);
    sqlite3_bind_text(st, 11, now, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT)
        return rb_fail(err, RB_E_INTERNAL,
                       "the ledger refused a second live payment to %s for %d (reference %s); nothing was recorded",
                       firm->uscc, (int)policy_year, reference);
    if (rc != SQLITE_DONE)
        return rb_db_fail(ledger->db, "recording a payment", err);
    return RB_OK;
}

rb_status rb_ledger_batch_totals(sqlite3 *db, const char *batch_id, int64_t *count, rb_fen *sum, rb_error *err)
{
    return query_ints(db, "SELECT count(*), coalesce(sum(amount_fen), 0) FROM payments WHERE batch_id = ?",
                      batch_id, 0, count, sum, "reading the batch totals", err);
}

rb_status rb_ledger_has_batch(sqlite3 *db, const char *batch_id, int *exists, rb_error *err)
{
    int64_t n = 0;
    rb_status st = query_ints(db, "SELECT count(*), 0 FROM batches WHERE batch_id = ?", batch_id, 0, &n, NULL,
                              "looking up a batch", err);
    *exists = n > 0;
    return st;
}

rb_status rb_runs_start(sqlite3 *db, const char *command, const char *by, int64_t *run_id, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    char now[32];
    rb_now_utc(now);
    *run_id = 0;
    if (sqlite3_prepare_v2(db, "INSERT INTO runs (command, started_at, by_whom) VALUES (?,?,?)", -1, &st, NULL) !=
        SQLITE_OK)
        return rb_db_fail(db, "logging the run", err);
    sqlite3_bind_text(st, 1, command, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, by, -1, SQLITE_STATIC);
    rb_status status = RB_OK;
    if (sqlite3_step(st) != SQLITE_DONE)
        status = rb_db_fail(db, "logging the run", err);
    else
        *run_id = sqlite3_last_insert_rowid(db);
    sqlite3_finalize(st);
    return status;
}

void rb_runs_finish(sqlite3 *db, int64_t run_id, int exit_status, const char *detail)
{
    sqlite3_stmt *st = NULL;
    char now[32];
    if (db == NULL || run_id <= 0)
        return;
    rb_now_utc(now);
    /* Best effort: the run's own outcome has been decided already. */
    if (sqlite3_prepare_v2(db, "UPDATE runs SET finished_at = ?, exit_status = ?, detail = ? WHERE run_id = ?", -1,
                           &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, exit_status);
    bind_text_or_null(st, 3, detail);
    sqlite3_bind_int64(st, 4, run_id);
    sqlite3_step(st);
    sqlite3_finalize(st);
}
