/* The workbooks finance opens, prints and signs: payout.xlsx and
 * exceptions.xlsx, written with libxlsxwriter from payout.csv and
 * exceptions.csv as they stand in the staging folder (docs/batch.md,
 * "The workbooks"). Internal to the output stage. */
#ifndef REBATE_OUTPUT_WORKBOOK_H
#define REBATE_OUTPUT_WORKBOOK_H

#include <stdbool.h>
#include <stdint.h>

#include "rebate/error.h"
#include "rebate/money.h"

/* What the workbooks say about their batch, and the control totals the
 * rows read from payout.csv must match. */
typedef struct rb_workbook_batch {
    const char *dir;        /* the staging folder holding the closed CSV files */
    const char *batch_id;
    int32_t policy_year;
    int32_t as_of;          /* YYYYMMDD: shown, and the workbooks' creation time */
    bool dry_run;           /* a preview: said in the title and the batch line */
    int64_t payments;       /* rows payout.csv must hold */
    rb_fen total;           /* and their sum */
    int64_t review_firms;   /* ENTERPRISE rows exceptions.csv must hold */
    int64_t rejected_rows;  /* and ROW rows */
} rb_workbook_batch;

/* Writes dir/payout.xlsx from dir/payout.csv and dir/exceptions.xlsx from
 * dir/exceptions.csv, each fsynced. RB_E_INTERNAL when payout.csv does not
 * hold the expected rows and total; RB_E_CANTWRITE when a file cannot be
 * read or written. */
rb_status rb_workbooks_write(const rb_workbook_batch *batch, rb_error *err);

/* exceptions.xlsx alone, from dir/exceptions.csv. */
rb_status rb_exceptions_book_write(const rb_workbook_batch *batch, rb_error *err);

/* payout.xlsx written while payout.csv is: the same bytes go to the file
 * and, through a pipe, to a thread that turns them into the workbook, so
 * that the workbook takes the core the deciding leaves free instead of
 * time after it. Start it with the batch (dir, batch_id, policy_year,
 * as_of, dry_run); write payout.csv's bytes to *rows_fd and close it; then
 * rb_payout_book_expect with the ledger's count and total, which the rows
 * must match; rb_payout_book_join waits for the workbook, written and
 * synced, and frees the book. Joined without rb_payout_book_expect (a
 * failing run), the workbook is abandoned; *rows_fd must be closed first. */
typedef struct rb_payout_book rb_payout_book;
rb_status rb_payout_book_start(const rb_workbook_batch *batch, rb_payout_book **book, int *rows_fd, rb_error *err);
void rb_payout_book_expect(rb_payout_book *book, int64_t payments, rb_fen total);
rb_status rb_payout_book_join(rb_payout_book *book, rb_error *err);

/* The printed width of UTF-8 text in spreadsheet columns: a character of
 * the wide East Asian ranges counts two, others one. */
size_t rb_display_width(const char *text, size_t len);

#endif
