/* The bank's answer for the payments of an approved batch (docs/batch-life.md):
 * CSV in UTF-8 (a BOM allowed), the header reference,status,reason (reason
 * optional), one line per payment, status paid or returned in any case.
 * An input like the extracts, so it is read in the import stage. */
#ifndef REBATE_BANK_ANSWER_H
#define REBATE_BANK_ANSWER_H

#include <stdio.h>

#include "rebate/batches.h"
#include "rebate/error.h"

/* Reads the open file f (path for messages) line by line, a field never
 * spanning lines, and hands each answer to fn in order, stopping at the
 * first status that is not RB_OK. A malformed line, a bad header or an
 * empty file is RB_E_DATA naming the file and line; nothing is handed on
 * after it. */
rb_status rb_bank_answer_read(FILE *f, const char *path, rb_answer_fn fn, void *ctx, rb_error *err);

#endif
