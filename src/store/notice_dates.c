/* The notice end and due date of a batch in the ledger, and the query of
 * overdue batches (the nightly log and `status`). */
#include <string.h>

#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/notice_dates.h"

rb_status rb_notice_dates_record(sqlite3 *db, const char *batch_id, const rb_notice_dates *dates, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "UPDATE batches SET notice_days = ?2, notice_end = ?3, due_date = ?4,"
                           " dates_provisional = ?5 WHERE batch_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "recording the notice dates", err);
    char end[11], due[11];
    sqlite3_bind_text(st, 1, batch_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, dates->notice_days);
    sqlite3_bind_text(st, 3, rb_date_format(dates->notice_end, end), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, rb_date_format(dates->due_date, due), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, dates->provisional ? 1 : 0);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rb_db_fail(db, "recording the notice dates", err);
    if (sqlite3_changes(db) != 1)
        return rb_fail(err, RB_E_INTERNAL, "batch %s is not in the ledger to record its notice dates", batch_id);
    return RB_OK;
}

/* Fills dates from columns col.. of st: notice_days, notice_end, due_date,
 * dates_provisional. */
static void read_dates(sqlite3_stmt *st, int col, rb_notice_dates *dates)
{
    memset(dates, 0, sizeof *dates);
    const char *end = (const char *)sqlite3_column_text(st, col + 1);
    const char *due = (const char *)sqlite3_column_text(st, col + 2);
    if (end == NULL || due == NULL || !rb_date_parse(end, strlen(end), &dates->notice_end) ||
        !rb_date_parse(due, strlen(due), &dates->due_date))
        return;
    dates->recorded = true;
    dates->notice_days = sqlite3_column_int(st, col);
    dates->provisional = sqlite3_column_int(st, col + 3) != 0;
}

rb_status rb_notice_dates_get(sqlite3 *db, const char *batch_id, rb_notice_dates *dates, rb_error *err)
{
    memset(dates, 0, sizeof *dates);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT notice_days, notice_end, due_date, dates_provisional FROM batches"
                           " WHERE batch_id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the notice dates", err);
    sqlite3_bind_text(st, 1, batch_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_dates(st, 0, dates);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return rb_db_fail(db, "reading the notice dates", err);
    return RB_OK;
}

bool rb_notice_dates_overdue(const rb_notice_dates *dates, const char *state, int64_t payments, int32_t today)
{
    return dates->recorded && payments > 0 && state != NULL && strcmp(state, "published") == 0 &&
           today > dates->due_date;
}

rb_status rb_notice_dates_each_overdue(sqlite3 *db, int32_t today, rb_overdue_fn fn, void *ctx, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT batch_id, notice_days, notice_end, due_date, dates_provisional FROM batches"
                           " WHERE state = 'published' AND payments > 0 AND due_date IS NOT NULL AND due_date < ?"
                           " ORDER BY due_date, batch_id",
                           -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the overdue batches", err);
    char day[11];
    sqlite3_bind_text(st, 1, rb_date_format(today, day), -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rb_notice_dates dates;
        read_dates(st, 1, &dates);
        if (dates.recorded)
            fn(ctx, (const char *)sqlite3_column_text(st, 0), &dates);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rb_db_fail(db, "reading the overdue batches", err);
    return RB_OK;
}
