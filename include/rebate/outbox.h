/* One outbox, one ledger: the file OUT/.rebate-ledger holds the identity
 * of the database whose batches the outbox carries (written by its first
 * batch), so that a second database pointed at the same outbox (a mistyped
 * path, a restored or copied file) can never publish there and pay the same
 * firms again. Folders named PREVIEW-… (dry runs) and dot-named ones
 * (staging) are not batches; every other folder in OUT is. */
#ifndef REBATE_OUTBOX_H
#define REBATE_OUTBOX_H

#include <sqlite3.h>
#include <stdbool.h>

#include "rebate/error.h"

/* The name of the identity file in the outbox. */
#define RB_OUTBOX_LEDGER_FILE ".rebate-ledger"

/* Refuses (RB_E_CANTWRITE, nothing changed) an out_dir whose
 * .rebate-ledger names another ledger than db's, or that holds a batch
 * folder db's ledger does not know. A missing out_dir is fine. With claim
 * true, an out_dir without .rebate-ledger gets one (written whole, never
 * replacing one another process wrote meanwhile). */
rb_status rb_outbox_check(sqlite3 *db, const char *out_dir, bool claim, rb_error *err);

/* What status tells about an outbox: whether its .rebate-ledger names
 * another ledger, how many batch folders db's ledger does not know, and
 * the greatest of their names (empty when none). */
typedef struct rb_outbox_report {
    bool other_ledger;
    int unknown_batches;
    char newest_unknown[256];
} rb_outbox_report;
rb_status rb_outbox_inspect(sqlite3 *db, const char *out_dir, rb_outbox_report *report, rb_error *err);

#endif
