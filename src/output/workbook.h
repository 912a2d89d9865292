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

/* The printed width of UTF-8 text in spreadsheet columns: a character of
 * the wide East Asian ranges counts two, others one. */
size_t rb_display_width(const char *text, size_t len);

#endif
