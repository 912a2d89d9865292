/* The two readers of a bank's answer behind rb_bank_answer_load (private
 * to src/import): each fills the set with the answers and the problems of
 * every line; a file that cannot be opened or decoded at all is a failed
 * status instead. */
#ifndef REBATE_IMPORT_BANK_ANSWER_INTERNAL_H
#define REBATE_IMPORT_BANK_ANSWER_INTERNAL_H

#include <stddef.h>

#include "rebate/answer_set.h"
#include "rebate/error.h"

/* ISO 20022 pain.002.001.03 from the len bytes at data (the whole file). */
rb_status rb_bank_answer_xml(const char *path, const char *data, size_t len, rb_answer_set *set, rb_error *err);

/* CSV from the file at path. */
rb_status rb_bank_answer_csv(const char *path, rb_answer_set *set, rb_error *err);

#endif
