/* The fingerprints of an extract's lines (private to src/import): the
 * XXH3-128 hash of every run of RB_PRINT_LINES physical lines, where each
 * run begins in the file, and whether a record began on its first line.
 * Kept with the snapshot (snapshot_lines), they let the next import find
 * the lines whose bytes changed without the old file (src/import/patch.c).
 * A physical line ends with \n; the bytes after the last \n, if any, are
 * the last line. \n is never part of a UTF-8 or GB18030 character, so the
 * lines of the bytes are the lines of the decoded text. */
#ifndef REBATE_IMPORT_LINE_PRINTS_H
#define REBATE_IMPORT_LINE_PRINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rebate/error.h"
#include "rebate/sha256.h"
#include "rebate/strbuf.h"

#define RB_PRINT_LINES 32
#define RB_PRINT_HASH 16 /* bytes of one run's hash */

typedef struct rb_line_prints {
    int64_t lines;          /* physical lines */
    size_t runs;            /* ceil(lines / RB_PRINT_LINES) */
    unsigned char *hashes;  /* RB_PRINT_HASH bytes a run */
    uint64_t *offsets;      /* runs + 1: where each run begins; the last, the file's size */
    unsigned char *starts;  /* a bit a run, low bit first: a record began on its first line */
    size_t cap;             /* runs the arrays hold */
    /* The header record, set by whoever parses it (not by the functions
     * below): its line, and its fields each followed by a NUL byte. */
    int64_t header_line;
    rb_strbuf header;
    /* While bytes are added. */
    void *state;            /* XXH3_state_t of the run being hashed */
    uint64_t size;          /* bytes added */
    int in_run;             /* lines of the current run ended so far */
    bool open;              /* bytes of the current run were added */
    unsigned char last_byte;
    bool failed;            /* memory ran out */
} rb_line_prints;

/* Empty, ready for bytes. */
void rb_line_prints_init(rb_line_prints *p);
void rb_line_prints_free(rb_line_prints *p);

/* Back to no bytes (the file is read again). */
void rb_line_prints_reset(rb_line_prints *p);

/* The file's next bytes. */
void rb_line_prints_add(rb_line_prints *p, const unsigned char *data, size_t len);

/* After the last byte; false when memory ran out on the way. */
bool rb_line_prints_finish(rb_line_prints *p);

/* Keeps the header record's line (with no field yet); then each field is
 * added to p->header, or to another header to compare with it; false when
 * memory ran out. */
void rb_line_prints_header_line(rb_line_prints *p, int64_t line);
bool rb_line_prints_header_field(rb_strbuf *header, const char *text, size_t len);

/* Makes room for run `run`'s bits (starts grows with the runs); false when
 * memory ran out. Used by the reader, which sets them. */
bool rb_line_prints_reserve(rb_line_prints *p, size_t runs);

static inline bool rb_line_prints_start(const unsigned char *starts, size_t run)
{
    return (starts[run / 8] >> (run % 8)) & 1;
}

static inline void rb_line_prints_set_start(unsigned char *starts, size_t run, bool start)
{
    if (start)
        starts[run / 8] |= (unsigned char)(1u << (run % 8));
    else
        starts[run / 8] &= (unsigned char)~(1u << (run % 8));
}

/* Reads the file at path once for its SHA-256 and its prints (the starts
 * all clear: they come from parsing); with utf8 non-NULL, also whether the
 * whole file is UTF-8 (true when it cannot tell: a line over 1 MiB).
 * RB_E_NOINPUT when it cannot be read. */
rb_status rb_line_prints_scan(const char *path, rb_line_prints *p, char sha256[RB_SHA256_HEX], bool *utf8,
                              rb_error *err);

#endif
