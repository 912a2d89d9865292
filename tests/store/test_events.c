/* Tests of src/store/events.c and sql/005_events.sql: events are appended
 * and read back per batch and per firm, and the database itself refuses to
 * change or delete one, whoever asks. */
#include <stdio.h>
#include <string.h>

#include "rebate/db.h"
#include "rebate/events.h"
#include "test_support.h"

static char dir[4096];
static char path[4200];
static sqlite3 *db;

static void setup(void)
{
    snprintf(dir, sizeof dir, "%s", ts_tmpdir());
    snprintf(path, sizeof path, "%s/t.db", dir);
    rb_error err = {0};
    ck_assert_int_eq(rb_db_open(path, RB_DB_CREATE, &db, &err), RB_OK);
}

static void teardown(void)
{
    rb_db_close(db);
    ts_rmtree(dir);
}

typedef struct seen {
    int count;
    char lines[8][400];
} seen;

static rb_status collect(void *ctx, int64_t event_id, const char *at, const char *kind, const char *subject,
                         const char *from_state, const char *to_state, const char *by, const char *login,
                         const char *why)
{
    seen *s = ctx;
    ck_assert(event_id > 0);
    ck_assert(at != NULL && strlen(at) == 20 && at[19] == 'Z');
    ck_assert_int_lt(s->count, 8);
    snprintf(s->lines[s->count++], sizeof s->lines[0], "%s|%s|%s|%s|%s|%s|%s", kind, subject,
             from_state ? from_state : "-", to_state, by, login, why ? why : "-");
    return RB_OK;
}

START_TEST(events_are_appended_and_read_by_batch_and_firm)
{
    rb_error err = {0};
    rb_event published = {.kind = RB_EVENT_BATCH, .subject = "2022-20221009-001", .batch_id = "2022-20221009-001",
                          .to_state = "published", .by = "nightly", .login = "rebate"};
    rb_event paid = {.kind = RB_EVENT_PAYMENT, .subject = "2022-91210300MA0000001X-1",
                     .batch_id = "2022-20221009-001", .uscc = "91210300MA0000001X", .from_state = "approved",
                     .to_state = "paid", .by = "王某", .login = "rebate", .why = "ACSC"};
    rb_event verdict = {.kind = RB_EVENT_VERDICT, .subject = "91210300MA0000001X/2022",
                        .uscc = "91210300MA0000001X", .to_state = "accepted", .by = "李某", .login = "clerk",
                        .why = "减员系退休"};
    ck_assert_int_eq(rb_event_add(db, &published, &err), RB_OK);
    ck_assert_int_eq(rb_event_add(db, &paid, &err), RB_OK);
    ck_assert_int_eq(rb_event_add(db, &verdict, &err), RB_OK);

    seen by_batch = {0};
    ck_assert_int_eq(rb_events_each(db, "2022-20221009-001", NULL, collect, &by_batch, &err), RB_OK);
    ck_assert_int_eq(by_batch.count, 2);
    ck_assert_str_eq(by_batch.lines[0], "batch|2022-20221009-001|-|published|nightly|rebate|-");
    ck_assert_str_eq(by_batch.lines[1], "payment|2022-91210300MA0000001X-1|approved|paid|王某|rebate|ACSC");

    seen by_firm = {0};
    ck_assert_int_eq(rb_events_each(db, NULL, "91210300MA0000001X", collect, &by_firm, &err), RB_OK);
    ck_assert_int_eq(by_firm.count, 2);
    ck_assert_str_eq(by_firm.lines[1], "verdict|91210300MA0000001X/2022|-|accepted|李某|clerk|减员系退休");
}
END_TEST

/* An UPDATE or DELETE is refused by the database's triggers, so also when
 * made behind the program's back; the row stays as it was. */
START_TEST(events_cannot_be_changed_or_deleted)
{
    rb_error err = {0};
    rb_event e = {.kind = RB_EVENT_PARAMS, .subject = "2026", .to_state = "added", .by = "王某", .login = "root"};
    ck_assert_int_eq(rb_event_add(db, &e, &err), RB_OK);
    char *msg = NULL;
    ck_assert_int_eq(sqlite3_exec(db, "UPDATE events SET by_whom = 'x'", NULL, NULL, &msg), SQLITE_CONSTRAINT);
    ck_assert_str_eq(msg, "the event log is append-only: an event is never changed");
    sqlite3_free(msg);
    ck_assert_int_eq(sqlite3_exec(db, "DELETE FROM events", NULL, NULL, &msg), SQLITE_CONSTRAINT);
    ck_assert_str_eq(msg, "the event log is append-only: an event is never deleted");
    sqlite3_free(msg);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM events WHERE by_whom = '王某'"), 1);

    /* A kind outside the four is refused by the CHECK. */
    ck_assert_int_eq(sqlite3_exec(db,
                                  "INSERT INTO events (at, kind, subject, to_state, by_whom, login)"
                                  " VALUES ('x', 'other', 's', 't', 'b', 'l')",
                                  NULL, NULL, &msg),
                     SQLITE_CONSTRAINT);
    sqlite3_free(msg);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("events");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, events_are_appended_and_read_by_batch_and_firm);
    tcase_add_test(tc, events_cannot_be_changed_or_deleted);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
