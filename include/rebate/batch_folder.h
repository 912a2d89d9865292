/* The folder steps of a batch's life after publication (docs/formats.md,
 * docs/batch-life.md): checking the published folder before anyone signs
 * it, writing bank/ (payout.xml, approval.txt, SHA256SUMS) for an approval
 * and the note VOIDED.txt for a void. Each writes under the name it is
 * given (a staging name) and makes it durable; renaming it into place,
 * and when, is the caller's (src/life/). */
#ifndef REBATE_BATCH_FOLDER_H
#define REBATE_BATCH_FOLDER_H

#include <sqlite3.h>

#include "rebate/batches.h"
#include "rebate/error.h"

/* Checks the published folder: payout.csv's SHA-256 equals the one the
 * ledger recorded, and every file SHA256SUMS lists (the four files of the
 * batch) is there and matches. A changed, missing or unlisted file is
 * RB_E_DATA naming it; the folder missing is RB_E_NOINPUT. */
rb_status rb_batch_folder_verify(const rb_batch_record *batch, rb_error *err);

/* Writes the whole bank folder as `staging` (a leftover removed first):
 * payout.xml from the ledger's payments, read back for its totals,
 * approval.txt and SHA256SUMS; durable, with the batch folder synced. */
rb_status rb_bank_folder_write(sqlite3 *db, const rb_batch_record *batch, const char *approved_by,
                               const char *approved_at, const char *staging, rb_error *err);

/* Writes the note VOIDED.txt as the file staging_name of the batch folder
 * (a leftover replaced), durable, with the batch folder synced. */
rb_status rb_void_note_write(const rb_batch_record *batch, const char *voided_by, const char *voided_at,
                             const char *reason, const char *staging_name, rb_error *err);

#endif
