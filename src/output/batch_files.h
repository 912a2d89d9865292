/* The files of a batch folder (docs/formats.md): payout.csv, exceptions.csv,
 * decisions.csv, summary.txt and SHA256SUMS, written row by row while the
 * firms are decided. Internal to the output stage. */
#ifndef REBATE_OUTPUT_BATCH_FILES_H
#define REBATE_OUTPUT_BATCH_FILES_H

#include <sqlite3.h>
#include <stdio.h>

#include "rebate/batch.h"
#include "rebate/csv_writer.h"
#include "rebate/notice_dates.h"
#include "rebate/decision_log.h"
#include "rebate/rules.h"
#include "rebate/sha256.h"
#include "rebate/strbuf.h"

typedef struct rb_batch_files {
    char *dir;                   /* the staging folder (heap, as are the paths) */
    char batch_id[128];
    const rb_params *params;
    FILE *payout_file, *exceptions_file, *decisions_file; /* payout_file: the tee into payout_real */
    FILE *payout_real;           /* payout.csv itself */
    int payout_pipe;             /* the write end of payout.xlsx's pipe, or -1 */
    struct rb_payout_book *payout_book; /* payout.xlsx being written on its thread */
    char *payout_path, *exceptions_path, *decisions_path;
    rb_csv_writer payout, exceptions, decisions;
    int64_t payout_seq;          /* last seq written to payout.csv */
    struct rb_report *report;    /* what report.html and the notice are made from */
} rb_batch_files;

/* What summary.txt reports besides the rows. */
typedef struct rb_batch_summary {
    sqlite3 *db;
    const rb_params *params;
    const char *batch_id;
    int64_t batch_no;            /* its number in the ledger's order (decisions.batch_no) */
    int32_t as_of;
    bool dry_run;
    bool selected;               /* a --uscc rerun */
    const char *const *usccs;    /* the firms of a --uscc rerun */
    size_t n_usccs;
    const char *by;
    int64_t import_id;
    const rb_run_result *result;
    const int64_t *reason_counts;/* RB_R_COUNT counters */
    const rb_notice_dates *dates;/* notice end and due date (recorded false: none) */
    const char *notice_contact;  /* the contact line of notice.html, or NULL */
} rb_batch_summary;

rb_status rb_batch_files_open(rb_batch_files *files, const char *dir, const char *batch_id,
                              const rb_params *params, int32_t as_of, bool dry_run, rb_error *err);

/* Writes the firm's row of decisions.csv (row: the decision as
 * rb_decision_row_of makes it) and, by outcome, of payout.csv (reference
 * given) or exceptions.csv. */
rb_status rb_batch_files_add(rb_batch_files *files, const rb_firm_input *firm, const rb_decision *decision,
                             const rb_decision_row *row, const char *reference, rb_error *err);

/* The firm's decision as decisions.csv prints it and the ledger records it
 * (row->name points into firm). */
void rb_decision_row_of(const rb_firm_input *firm, const rb_decision *decision, rb_decision_row *row);

/* decisions.csv: its header and one row, the same bytes whether written by
 * a run or rebuilt from the ledger. */
#define RB_DECISIONS_COLUMNS 12
extern const char *const rb_decisions_header[RB_DECISIONS_COLUMNS];
void rb_decisions_csv_add(rb_csv_writer *w, const rb_decision_row *row, rb_headcount_basis basis);

/* Appends the rejected input rows to exceptions.csv (their count in
 * *row_errors), closes and fsyncs the three CSV files and writes
 * summary.txt, report.html, notice.csv, notice.html and exceptions.xlsx.
 * payout.xlsx, whose thread followed payout.csv all along, may still be
 * zipping: the caller does what else it has to (the ledger's rows) and
 * then waits for it with rb_batch_files_join. */
rb_status rb_batch_files_finish(rb_batch_files *files, const rb_batch_summary *summary, int64_t *row_errors,
                                rb_error *err);

/* Waits for payout.xlsx to be written whole, then frees the paths: every
 * file of the batch is then closed. */
rb_status rb_batch_files_join(rb_batch_files *files, rb_error *err);

/* Closes whatever is open and frees the paths, on a failing path (again
 * is harmless). rb_batch_files_join frees them when it succeeds. */
void rb_batch_files_abandon(rb_batch_files *files);

/* Reads a written payout.csv back: its number of rows, the sum of its
 * amount column and, when sha is not NULL, the SHA-256 of its bytes. */
rb_status rb_batch_files_read_payout_totals(const char *path, int64_t *rows, rb_fen *sum, char sha[RB_SHA256_HEX],
                                            rb_error *err);

/* The files of a published batch, which its SHA256SUMS lists, in sorted
 * order (the one list: publication writes it, approval checks it). */
#define RB_BATCH_FILES 9
enum {
    RB_FILE_DECISIONS,
    RB_FILE_EXCEPTIONS,
    RB_FILE_EXCEPTIONS_XLSX,
    RB_FILE_NOTICE_CSV,
    RB_FILE_NOTICE_HTML,
    RB_FILE_PAYOUT,
    RB_FILE_PAYOUT_XLSX,
    RB_FILE_REPORT,
    RB_FILE_SUMMARY
};
extern const char *const rb_batch_files_names[RB_BATCH_FILES];

/* The files every batch has had from the first version (approval requires
 * them listed; the others are checked whenever SHA256SUMS lists them, so
 * that a batch published before report.html and the notice existed can
 * still be approved). */
#define RB_BATCH_FILES_REQUIRED 4
extern const char *const rb_batch_files_required[RB_BATCH_FILES_REQUIRED];

#endif
