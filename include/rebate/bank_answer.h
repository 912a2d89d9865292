/* The bank's answer about the payments of an approved batch
 * (docs/batch-life.md, "The bank's answer"), recognised by content: an ISO
 * 20022 pain.002.001.03 payment status report (XML) or a CSV as a bank's
 * portal or a spreadsheet exports it (English or Chinese headers, UTF-8 or
 * GB18030/GBK). An input from outside like the extracts, so it is read in
 * the import stage; what it means for the ledger is life/'s. */
#ifndef REBATE_BANK_ANSWER_H
#define REBATE_BANK_ANSWER_H

#include "rebate/answer_set.h"
#include "rebate/error.h"

/* A bank answer larger than this is refused unread. */
#define RB_BANK_ANSWER_MAX_BYTES (64L * 1024 * 1024)

/* Reads the file at path into set (initialised by the caller): the answers
 * it gives and a problem for each line that cannot be used, reading on
 * after one so that a refusal names them all. A file that cannot be opened
 * is RB_E_NOINPUT; one refused as a whole (too large, not decodable, a DTD
 * or an entity, not a pain.002, nesting too deep) is RB_E_DATA. */
rb_status rb_bank_answer_load(const char *path, rb_answer_set *set, rb_error *err);

#endif
