/* The append-only event log (sql/005_events.sql): one row per change of a
 * batch's or a payment's state, per review verdict and per parameter row
 * added. Written inside the caller's transaction, so an event is recorded
 * together with the change it tells of, or not at all. */
#ifndef REBATE_EVENTS_H
#define REBATE_EVENTS_H

#include <sqlite3.h>
#include <stdint.h>

#include "rebate/error.h"

/* What an event is about (the `kind` column). */
typedef enum rb_event_kind {
    RB_EVENT_BATCH,   /* subject: the batch id */
    RB_EVENT_PAYMENT, /* subject: the payment reference */
    RB_EVENT_VERDICT, /* subject: "<uscc>/<year>" */
    RB_EVENT_PARAMS   /* subject: the policy year */
} rb_event_kind;

/* One event. Optional texts are NULL when they do not apply; run_id is 0
 * when no run is logged. */
typedef struct rb_event {
    rb_event_kind kind;
    const char *subject;
    const char *batch_id;
    const char *uscc;
    const char *from_state;
    const char *to_state; /* required */
    const char *by;       /* required: the --by name, or "nightly" */
    const char *login;    /* required: the login of the process */
    int64_t run_id;
    const char *why;
} rb_event;

/* The kind's name as stored ("batch", "payment", "verdict", "params"). */
const char *rb_event_kind_name(rb_event_kind kind);

/* Appends e to the log with the current UTC time. */
rb_status rb_event_add(sqlite3 *db, const rb_event *e, rb_error *err);

/* Calls fn for each event of a batch (batch_id given) or of a firm (uscc
 * given), oldest first; fn returns RB_OK to go on. The strings passed are
 * valid during the call only; absent columns are NULL. */
typedef rb_status (*rb_event_fn)(void *ctx, int64_t event_id, const char *at, const char *kind,
                                 const char *subject, const char *from_state, const char *to_state,
                                 const char *by, const char *login, const char *why);
rb_status rb_events_each(sqlite3 *db, const char *batch_id, const char *uscc, rb_event_fn fn, void *ctx,
                         rb_error *err);

#endif
