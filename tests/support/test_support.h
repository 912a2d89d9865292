/* Shared helpers of the Check runners: temporary folders, file fixtures,
 * running the `rebate` binary, and the main() every runner uses. */
#ifndef REBATE_TEST_SUPPORT_H
#define REBATE_TEST_SUPPORT_H

#include <stdarg.h>
#include <check.h>
#include <sqlite3.h>
#include <stddef.h>

/* A fresh temporary folder (under $TMPDIR or /tmp), created 0700; the
 * returned string is static storage overwritten by the next call. */
const char *ts_tmpdir(void);

/* Removes a folder and everything under it (best effort). */
void ts_rmtree(const char *path);

/* Writes len bytes (or strlen when len is (size_t)-1) to dir/name. */
void ts_write_file(const char *dir, const char *name, const char *data, size_t len);

/* Reads a whole file into a malloc'ed, NUL-terminated buffer (size in *len). */
char *ts_read_file(const char *path, size_t *len);

/* Absolute path of a file under the source tree's tests/fixtures/. */
const char *ts_fixture(const char *relative);

/* Runs the built `rebate` binary with the given arguments (NULL-terminated),
 * capturing stdout and stderr into malloc'ed strings (either may be NULL
 * when not wanted); returns the exit status, or -signal. */
int ts_run_rebate(char **out, char **err, const char *arg, ...);
int ts_run_rebate_v(char **out, char **err, const char *arg, va_list ap);

/* What ts_run_rebate does when the program stops itself (REBATE_PAUSE_AT,
 * src/util/crash.c): fn(ctx), then SIGCONT, and it waits on. NULL, the
 * default: it waits only for the end. */
void ts_on_pause(void (*fn)(void *ctx), void *ctx);

/* ts_run_rebate keeping only the last run's output: frees what *out and
 * *err held before (a test's "the output of the last command"). */
int ts_rerun_rebate(char **out, char **err, const char *arg, ...);

/* Creates the database db_path as `rebate init` does (rb_db_init); the
 * program creates no database any other way. */
void ts_init_db(const char *db_path);

/* Runs a query that returns one integer (e.g. SELECT count(*) ...). */
long long ts_query_int(sqlite3 *db, const char *sql);

/* Opens a database as the program does (rb_db_open on an existing one):
 * the snapshot file <db_path>.snapshot attached, so that registration,
 * row_errors ... and the view contributions read as before. Close with
 * sqlite3_close. */
sqlite3 *ts_open_db(const char *db_path);

/* A snapshot made by hand, the way the import makes one
 * (rebate/snapshot.h): ts_snapshot_begin starts <db>.snapshot.new beside
 * db's file; rows go into its tables through ts_snapshot_exec (plain SQL,
 * sqlite3_mprintf formats: %Q, %q) and months through ts_snapshot_month, in
 * any order; ts_snapshot_publish packs the months, renames the file over
 * <db>.snapshot and re-attaches it to db (which must not be inside a
 * transaction). */
typedef struct ts_snapshot ts_snapshot;
ts_snapshot *ts_snapshot_begin(sqlite3 *db);
void ts_snapshot_exec(ts_snapshot *s, const char *fmt, ...);
void ts_snapshot_month(ts_snapshot *s, const char *uscc, int period, long long insured_count, long long employer_due,
                       long long employer_paid, long long employee_due, long long employee_paid,
                       long long new_claimants, long long line);
void ts_snapshot_publish(ts_snapshot *s, sqlite3 *db);

/* main() of a runner: runs the suite made by make_suite, returns non-zero
 * when any test failed. */
int ts_main(Suite *(*make_suite)(void));

#define TS_MAIN(make_suite) \
    int main(void) { return ts_main(make_suite); }

#endif
