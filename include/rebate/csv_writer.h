/* Writing the CSV files of a batch as docs/formats.md requires: UTF-8 with a BOM,
 * CRLF line ends, RFC 4180 quoting, and a leading ' on text cells that a
 * spreadsheet would run as a formula. */
#ifndef REBATE_CSV_WRITER_H
#define REBATE_CSV_WRITER_H

#include <stdbool.h>
#include <stdio.h>

#include "rebate/error.h"
#include "rebate/money.h"

/* A row is gathered here and goes to the stream in one write: a write
 * per field took the stream's lock and most of a batch's CPU for CSV. */
#define RB_CSV_ROW_BUFFER 4096

typedef struct rb_csv_writer {
    FILE *file;        /* where rows go (not owned) */
    const char *path;  /* for messages */
    bool row_started;  /* a field has been written on the current row */
    bool failed;       /* a write failed; later calls do nothing */
    int error_number;  /* errno of the first failed write, for the message */
    size_t row_len;    /* bytes of the current row in row (a longer row goes in pieces) */
    char row[RB_CSV_ROW_BUFFER];
} rb_csv_writer;

/* Starts a CSV file on an open stream: writes the BOM and the header row
 * (n column names). */
rb_status rb_csv_begin(rb_csv_writer *w, FILE *file, const char *path, const char *const *header, size_t n,
                       rb_error *err);
/* A text cell (NULL is written as empty), with the formula guard. */
void rb_csv_text(rb_csv_writer *w, const char *text);
/* A money cell: yuan with two decimals, never guarded. */
void rb_csv_money(rb_csv_writer *w, rb_fen fen);
/* An integer cell. */
void rb_csv_int(rb_csv_writer *w, long long value);
/* Ends the current row with CRLF and hands it to the stream. */
void rb_csv_end_row(rb_csv_writer *w);
/* Flushes the stream, then: RB_OK, or RB_E_CANTWRITE naming the path when
 * any write (or this flush) failed. */
rb_status rb_csv_status(const rb_csv_writer *w, rb_error *err);

#endif
