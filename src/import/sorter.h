/* An external merge sort of byte records by a 24-byte key (private to
 * src/import): records are gathered in a memory buffer of fixed size, each
 * full buffer is sorted and written as a run to a temporary file (unlinked
 * at once, so a crash leaves nothing) by a thread of the sorter's own while
 * records fill a second buffer, and the runs are merged back in key order.
 * Memory is the two buffers (buffer_bytes together) and one read buffer per
 * run, whatever the number of records. Its functions are called by one
 * thread at a time. */
#ifndef REBATE_IMPORT_SORTER_H
#define REBATE_IMPORT_SORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rebate/error.h"

/* Compared as three unsigned words, k[0] first. */
typedef struct rb_sort_key {
    uint64_t k[3];
} rb_sort_key;

typedef struct rb_sorter rb_sorter;

/* A sorter whose runs go to a temporary file made from temp_template (a
 * path ending in XXXXXX, as for mkstemp), created only once a run must be
 * written; buffer_bytes / 2 of records are sorted in memory at a time. */
rb_status rb_sorter_open(const char *temp_template, size_t buffer_bytes, rb_sorter **out, rb_error *err);

/* Says that records usually come in groups: runs of records whose keys
 * agree on k[0] and on k[1] & group_mask, each run in key order, the runs
 * in no order and each group in one run (an extract keeps a firm's rows
 * together). A block of such records is then put in order run by run,
 * without sorting it; a block that is not is sorted as any other. */
void rb_sorter_group(rb_sorter *s, uint64_t group_mask);

/* Adds one record (copied). */
rb_status rb_sorter_add(rb_sorter *s, const rb_sort_key *key, const void *data, size_t len, rb_error *err);

/* Ends the input; the records can then be read back in key order. */
rb_status rb_sorter_finish(rb_sorter *s, rb_error *err);

/* The next record in key order: *got is false at the end. *key and *data
 * stay valid until the next call. */
rb_status rb_sorter_next(rb_sorter *s, rb_sort_key *key, const void **data, size_t *len, bool *got, rb_error *err);

/* Records added, runs written to the temporary file, and how many of those
 * runs had to be sorted entry by entry (for the record and the tests). */
uint64_t rb_sorter_count(const rb_sorter *s);
int rb_sorter_runs(const rb_sorter *s);
int rb_sorter_sorted_runs(const rb_sorter *s);

/* Frees everything (NULL is fine); the temporary file goes with it. */
void rb_sorter_close(rb_sorter *s);

#endif
