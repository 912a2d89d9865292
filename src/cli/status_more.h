/* What `rebate status` shows beyond the batch and payment rows
 * (docs/batch-life.md): the events of a batch or a firm, what waits for whom,
 * and a firm's decisions and review verdicts per policy year. */
#ifndef REBATE_CLI_STATUS_MORE_H
#define REBATE_CLI_STATUS_MORE_H

#include <sqlite3.h>

#include "rebate/error.h"

/* Prints the events of the batch (batch_id) or of the firm (uscc). */
rb_status rb_status_events(sqlite3 *db, const char *batch_id, const char *uscc, rb_error *err);

/* Prints what waits for whom, oldest first: batches to approve (finance),
 * batches whose bank answer is awaited (to reconcile). */
rb_status rb_status_waiting(sqlite3 *db, rb_error *err);

/* Prints the firm's latest decision for each policy year (outcome,
 * reasons, amount, batch) and its review verdicts. A code in no extract
 * of the snapshot and nowhere in the ledger is RB_E_NOINPUT saying so. */
rb_status rb_status_firm_decisions(sqlite3 *db, const char *uscc, rb_error *err);

#endif
