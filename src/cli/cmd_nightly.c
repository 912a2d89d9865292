/* `rebate nightly --config FILE`: what cron runs. Takes the lock, imports the
 * extracts waiting in the inbox, moves them to a dated archive folder, runs
 * the policy year and publishes the batch in the outbox, logging one line
 * per step with counts and timings. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "rebate/batch.h"
#include "rebate/crash.h"
#include "rebate/config.h"
#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/fsutil.h"
#include "rebate/import.h"
#include "rebate/ledger.h"
#include "rebate/lock.h"
#include "rebate/money.h"

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

/* How many of the three extracts wait in the inbox. */
static int extracts_waiting(const char *inbox, bool present[RB_IMPORT_FILE_COUNT])
{
    int n = 0;
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
        char path[4200];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", inbox, rb_import_file_name(i));
        present[i] = lstat(path, &sb) == 0;
        n += present[i];
    }
    return n;
}

/* Moves the extracts of the inbox into archive/<stamp><suffix>/. Three
 * renames cannot be one atomic step, so they go into
 * archive/.moving-<stamp><suffix>/ first, renamed to its name once all are
 * in: a night killed halfway leaves that folder, which the next night
 * recognises (finish_interrupted_moves), not an inbox with only some of the
 * extracts that would stop every night with exit 66. */
static rb_status archive_extracts(const rb_config *cfg, const char *suffix, char *dest, size_t dest_size,
                                  rb_error *err)
{
    time_t t = time(NULL);
    struct tm tm;
    char stamp[32], moving[8400];
    localtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    rb_status st = rb_fs_mkdir(cfg->archive, err);
    if (st != RB_OK)
        return st;
    struct stat sb;
    for (int n = 1;; n++) {
        if (n == 1)
            snprintf(dest, dest_size, "%s%s", stamp, suffix);
        else
            snprintf(dest, dest_size, "%s%s-%d", stamp, suffix, n);
        snprintf(moving, sizeof moving, "%s/.moving-%s", cfg->archive, dest);
        char final_dir[8400];
        snprintf(final_dir, sizeof final_dir, "%s/%s", cfg->archive, dest);
        if (lstat(final_dir, &sb) != 0 && lstat(moving, &sb) != 0) {
            snprintf(dest, dest_size, "%s", final_dir);
            break;
        }
    }
    if ((st = rb_fs_mkdir(moving, err)) != RB_OK)
        return st;
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
        char from[4200], to[8600];
        snprintf(from, sizeof from, "%s/%s", cfg->inbox, rb_import_file_name(i));
        snprintf(to, sizeof to, "%s/%s", moving, rb_import_file_name(i));
        if (lstat(from, &sb) != 0)
            continue;
        if ((st = rb_fs_rename_noreplace(from, to, err)) != RB_OK)
            return st;
        rb_crash_point("extracts-moving");
    }
    if ((st = rb_fs_rename_noreplace(moving, dest, err)) != RB_OK)
        return st;
    return rb_fs_sync_dir(cfg->inbox, err);
}

/* Finishes the moves a killed night left in archive/.moving-<name>/: when
 * the inbox holds exactly the extracts that folder lacks, they are the rest
 * of the same set, and go in. An empty folder is removed (the whole set is
 * still in the inbox and is imported again, which is harmless); anything
 * else (new extracts arrived meanwhile) is left for a person, with a
 * warning. */
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
        char moving[4400], final_dir[4400];
        snprintf(moving, sizeof moving, "%s/%s", cfg->archive, e->d_name);
        snprintf(final_dir, sizeof final_dir, "%s/%s", cfg->archive, e->d_name + 8);
        struct stat folder;
        if (lstat(moving, &folder) != 0 || !S_ISDIR(folder.st_mode)) {
            /* Not ours (a symlink planted there): never followed. */
            fprintf(stderr, "rebate: warning: '%s' is not a folder; left alone\n", moving);
            continue;
        }
        bool in_inbox[RB_IMPORT_FILE_COUNT];
        bool complement = true;
        int moved = 0;
        extracts_waiting(cfg->inbox, in_inbox);
        for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
            char path[8600];
            struct stat sb;
            snprintf(path, sizeof path, "%s/%s", moving, rb_import_file_name(i));
            bool in_folder = lstat(path, &sb) == 0;
            moved += in_folder;
            complement = complement && in_folder != in_inbox[i];
        }
        if (moved == 0) {
            if (rmdir(moving) != 0)
                st = rb_fail(err, RB_E_CANTWRITE, "cannot remove folder '%s': %s", moving, strerror(errno));
            continue;
        }
        if (!complement) {
            fprintf(stderr, "rebate: warning: '%s' holds part of a set of extracts whose move was interrupted, "
                            "and the inbox does not hold the rest; left for a person to look at\n", moving);
            continue;
        }
        for (int i = 0; i < RB_IMPORT_FILE_COUNT && st == RB_OK; i++) {
            char from[4200], to[8600];
            snprintf(from, sizeof from, "%s/%s", cfg->inbox, rb_import_file_name(i));
            snprintf(to, sizeof to, "%s/%s", moving, rb_import_file_name(i));
            if (in_inbox[i])
                st = rb_fs_rename_noreplace(from, to, err);
        }
        if (st == RB_OK && (st = rb_fs_rename_noreplace(moving, final_dir, err)) == RB_OK)
            log_step("archive", step, "finished moving the extracts of an interrupted night to %s", final_dir);
    }
    closedir(d);
    return st;
}

int cmd_nightly(int argc, char **argv)
{
    const char *config_path = NULL;
    const rb_option options[] = {
        {"config", "FILE", RB_OPT_STRING, &config_path, true, "the nightly config (docs/operations.md)", NULL},
        {NULL, NULL, 0, NULL, false, NULL, NULL},
    };
    const rb_command_line line = {
        .name = "nightly",
        .synopsis = "--config FILE",
        .description = nightly_description,
        .options = options,
    };
    int first, status = rb_opts_parse(&line, argc, argv, &first);
    if (status >= 0)
        return status;

    rb_error err = {0};
    rb_config cfg;
    rb_status st = rb_config_load(config_path, &cfg, &err);
    if (st != RB_OK)
        return rb_exit(st, &err);

    struct timespec start, step;
    clock_gettime(CLOCK_MONOTONIC, &start);
    rb_lock *lock = NULL;
    sqlite3 *db = NULL;
    rb_run_log log = {NULL, 0};
    char detail[1024] = "";
    if ((st = rb_opts_open(cfg.database, RB_DB_CREATE, &lock, &db, &err)) != RB_OK)
        goto out;
    log_step("start", NULL, "config %s, policy year %d, database %s", config_path, (int)cfg.policy_year,
             cfg.database);
    rb_run_log_start(&log, db, "nightly", rb_login_name());

    clock_gettime(CLOCK_MONOTONIC, &step);
    /* The outbox and the archive first: one that cannot be made (under a
     * file, a symlink, read-only) stops the night before the import, with
     * nothing changed, rather than after it. */
    if ((st = rb_fs_mkdir(cfg.outbox, &err)) != RB_OK || (st = rb_fs_mkdir(cfg.archive, &err)) != RB_OK ||
        (st = finish_interrupted_moves(&cfg, &step, &err)) != RB_OK)
        goto out;
    bool present[RB_IMPORT_FILE_COUNT];
    int waiting = extracts_waiting(cfg.inbox, present);
    clock_gettime(CLOCK_MONOTONIC, &step);
    if (waiting == 0) {
        log_step("import", NULL, "no new extracts in %s; evaluating the current snapshot", cfg.inbox);
    } else if (waiting < RB_IMPORT_FILE_COUNT) {
        for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++)
            if (!present[i]) {
                st = rb_fail(&err, RB_E_NOINPUT,
                             "inbox '%s' holds only some of the extracts: '%s' is missing; nothing was imported",
                             cfg.inbox, rb_import_file_name(i));
                break;
            }
        goto out;
    } else {
        rb_import_report report;
        rb_encoding encoding = RB_ENCODING_AUTO;
        rb_encoding_parse(cfg.encoding, &encoding); /* validated by the config loader */
        bool same = false;
        int64_t same_import = 0;
        if ((st = rb_import_same_as_current(db, cfg.inbox, encoding, &same, &same_import, &err)) != RB_OK)
            goto out;
        if (same) {
            /* The same bytes would rebuild the same snapshot. */
            log_step("import", &step, "the extracts are the bytes of import %lld: the snapshot stays as it is",
                     (long long)same_import);
            char dest[8400];
            clock_gettime(CLOCK_MONOTONIC, &step);
            if ((st = archive_extracts(&cfg, "", dest, sizeof dest, &err)) != RB_OK)
                goto out;
            log_step("archive", &step, "extracts moved to %s", dest);
            goto run;
        }
        st = rb_import(db, cfg.inbox, encoding, &report, &err);
        if (st == RB_E_DATA) {
            char dest[8400];
            rb_error move_err = {0};
            if (archive_extracts(&cfg, "-refused", dest, sizeof dest, &move_err) == RB_OK)
                log_step("import", &step, "refused; the extracts were moved to %s", dest);
            else
                log_step("import", &step, "refused; the extracts stay in the inbox: %s", move_err.message);
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
        log_step("import", &step, "import %lld loaded", (long long)report.import_id);
        char dest[8400];
        clock_gettime(CLOCK_MONOTONIC, &step);
        if ((st = archive_extracts(&cfg, "", dest, sizeof dest, &err)) != RB_OK)
            goto out;
        log_step("archive", &step, "extracts moved to %s", dest);
    }

run:
    clock_gettime(CLOCK_MONOTONIC, &step);
    char outbox_abs[4096];
    if (rb_absolute_path(cfg.outbox, outbox_abs, sizeof outbox_abs) != 0) {
        st = rb_fail(&err, RB_E_CONFIG, "outbox '%s' of '%s' is too long a path", cfg.outbox, config_path);
        goto out;
    }
    rb_run_options opts = {
        .policy_year = cfg.policy_year,
        .as_of = rb_date_today(),
        .out_dir = outbox_abs,
        .by = "nightly",
        .run_id = log.run_id,
        .notify = {rb_cli_notify, NULL},
        .skip_unchanged = true,
    };
    rb_run_result result;
    if ((st = rb_run(db, &opts, &result, &err)) != RB_OK)
        goto out;
    if (!result.published && result.inputs_unchanged) {
        snprintf(detail, sizeof detail,
                 "the snapshot, parameters and payments are those batch %s was decided on: no decision changed,"
                 " no batch published",
                 result.same_as);
        log_step("run", &step, "%s", detail);
    } else if (!result.published && result.unchanged) {
        snprintf(detail, sizeof detail, "%lld firms, no decision changed since the last batch: no batch published",
                 (long long)result.firms);
        log_step("run", &step, "%s", detail);
    } else if (!result.published) {
        snprintf(detail, sizeof detail, "no firm to decide: no batch published");
        log_step("run", &step, "%s", detail);
    } else {
        char total[RB_MONEY_BUFSZ];
        snprintf(detail, sizeof detail,
                 "batch %s: %lld firms: PAY %lld, REVIEW %lld, REJECT %lld, SKIP %lld; %lld payments totalling %s yuan;"
                 " %lld decisions recorded",
                 result.batch_id, (long long)result.firms, (long long)result.by_outcome[RB_OUTCOME_PAY],
                 (long long)result.by_outcome[RB_OUTCOME_REVIEW], (long long)result.by_outcome[RB_OUTCOME_REJECT],
                 (long long)result.by_outcome[RB_OUTCOME_SKIP], (long long)result.payments,
                 rb_money_format(result.total, total), (long long)result.decisions_recorded);
        log_step("run", &step, "%s", detail);
        log_step("publish", NULL, "%s", result.folder);
    }

out:
    status = rb_run_log_finish(&log, st, &err, detail);
    if (st != RB_OK)
        log_step("failed", NULL, "exit %d: %s", status, err.message);
    else
        log_step("done", &start, "exit 0");
    rb_opts_close(lock, db);
    rb_config_free(&cfg);
    return status;
}
