/* `rebate nightly --config FILE`: what cron runs. Takes the lock, imports the
 * extracts waiting in the inbox, moves them to a dated archive folder, runs
 * the policy year and publishes the batch in the outbox, logging one line
 * per step with counts and timings. */
#include <dirent.h>
#include <stdlib.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/people.h"
#include "cli/opts.h"
#include "rebate/batch.h"
#include "rebate/crash.h"
#include "rebate/config.h"
#include "rebate/notice_dates.h"
#include "rebate/workdays.h"
#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/fsutil.h"
#include "rebate/import.h"
#include "rebate/ledger.h"
#include "rebate/lock.h"
#include "rebate/money.h"
#include "rebate/outbox.h"
#include "rebate/params_store.h"
#include "rebate/strbuf.h"

static const char nightly_description[] =
    "The job cron runs. Reads the database, inbox, outbox, archive folders, the\n"
    "policy year and the encoding from FILE (an INI file with a [rebate]\n"
    "section), takes an exclusive lock (a second nightly exits 75 at once),\n"
    "imports registration.csv, insured_units.csv and contributions.csv when they\n"
    "wait in the inbox, moves them to archive/<YYYYMMDD-HHMMSS>/, runs the policy\n"
    "year and publishes the batch in the outbox. Logs one line per step.\n"
    "\n"
    "With no extracts in the inbox it still evaluates the current snapshot (the\n"
    "ledger and the calendar may have changed). Extracts refused by the import\n"
    "are moved to archive/<YYYYMMDD-HHMMSS>-refused/ and the run stops (exit 65).\n";

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void log_step(const char *step, const struct timespec *start, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void log_step(const char *step, const struct timespec *start, const char *fmt, ...)
{
    char when[32];
    rb_now_utc(when);
    printf("%s nightly %-8s ", when, step);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (start != NULL)
        printf(" (%.2f s)", seconds_since(start));
    printf("\n");
    fflush(stdout);
}

/* The nightly log's line for a batch not approved by its due date. */
static void log_overdue(void *ctx, const char *batch_id, const rb_notice_dates *dates)
{
    (void)ctx;
    char due[11];
    log_step("overdue", NULL, "batch %s is overdue (逾期): not approved by its due date %s%s", batch_id,
             rb_date_format(dates->due_date, due), dates->provisional ? " (provisional: 暂按周末计算)" : "");
}

/* Calendar warnings: from 1 December while next year's calendar is missing
 * (and whenever this year's is). */
static void log_calendar(const rb_workdays *cal, int32_t today, const char *folder)
{
    int year = rb_workdays_year_to_add(cal, today);
    if (year != 0)
        log_step("calendar", NULL,
                 "warning: no holiday calendar for %d: its dates are counted Monday to Friday and marked "
                 "provisional (暂按周末计算); add %d.txt to %s once the State Council publishes its notice "
                 "(man 5 rebate.ini, key holidays)",
                 year, year, folder);
}

/* Whether the file `name` is in folder dir (false too when memory ran out
 * for the path: the caller then finds the file missing and says so). */
static bool file_in(const char *dir, const char *name)
{
    char *path = rb_path_joined(dir, name);
    struct stat sb;
    bool found = path != NULL && lstat(path, &sb) == 0;
    free(path);
    return found;
}

/* How many of the three extracts wait in the inbox. */
static int extracts_waiting(const char *inbox, bool present[RB_IMPORT_FILE_COUNT])
{
    int n = 0;
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
        present[i] = file_in(inbox, rb_import_file_name(i));
        n += present[i];
    }
    return n;
}

/* Moves the extract `name` from folder `from` into folder `to`. */
static rb_status move_extract(const char *from_dir, const char *to_dir, const char *name, rb_error *err)
{
    char *from = rb_path_joined(from_dir, name), *to = rb_path_joined(to_dir, name);
    rb_status st = from != NULL && to != NULL ? rb_fs_rename_noreplace(from, to, err)
                                              : rb_fail(err, RB_E_INTERNAL, "out of memory");
    free(from);
    free(to);
    return st;
}

static rb_status out_of_memory(rb_error *err)
{
    return rb_fail(err, RB_E_INTERNAL, "out of memory");
}

/* Moves the extracts of the inbox into archive/<stamp><suffix>/ (its path
 * into dest). Three renames cannot be one atomic step, so they go into
 * archive/.moving-<stamp><suffix>/ first, renamed to its name once all are
 * in: a night killed halfway leaves that folder, which the next night
 * recognises (finish_interrupted_moves), not an inbox with only some of the
 * extracts that would stop every night with exit 66. */
static rb_status archive_extracts(const rb_config *cfg, const char *suffix, rb_strbuf *dest, rb_error *err)
{
    time_t t = time(NULL);
    struct tm tm;
    char stamp[32];
    localtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    rb_status st = rb_fs_mkdir(cfg->archive, err);
    if (st != RB_OK)
        return st;
    rb_strbuf name = RB_STRBUF_INIT, moving = RB_STRBUF_INIT;
    struct stat sb;
    for (int n = 1; st == RB_OK; n++) {
        rb_strbuf_reset(&name);
        bool named = n == 1 ? rb_strbuf_addf(&name, "%s%s", stamp, suffix)
                            : rb_strbuf_addf(&name, "%s%s-%d", stamp, suffix, n);
        rb_strbuf_reset(&moving);
        if (!named || !rb_path_join(dest, cfg->archive, name.buf) ||
            !rb_strbuf_addf(&moving, "%s/.moving-%s", cfg->archive, name.buf))
            st = out_of_memory(err);
        else if (lstat(dest->buf, &sb) != 0 && lstat(moving.buf, &sb) != 0)
            break;
    }
    if (st == RB_OK)
        st = rb_fs_mkdir(moving.buf, err);
    for (int i = 0; i < RB_IMPORT_FILE_COUNT && st == RB_OK; i++) {
        if (!file_in(cfg->inbox, rb_import_file_name(i)))
            continue;
        if ((st = move_extract(cfg->inbox, moving.buf, rb_import_file_name(i), err)) == RB_OK)
            rb_crash_point("extracts-moving");
    }
    if (st == RB_OK && (st = rb_fs_rename_noreplace(moving.buf, dest->buf, err)) == RB_OK)
        st = rb_fs_sync_dir(cfg->inbox, err);
    rb_strbuf_release(&name);
    rb_strbuf_release(&moving);
    return st;
}

/* Finishes the move a killed night left in the folder `moving` (to be
 * renamed final_dir), when the inbox holds exactly the extracts that folder
 * lacks: they are the rest of the same set, and go in. An empty folder is
 * removed (the whole set is still in the inbox and is imported again, which
 * is harmless); anything else (new extracts arrived meanwhile) is left for
 * a person, with a warning. */
static rb_status finish_move(const rb_config *cfg, const char *moving, const char *final_dir,
                             const struct timespec *step, rb_error *err)
{
    struct stat folder;
    if (lstat(moving, &folder) != 0 || !S_ISDIR(folder.st_mode)) {
        /* Not ours (a symlink planted there): never followed. */
        fprintf(stderr, "rebate: warning: '%s' is not a folder; left alone\n", moving);
        return RB_OK;
    }
    bool in_inbox[RB_IMPORT_FILE_COUNT];
    bool complement = true;
    int moved = 0;
    extracts_waiting(cfg->inbox, in_inbox);
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
        bool in_folder = file_in(moving, rb_import_file_name(i));
        moved += in_folder;
        complement = complement && in_folder != in_inbox[i];
    }
    if (moved == 0)
        return rmdir(moving) == 0 ? RB_OK
                                  : rb_fail(err, RB_E_CANTWRITE, "cannot remove folder '%s': %s", moving,
                                            strerror(errno));
    if (!complement) {
        fprintf(stderr, "rebate: warning: '%s' holds part of a set of extracts whose move was interrupted, "
                        "and the inbox does not hold the rest; left for a person to look at\n", moving);
        return RB_OK;
    }
    rb_status st = RB_OK;
    for (int i = 0; i < RB_IMPORT_FILE_COUNT && st == RB_OK; i++)
        if (in_inbox[i])
            st = move_extract(cfg->inbox, moving, rb_import_file_name(i), err);
    if (st == RB_OK && (st = rb_fs_rename_noreplace(moving, final_dir, err)) == RB_OK)
        log_step("archive", step, "finished moving the extracts of an interrupted night to %s", final_dir);
    return st;
}

/* Finishes the moves a killed night left in archive/.moving-<name>/
 * (finish_move). */
static rb_status finish_interrupted_moves(const rb_config *cfg, const struct timespec *step, rb_error *err)
{
    DIR *d = opendir(cfg->archive);
    if (d == NULL)
        return errno == ENOENT ? RB_OK
                               : rb_fail(err, RB_E_CANTWRITE, "cannot read folder '%s': %s", cfg->archive,
                                         strerror(errno));
    rb_status st = RB_OK;
    struct dirent *e;
    while (st == RB_OK && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, ".moving-", 8) != 0)
            continue;
        char *moving = rb_path_joined(cfg->archive, e->d_name), *final_dir = rb_path_joined(cfg->archive, e->d_name + 8);
        st = moving != NULL && final_dir != NULL ? finish_move(cfg, moving, final_dir, step, err) : out_of_memory(err);
        free(moving);
        free(final_dir);
    }
    closedir(d);
    return st;
}

/* What must hold before anything is imported, so that a night that cannot
 * run changes nothing: the policy year has its parameters (for `auto`: a
 * config error, naming the fix) and the outbox belongs to this ledger. */
static rb_status preflight(sqlite3 *db, const rb_config *cfg, const char *config_path, rb_error *err)
{
    if (cfg->policy_year_auto) {
        rb_params_row row;
        int64_t used = 0;
        bool found = false;
        rb_status st = rb_params_row_get(db, cfg->policy_year, &row, &used, &found, err);
        if (st != RB_OK)
            return st;
        if (!found)
            return rb_fail(err, RB_E_CONFIG,
                           "config '%s': policy_year = auto means %d, and database '%s' has no parameter row for %d; "
                           "add the year's row with rebate params add (data/params/example-2026.ini shows one); "
                           "nothing was imported",
                           config_path, cfg->policy_year, cfg->database, cfg->policy_year);
    }
    return rb_outbox_check(db, cfg->outbox, false, err);
}

int cmd_nightly(int argc, char **argv)
{
    const rb_option options[] = {RB_OPT_END};
    const rb_command_line line = {.name = "nightly", .synopsis = "--config FILE",
                                  .description = nightly_description, .options = options, .config_only = true};
    rb_session s;
    int status = rb_session_start(&s, &line, argc, argv);
    if (status >= 0)
        return status;
    const rb_config *cfg = &s.config;
    const char *config_path = s.config_path;
    rb_status st;
    struct timespec start, step;
    clock_gettime(CLOCK_MONOTONIC, &start);
    rb_strbuf detail = RB_STRBUF_INIT;
    char *outbox_abs = NULL;
    rb_workdays *calendar = NULL;
    if ((st = rb_session_open(&s, RB_DB_EXISTING, true, "nightly", rb_login_name())) != RB_OK ||
        (st = preflight(s.db, cfg, config_path, &s.err)) != RB_OK)
        goto out;
    log_step("start", NULL, "config %s, policy year %d, database %s", config_path, (int)cfg->policy_year,
             cfg->database);

    clock_gettime(CLOCK_MONOTONIC, &step);
    /* The outbox and the archive first: one that cannot be made (under a
     * file, a symlink, read-only) stops the night before the import, with
     * nothing changed, rather than after it. */
    if ((st = rb_fs_mkdir(cfg->outbox, &s.err)) != RB_OK || (st = rb_fs_mkdir(cfg->archive, &s.err)) != RB_OK ||
        (st = finish_interrupted_moves(cfg, &step, &s.err)) != RB_OK)
        goto out;
    bool present[RB_IMPORT_FILE_COUNT];
    int waiting = extracts_waiting(cfg->inbox, present);
    clock_gettime(CLOCK_MONOTONIC, &step);
    if (waiting == 0) {
        log_step("import", NULL, "no new extracts in %s; evaluating the current snapshot", cfg->inbox);
    } else if (waiting < RB_IMPORT_FILE_COUNT) {
        for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++)
            if (!present[i]) {
                st = rb_fail(&s.err, RB_E_NOINPUT,
                             "inbox '%s' holds only some of the extracts: '%s' is missing; nothing was imported",
                             cfg->inbox, rb_import_file_name(i));
                break;
            }
        goto out;
    } else {
        rb_import_report report;
        rb_encoding encoding = RB_ENCODING_AUTO;
        rb_encoding_parse(cfg->encoding, &encoding); /* validated by the config loader */
        bool same = false;
        int64_t same_import = 0;
        if ((st = rb_import_same_as_current(s.db, cfg->inbox, encoding, &same, &same_import, &s.err)) != RB_OK)
            goto out;
        if (same) {
            /* The same bytes would rebuild the same snapshot. */
            log_step("import", &step, "the extracts are the bytes of import %lld: the snapshot stays as it is",
                     (long long)same_import);
            rb_strbuf dest = RB_STRBUF_INIT;
            clock_gettime(CLOCK_MONOTONIC, &step);
            if ((st = archive_extracts(cfg, "", &dest, &s.err)) == RB_OK)
                log_step("archive", &step, "extracts moved to %s", dest.buf);
            rb_strbuf_release(&dest);
            if (st != RB_OK)
                goto out;
            goto run;
        }
        st = rb_import(s.db, cfg->inbox, encoding, &report, &s.err);
        if (st == RB_E_DATA) {
            rb_strbuf dest = RB_STRBUF_INIT;
            rb_error move_err = {0};
            if (archive_extracts(cfg, "-refused", &dest, &move_err) == RB_OK)
                log_step("import", &step, "refused; the extracts were moved to %s", dest.buf);
            else
                log_step("import", &step, "refused; the extracts stay in the inbox: %s", move_err.message);
            rb_strbuf_release(&dest);
            goto out;
        }
        if (st != RB_OK)
            goto out;
        for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
            const rb_import_file_report *f = &report.files[i];
            log_step("import", NULL, "%s: read %lld, loaded %lld, rejected %lld, duplicates %lld, conflicting %lld",
                     f->file, (long long)f->rows_read, (long long)f->rows_loaded, (long long)f->rows_rejected,
                     (long long)f->rows_duplicate, (long long)f->rows_conflicting);
        }
        if (report.patched)
            log_step("import", NULL, "only changed lines: %lld records read again, the rest kept from the last import",
                     (long long)rb_import_records_checked(&report));
        log_step("import", &step, "import %lld loaded", (long long)report.import_id);
        rb_strbuf dest = RB_STRBUF_INIT;
        clock_gettime(CLOCK_MONOTONIC, &step);
        if ((st = archive_extracts(cfg, "", &dest, &s.err)) == RB_OK)
            log_step("archive", &step, "extracts moved to %s", dest.buf);
        rb_strbuf_release(&dest);
        if (st != RB_OK)
            goto out;
    }

run:
    clock_gettime(CLOCK_MONOTONIC, &step);
    if ((outbox_abs = rb_absolute_path(cfg->outbox)) == NULL) {
        st = rb_fail(&s.err, RB_E_CONFIG, "outbox '%s' of '%s' cannot be made absolute (the working folder is unknown)",
                     cfg->outbox, config_path);
        goto out;
    }
    if ((st = rb_workdays_load(cfg->holidays, &calendar, &s.err)) != RB_OK)
        goto out;
    int32_t today = rb_date_today();
    log_calendar(calendar, today, cfg->holidays);
    rb_run_options opts = {
        .policy_year = cfg->policy_year,
        .as_of = today,
        .out_dir = outbox_abs,
        .by = "nightly",
        .login = rb_process_login(),
        .run_id = s.run_id,
        .notify = {rb_cli_notify, NULL},
        .notice_days = cfg->notice_days,
        .calendar = calendar,
        .notice_contact = cfg->notice_contact,
        .skip_unchanged = true,
    };
    rb_run_result result;
    if ((st = rb_run(s.db, &opts, &result, &s.err)) != RB_OK)
        goto out;
    if (!result.published && (result.inputs_unchanged || result.unchanged)) {
        bool ok = result.inputs_unchanged
                      ? rb_strbuf_addf(&detail,
                                       "the snapshot, parameters, payments and review verdicts are those batch %s was decided on:"
                                       " no decision changed, no batch published",
                                       result.same_as)
                      : rb_strbuf_addf(&detail, "%lld firms, nobody is to be paid and no decision changed since the last batch: no batch published",
                                       (long long)result.firms);
        if (!ok) {
            rb_run_result_free(&result);
            st = rb_fail(&s.err, RB_E_INTERNAL, "out of memory");
            goto out;
        }
        log_step("run", &step, "%s", detail.buf);
    } else if (!result.published) {
        if (!rb_strbuf_adds(&detail, "no firm to decide: no batch published")) {
            st = rb_fail(&s.err, RB_E_INTERNAL, "out of memory");
            goto out;
        }
        log_step("run", &step, "%s", detail.buf);
    } else {
        char total[RB_MONEY_BUFSZ];
        if (!rb_strbuf_addf(&detail,
                 "batch %s: %lld firms: PAY %lld, REVIEW %lld, REJECT %lld, SKIP %lld; %lld payments totalling %s yuan;"
                 " %lld decisions recorded",
                 result.batch_id, (long long)result.firms, (long long)result.by_outcome[RB_OUTCOME_PAY],
                 (long long)result.by_outcome[RB_OUTCOME_REVIEW], (long long)result.by_outcome[RB_OUTCOME_REJECT],
                 (long long)result.by_outcome[RB_OUTCOME_SKIP], (long long)result.payments,
                 rb_money_format(result.total, total), (long long)result.decisions_recorded)) {
            rb_run_result_free(&result);
            st = rb_fail(&s.err, RB_E_INTERNAL, "out of memory");
            goto out;
        }
        log_step("run", &step, "%s", detail.buf);
        log_step("publish", NULL, "%s", result.folder);
        if (result.dates.recorded) {
            char end[11], due[11];
            log_step("notice", NULL, "notice ends %s, payment due %s%s", rb_date_format(result.dates.notice_end, end),
                     rb_date_format(result.dates.due_date, due),
                     result.dates.provisional ? " (provisional: 暂按周末计算)" : "");
        }
    }
    rb_run_result_free(&result);
    if ((st = rb_notice_dates_each_overdue(s.db, today, log_overdue, NULL, &s.err)) != RB_OK)
        goto out;

out:;
    /* The sentence goes to standard error once (rb_exit, inside
     * rb_session_end); the log line on standard output only marks the end,
     * so that the journal, which collects both streams, does not show the
     * error twice. */
    status = rb_session_end(&s, st, detail.buf);
    if (st != RB_OK)
        log_step("failed", NULL, "exit %d (the reason is on standard error)", status);
    else
        log_step("done", &start, "exit 0");
    rb_strbuf_release(&detail);
    free(outbox_abs);
    rb_workdays_free(calendar);
    return status;
}
