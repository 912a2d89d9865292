/* A night's import that reads only what changed (private to src/import):
 * when every extract has the lines of the last import, some of them with
 * other bytes, the new snapshot is a copy of the current one with the rows
 * of the firms on the changed lines taken out and read again. What decides
 * a row's fate (duplicates, conflicts) is all the rows of its key, so every
 * line of those firms is read again, not only the changed ones; a row of
 * another firm is the same bytes on the same line as before, so its row in
 * the snapshot stays as it is. docs/import.md, "A night that changed a few
 * lines", says when this applies and why the outcome is the full import's. */
#ifndef REBATE_IMPORT_PATCH_H
#define REBATE_IMPORT_PATCH_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "import/csv_reader.h"
#include "import/line_prints.h"
#include "rebate/error.h"
#include "rebate/import.h"
#include "rebate/snapshot.h"

/* One extract, as the patch reads it. */
typedef struct rb_patch_file {
    rb_line_prints prints;         /* the new file's; starts: the last import's until the ranges are read */
    char sha256[RB_SHA256_HEX];
    char encoding[16];             /* as the last import found it: the unchanged bytes decode the same */
    bool utf8;
    rb_import_file_report last;    /* the last import's accounting */
    rb_import_file_report removed; /* the rows taken out of the copy, by what they were */
    uint64_t *wanted;              /* a bit a line, line l at bit l - 1: its record is read again */
    rb_csv_range *ranges;          /* what is read: whole runs of lines, the header's first */
    size_t n_ranges;
    size_t runs_changed;           /* runs of lines whose bytes differ */
} rb_patch_file;

typedef struct rb_patch {
    rb_patch_file files[RB_IMPORT_FILE_COUNT];
} rb_patch;

/* With the main database's write transaction held: when the extracts in dir
 * can patch the current snapshot, makes its copy (*builder), takes out of it
 * the rows of every firm on a changed line and fills *patch with what to read
 * again. *builder is NULL, and nothing changed, when they cannot (no
 * snapshot with fingerprints, another encoding asked for, a line count or a
 * header changed, too much changed, a changed line that does not read as
 * records of its own...): the import then reads every line. max_changed is
 * the share of the extracts' bytes in changed runs of lines, in per mille,
 * above which reading everything is the cheaper way. */
rb_status rb_patch_prepare(sqlite3 *db, const char *dir, rb_encoding encoding, int cache_kib, int max_changed,
                           rb_patch *patch, rb_snapshot_builder **builder, rb_error *err);

/* The bit of line (1-based) in a bitmap of lines such as wanted. */
static inline bool rb_line_bit(const uint64_t *bits, int64_t line)
{
    uint64_t b = (uint64_t)(line - 1);
    return (bits[b / 64] >> (b % 64)) & 1;
}

/* Whether the record on line is read again. */
static inline bool rb_patch_wants(const rb_patch_file *f, int64_t line)
{
    return line >= 1 && line <= f->prints.lines && rb_line_bit(f->wanted, line);
}

void rb_patch_free(rb_patch *patch);

/* Writes the fingerprints of the extracts (prints[i] of file i) into the
 * new snapshot's snapshot_lines, replacing what is there. */
rb_status rb_patch_record_prints(sqlite3 *snapshot, const rb_line_prints *const prints[RB_IMPORT_FILE_COUNT],
                                 rb_error *err);

#endif
