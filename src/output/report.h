/* What the review report (report.html) and the public notice (notice.csv,
 * notice.html) are made from: gathered firm by firm while the batch is
 * decided, completed from the database when the batch's files are
 * finished. Internal to the output stage; see docs/report.md. */
#ifndef REBATE_OUTPUT_REPORT_H
#define REBATE_OUTPUT_REPORT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rebate/error.h"
#include "rebate/money.h"
#include "rebate/rules.h"
#include "rebate/strbuf.h"
#include "output/batch_files.h"

/* Firms listed in a table of the report (the CSV files have them all). */
#define RB_REPORT_LIST_CAP 50
/* The largest payments listed in the report. */
#define RB_REPORT_TOP 20
/* Bars of the amount histogram, at most. */
#define RB_REPORT_BINS 12

typedef struct rb_report_payment {
    char uscc[RB_USCC_LEN + 1];
    char region[7];       /* GB/T 2260 code of the district */
    size_t name;          /* offset in the report's text */
    rb_fen amount;
} rb_report_payment;

/* A firm for manual review, listed under its first reason. */
typedef struct rb_report_review {
    char uscc[RB_USCC_LEN + 1];
    rb_reason_set reasons;
    rb_fen amount;
    size_t name, detail;  /* offsets in the report's text */
} rb_report_review;

/* A district's payments. */
typedef struct rb_report_district {
    char code[7];
    const char *name;     /* from data/regions.tsv, or NULL when unknown */
    int64_t count;
    rb_fen total;
} rb_report_district;

typedef struct rb_report {
    rb_strbuf text;                         /* names and details, NUL-separated */
    rb_report_payment *pays;                /* every payment */
    size_t n_pays, alloc_pays;
    int64_t review_by_reason[RB_R_COUNT];   /* REVIEW firms by first reason */
    rb_report_review *reviews;              /* up to RB_REPORT_LIST_CAP per reason */
    size_t n_reviews, alloc_reviews;
    /* Filled by rb_report_prepare: */
    rb_fen median;                          /* the median payment (lower of the two middle ones) */
    rb_report_district *districts;          /* by code */
    size_t n_districts;
    char *regions_text;                     /* data/regions.tsv, parsed in place */
    const char *(*regions)[2];              /* (code, name) pairs in it */
    size_t n_regions;
} rb_report;

void rb_report_init(rb_report *report);
void rb_report_release(rb_report *report);

/* Notes one decided firm; false when memory ran out. */
bool rb_report_add(rb_report *report, const rb_params *params, const rb_firm_input *firm,
                   const rb_decision *decision, const char *name);

/* Looks up each payment's district (registration region_code, else
 * positions 3-8 of the USCC), sorts the payments as the notice lists them
 * (district, then name, then USCC) and works out the median and the
 * districts' totals. */
rb_status rb_report_prepare(rb_report *report, sqlite3 *db, rb_error *err);

/* The name of a region code from data/regions.tsv, or NULL. */
const char *rb_report_region_name(rb_report *report, const char *code);

static inline const char *rb_report_text(const rb_report *report, size_t offset)
{
    return report->text.buf + offset;
}

/* Writes dir/report.html (`now`: when the batch was written, as summary.txt
 * says it). */
rb_status rb_report_write_html(rb_report *report, const char *dir, const rb_batch_summary *s, const char *now,
                               rb_error *err);

/* Writes dir/notice.csv and dir/notice.html. */
rb_status rb_notice_write(rb_report *report, const char *dir, const rb_batch_summary *s, rb_error *err);

/* HTML helpers shared by report.html and notice.html. */
void rb_html_escape(FILE *f, const char *text);
/* The page's <head> and opening <body>, with the shared stylesheet and
 * the page-number footer of print. */
void rb_html_begin(FILE *f, const char *title, const char *extra_css);

#endif
