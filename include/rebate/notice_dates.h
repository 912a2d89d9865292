/* The notice end and due date the ledger records for a batch that pays
 * (sql/008_notice_dates.sql), and the batches overdue: published, with
 * payments, not approved, and past their due date. */
#ifndef REBATE_NOTICE_DATES_H
#define REBATE_NOTICE_DATES_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "rebate/error.h"

typedef struct rb_notice_dates {
    bool recorded;        /* false: the batch has none (no payment, or older) */
    int notice_days;
    int32_t notice_end;   /* YYYYMMDD */
    int32_t due_date;     /* YYYYMMDD */
    bool provisional;     /* counted Monday to Friday for a year without calendar */
} rb_notice_dates;

/* Records the dates of a batch (inside the run's transaction). */
rb_status rb_notice_dates_record(sqlite3 *db, const char *batch_id, const rb_notice_dates *dates, rb_error *err);

/* Reads the dates of a batch (dates->recorded false when there are none,
 * or no such batch). */
rb_status rb_notice_dates_get(sqlite3 *db, const char *batch_id, rb_notice_dates *dates, rb_error *err);

/* True when a batch in `state` with these dates is overdue on `today`:
 * still published (not approved, voided or closed) after its due date. */
bool rb_notice_dates_overdue(const rb_notice_dates *dates, const char *state, int64_t payments, int32_t today);

/* Calls fn for every overdue batch on `today`, oldest due date first. */
typedef void (*rb_overdue_fn)(void *ctx, const char *batch_id, const rb_notice_dates *dates);
rb_status rb_notice_dates_each_overdue(sqlite3 *db, int32_t today, rb_overdue_fn fn, void *ctx, rb_error *err);

#endif
