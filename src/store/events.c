/* The append-only event log: appending an event and reading those of a
 * batch or a firm. The triggers of sql/005_events.sql keep it append-only. */
#include <stddef.h>

#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/events.h"

static const char *const KIND_NAMES[] = {"batch", "payment", "verdict", "params"};

const char *rb_event_kind_name(rb_event_kind kind)
{
    return (size_t)kind < sizeof KIND_NAMES / sizeof KIND_NAMES[0] ? KIND_NAMES[kind] : "unknown";
}

/* Binds text, or NULL when text is NULL. */
static int bind_text(sqlite3_stmt *st, int index, const char *text)
{
    return text == NULL ? sqlite3_bind_null(st, index) : sqlite3_bind_text(st, index, text, -1, SQLITE_STATIC);
}

rb_status rb_event_add(sqlite3 *db, const rb_event *e, rb_error *err)
{
    char now[32];
    rb_now_utc(now);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO events (at, kind, subject, batch_id, uscc, from_state, to_state, by_whom,"
                           " login, run_id, why) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "preparing to record an event", err);
    int rc = bind_text(st, 1, now);
    if (rc == SQLITE_OK)
        rc = bind_text(st, 2, rb_event_kind_name(e->kind));
    if (rc == SQLITE_OK)
        rc = bind_text(st, 3, e->subject);
    if (rc == SQLITE_OK)
        rc = bind_text(st, 4, e->batch_id);
    if (rc == SQLITE_OK)
        rc = bind_text(st, 5, e->uscc);
    if (rc == SQLITE_OK)
        rc = bind_text(st, 6, e->from_state);
    if (rc == SQLITE_OK)
        rc = bind_text(st, 7, e->to_state);
    if (rc == SQLITE_OK)
        rc = bind_text(st, 8, e->by);
    if (rc == SQLITE_OK)
        rc = bind_text(st, 9, e->login);
    if (rc == SQLITE_OK)
        rc = e->run_id > 0 ? sqlite3_bind_int64(st, 10, e->run_id) : sqlite3_bind_null(st, 10);
    if (rc == SQLITE_OK)
        rc = bind_text(st, 11, e->why);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    rb_status result = rc == SQLITE_DONE ? RB_OK : rb_db_fail(db, "recording an event", err);
    sqlite3_finalize(st);
    return result;
}

/* A column's text, or NULL when the column is NULL. */
static const char *column_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

rb_status rb_events_each(sqlite3 *db, const char *batch_id, const char *uscc, rb_event_fn fn, void *ctx,
                         rb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT event_id, at, kind, subject, from_state, to_state, by_whom, login, why"
                           " FROM events WHERE (?1 IS NOT NULL AND batch_id = ?1) OR (?2 IS NOT NULL AND uscc = ?2)"
                           " ORDER BY event_id",
                           -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "preparing to read the event log", err);
    rb_status result = RB_OK;
    if (bind_text(st, 1, batch_id) != SQLITE_OK || bind_text(st, 2, uscc) != SQLITE_OK) {
        result = rb_db_fail(db, "reading the event log", err);
        goto out;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        result = fn(ctx, sqlite3_column_int64(st, 0), column_text(st, 1), column_text(st, 2), column_text(st, 3),
                    column_text(st, 4), column_text(st, 5), column_text(st, 6), column_text(st, 7),
                    column_text(st, 8));
        if (result != RB_OK)
            goto out;
    }
    if (rc != SQLITE_DONE)
        result = rb_db_fail(db, "reading the event log", err);
out:
    sqlite3_finalize(st);
    return result;
}
