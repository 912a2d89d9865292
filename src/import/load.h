/* Writing an extract into the new snapshot (private to src/import): its
 * rejected rows into row_errors as they come, then its good rows, read back
 * from the sorter in key order, where repeats of a key are next to each
 * other in line order: an exact duplicate goes to duplicate_rows, a
 * conflict takes every row of the key out (row_errors, DATA_CONFLICT), and
 * the rest is inserted in key order (contributions: one packed row per
 * firm). The outcome is exactly that of reading the file row by row. */
#ifndef REBATE_IMPORT_LOAD_H
#define REBATE_IMPORT_LOAD_H

#include <stddef.h>

#include "import/extracts.h"
#include "import/sorter.h"
#include "rebate/error.h"
#include "rebate/import.h"
#include "rebate/snapshot.h"

typedef struct rb_loader rb_loader;

rb_status rb_loader_open(rb_snapshot_builder *builder, rb_loader **out, rb_error *err);
void rb_loader_close(rb_loader *l);

/* Inserts the row errors of extract `file` encoded back to back
 * (rb_error_row_encode) in len bytes. */
rb_status rb_loader_errors(rb_loader *l, int file, const unsigned char *data, size_t len, rb_error *err);

/* Removes the row errors of extract `file` inserted so far (the file is
 * being read again in another encoding). */
rb_status rb_loader_forget(rb_loader *l, int file, rb_error *err);

/* Reads the finished sorter of extract `file` and writes its rows, counting
 * loaded, duplicate and conflicting rows into report. */
rb_status rb_loader_rows(rb_loader *l, int file, rb_sorter *sorted, rb_import_file_report *report, rb_error *err);

#endif
