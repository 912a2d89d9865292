/* The ledger of payments and the records of batches, runs and decisions
 * (sql/003_ledger.sql). Every write here happens inside the caller's
 * transaction, so a batch and its payments are committed together. */
#ifndef REBATE_LEDGER_H
#define REBATE_LEDGER_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "rebate/error.h"
#include "rebate/money.h"

/* A payment as the payments table keeps it; NULL texts stay NULL. */
typedef struct rb_payment_row {
    const char *uscc;
    int32_t attempt;           /* 1 for a firm's first payment of the year */
    rb_fen amount;
    const char *account_name, *bank_name, *bank_code, *bank_account;
} rb_payment_row;

/* Prepared statements for recording one batch; made once, used per firm. */
typedef struct rb_ledger {
    sqlite3 *db;
    sqlite3_stmt *insert_payment;
} rb_ledger;

rb_status rb_ledger_open(sqlite3 *db, rb_ledger *out, rb_error *err);
void rb_ledger_close(rb_ledger *ledger);

/* The NNN the next batch of day as_of (YYYYMMDD) gets: 1 + the highest so far. */
rb_status rb_ledger_next_seq(sqlite3 *db, int32_t as_of, int *seq, rb_error *err);

/* The import the snapshot comes from (0 when nothing was ever imported). */
rb_status rb_ledger_current_import(sqlite3 *db, int64_t *import_id, rb_error *err);

/* The batch row (with the exact parameter row used, params_text, as the
 * caller describes it: "column=value;..." in policy_params' column order),
 * first with zero totals (so decisions and payments can refer to it), then
 * its totals once they are known. */
rb_status rb_ledger_insert_batch(sqlite3 *db, const char *batch_id, int32_t policy_year, const char *params_text,
                                 int32_t as_of, int seq, const char *scope, int64_t import_id, int64_t run_id,
                                 const char *by, const char *folder, rb_error *err);
rb_status rb_ledger_finish_batch(sqlite3 *db, const char *batch_id, int64_t firms, int64_t payments,
                                 rb_fen total, const char *payout_sha256, rb_error *err);

/* Records the payment of a PAY decision; reference is written into
 * reference (at least 64 bytes): <Y>-<uscc>-<attempt>. A second live payment
 * for the same firm and year fails here, whatever the caller did before. */
rb_status rb_ledger_add_payment(rb_ledger *ledger, const char *batch_id, int32_t policy_year,
                                const rb_payment_row *payment, char *reference, rb_error *err);

/* Count and sum of the payments recorded for a batch. */
rb_status rb_ledger_batch_totals(sqlite3 *db, const char *batch_id, int64_t *count, rb_fen *sum, rb_error *err);

/* True (in *exists) when the ledger has the batch. */
rb_status rb_ledger_has_batch(sqlite3 *db, const char *batch_id, int *exists, rb_error *err);

/* The log of runs: a row when a command starts, completed when it ends. */
rb_status rb_runs_start(sqlite3 *db, const char *command, const char *by, int64_t *run_id, rb_error *err);
void rb_runs_finish(sqlite3 *db, int64_t run_id, int exit_status, const char *detail);

#endif
