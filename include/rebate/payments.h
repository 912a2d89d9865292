/* The ledger rows the later life of a batch reads and writes beside
 * batches.h: a payment's facts, the batch's further states (settled,
 * closed), one event per payment of a batch, the payments as the bank
 * answered them, and the reviewers who accepted a firm a batch pays. Plain
 * rows and statements; every write inside the caller's transaction. */
#ifndef REBATE_PAYMENTS_H
#define REBATE_PAYMENTS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "rebate/error.h"
#include "rebate/money.h"

typedef struct rb_payment_facts {
    char batch_id[128];
    char state[16];
    char uscc[32];
    rb_fen amount;
} rb_payment_facts;

/* The payment `reference`; *found false when no payment has it. */
rb_status rb_payment_lookup(sqlite3 *db, const char *reference, bool *found, rb_payment_facts *out, rb_error *err);

/* The batch goes from state `from` to `to` at `at` (settled_at is set when
 * `to` is settled); exactly one row must change. */
rb_status rb_batch_set_state(sqlite3 *db, const char *batch_id, const char *from, const char *to, const char *at,
                             rb_error *err);

/* One event per payment of the batch now in state `to` (the change from
 * `from` just made), with who, login, run and why; in the order the
 * payments were recorded, which is by code within a run (an order by code
 * would make SQLite sort them in memory beside the run's page cache). */
rb_status rb_events_add_payments(sqlite3 *db, const char *batch_id, const char *from, const char *to,
                                 const char *by, const char *login, int64_t run_id, const char *why,
                                 rb_error *err);

/* Each payment of the batch in uscc order, with the reason the bank gave
 * ("" when none); strings valid during the call. */
typedef rb_status (*rb_answered_fn)(void *ctx, const char *reference, const char *uscc, const char *state,
                                    rb_fen amount, const char *reason, rb_error *err);
rb_status rb_batch_each_answered(sqlite3 *db, const char *batch_id, rb_answered_fn fn, void *ctx, rb_error *err);

/* Each accepting review verdict (who gave it, for which firm) of a firm the
 * batch pays, for the same policy year. */
typedef rb_status (*rb_reviewer_fn)(void *ctx, const char *by, const char *uscc, rb_error *err);
rb_status rb_batch_each_reviewer(sqlite3 *db, const char *batch_id, rb_reviewer_fn fn, void *ctx, rb_error *err);

#endif
