/* The ledger's side of a batch after publication (sql/003_ledger.sql and
 * the migrations after it): the batch row, its payments counted by state,
 * the state changes of approval and void, the debtor of the bank file, and
 * the bank's answers. Plain rows and statements only: what the changes mean
 * and in which order they happen is src/life/'s. Every write happens inside
 * the caller's transaction. */
#ifndef REBATE_BATCHES_H
#define REBATE_BATCHES_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "rebate/error.h"
#include "rebate/money.h"

/* A row of `batches`: heap strings, "" where the column is NULL, freed by
 * rb_batch_record_free. */
typedef struct rb_batch_record {
    char *batch_id;
    int32_t policy_year;
    char *state;         /* published | approved | voided */
    char *as_of;         /* YYYY-MM-DD */
    char *created_at;    /* ISO 8601 UTC */
    char *created_by;    /* who ran it */
    char *approved_at;
    char *approved_by;
    char *voided_at;
    char *voided_by;
    char *void_reason;
    char *folder;        /* where it was published */
    char *payout_sha256;
    int64_t firms;       /* firms decided */
    int64_t payments;    /* payments recorded */
    rb_fen total;        /* their sum */
} rb_batch_record;

/* Reads the batch; a batch the ledger does not hold is RB_E_NOINPUT (the
 * message says that dry-run previews are never recorded). */
rb_status rb_batch_record_load(sqlite3 *db, const char *batch_id, rb_batch_record *out, rb_error *err);

/* Frees the strings of b and zeroes it; safe on a zeroed record. */
void rb_batch_record_free(rb_batch_record *b);

/* Count and sum of the batch's payments in a state (NULL: in any state). */
rb_status rb_batch_payments_in_state(sqlite3 *db, const char *batch_id, const char *state, int64_t *count,
                                     rb_fen *sum, rb_error *err);

/* Every payment of the batch is in `state` and they add up to what the
 * batch row recorded (RB_E_INTERNAL otherwise). */
rb_status rb_batch_expect_payments(sqlite3 *db, const rb_batch_record *b, const char *state, rb_error *err);

/* The published batch and its payments become 'approved' by `by` at `at`. */
rb_status rb_batch_set_approved(sqlite3 *db, const rb_batch_record *b, const char *by, const char *at,
                                rb_error *err);

/* The published batch and its payments become 'voided' by `by` at `at`. */
rb_status rb_batch_set_voided(sqlite3 *db, const rb_batch_record *b, const char *by, const char *at,
                              const char *reason, rb_error *err);

/* The row of table bank_debtor (who pays): heap strings, "" for NULL. */
typedef struct rb_debtor_row {
    char *name, *account, *bank_code, *bank_name;
} rb_debtor_row;

/* Reads it; no row is RB_E_DATA. Free with rb_debtor_row_free. */
rb_status rb_debtor_load(sqlite3 *db, rb_debtor_row *out, rb_error *err);
void rb_debtor_row_free(rb_debtor_row *row);

/* A payment of a batch as the bank file carries it (texts NULL when the
 * column is NULL; valid during the call only). */
typedef struct rb_batch_payment {
    const char *reference;
    rb_fen amount;
    const char *account_name, *bank_account, *bank_code, *bank_name;
} rb_batch_payment;

/* Calls fn for every payment of the batch in the order of payout.csv
 * (uscc, attempt), stopping at the first status that is not RB_OK. */
rb_status rb_batch_each_payment(sqlite3 *db, const char *batch_id,
                                rb_status (*fn)(void *ctx, const rb_batch_payment *payment, rb_error *err),
                                void *ctx, rb_error *err);

/* One line of a bank's answer as the reader hands it on (import/): the
 * status already lower-cased and checked to be paid or returned, the
 * reason "" when not given. */
typedef rb_status (*rb_answer_fn)(void *ctx, long line, const char *reference, const char *status,
                                  const char *reason, rb_error *err);

/* The refusal of a line of a bank's answer, by its reader or by the
 * ledger: RB_E_DATA, "cannot read bank answer '<path>' line <n>: <what>;
 * nothing was recorded". */
rb_status rb_answer_line_error(const char *path, long line, rb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The statements that record a bank's answers (opaque). */
typedef struct rb_answers rb_answers;

rb_status rb_answers_open(sqlite3 *db, rb_answers **out, rb_error *err);
void rb_answers_close(rb_answers *a);

/* The batch and state of the payment `reference`: *found false when no
 * payment has it. batch_id and state are heap strings (free() them). */
rb_status rb_answers_payment(rb_answers *a, const char *reference, bool *found, char **batch_id, char **state,
                             rb_error *err);

/* Where the answer already recorded for `reference` came from, as
 * " (from '<file>' line <n>)", or "" when none is recorded (heap, free()). */
char *rb_answers_previous(rb_answers *a, const char *reference);

/* Records the answer: the payment (still 'approved') takes `status` at
 * `now`, and a bank_answers row keeps the file, line, reason ("" for none)
 * and run (0 for none). */
rb_status rb_answers_record(rb_answers *a, const char *reference, const char *batch_id, const char *status,
                            const char *reason, const char *file, long line, int64_t run_id, const char *now,
                            rb_error *err);

#endif
