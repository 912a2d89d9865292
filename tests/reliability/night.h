/* Helpers shared by the reliability runners (tests/reliability/test_*.c): a
 * night's folders and config file, generated extracts, rebate started in the
 * background, a CSV read back cell by cell, and the invariants every state of
 * the database, outbox, inbox and archive must keep, whatever instant a run
 * was killed at. Each runner includes this file once. */
#ifndef REBATE_TEST_NIGHT_H
#define REBATE_TEST_NIGHT_H

#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rebate/money.h"
#include "rebate/sha256.h"
#include "csv_table.h"
#include "test_support.h"

#define NIGHT_PATH 4400
/* Not every runner uses every helper. */
#define NIGHT_HELPER static __attribute__((unused))

static const char *const night_extracts[3] = {"registration.csv", "insured_units.csv", "contributions.csv"};
#define NIGHT_BATCH_FILES 10
__attribute__((unused)) static const char *const night_batch_files[NIGHT_BATCH_FILES] = {
    "payout.csv",  "exceptions.csv", "decisions.csv", "summary.txt", "payout.xlsx", "exceptions.xlsx",
    "report.html", "notice.csv",     "notice.html",   "SHA256SUMS"};

/* One night's world: the database and the three folders of the config. */
typedef struct night {
    char work[4096];
    char db[NIGHT_PATH], inbox[NIGHT_PATH], outbox[NIGHT_PATH], archive[NIGHT_PATH], config[NIGHT_PATH];
} night;

NIGHT_HELPER double night_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

NIGHT_HELPER void night_path(char *out, const char *dir, const char *name)
{
    int len = snprintf(out, NIGHT_PATH, "%s/%s", dir, name);
    ck_assert_msg(len > 0 && len < NIGHT_PATH, "path too long: %s/%s", dir, name);
}

/* Writes the config file of n with the given policy year. */
NIGHT_HELPER void night_write_config(const night *n, int year)
{
    char text[4 * NIGHT_PATH + 200];
    snprintf(text, sizeof text,
             "[rebate]\ndatabase = %s\ninbox = %s\noutbox = %s\narchive = %s\npolicy_year = %d\nencoding = auto\n",
             n->db, n->inbox, n->outbox, n->archive, year);
    ts_write_file(n->work, "rebate.ini", text, (size_t)-1);
}

/* A fresh night in a new temporary folder: inbox and outbox exist, the
 * archive does not yet (nightly creates it), policy year 2022. */
NIGHT_HELPER void night_make(night *n)
{
    snprintf(n->work, sizeof n->work, "%s", ts_tmpdir());
    night_path(n->db, n->work, "rebate.db");
    night_path(n->inbox, n->work, "inbox");
    night_path(n->outbox, n->work, "outbox");
    night_path(n->archive, n->work, "archive");
    night_path(n->config, n->work, "rebate.ini");
    ck_assert_int_eq(mkdir(n->inbox, 0750), 0);
    ck_assert_int_eq(mkdir(n->outbox, 0750), 0);
    night_write_config(n, 2022);
    ts_init_db(n->db);
}

NIGHT_HELPER void night_copy_file(const char *from_dir, const char *to_dir, const char *name)
{
    char from[NIGHT_PATH];
    night_path(from, from_dir, name);
    size_t len = 0;
    char *data = ts_read_file(from, &len);
    ck_assert_msg(data != NULL, "cannot read %s", from);
    ts_write_file(to_dir, name, data, len);
    free(data);
}

/* Puts the three extracts of data_dir into the inbox. */
NIGHT_HELPER void night_fill_inbox(const night *n, const char *data_dir)
{
    for (int i = 0; i < 3; i++)
        night_copy_file(data_dir, n->inbox, night_extracts[i]);
}

/* The benchmark generator beside the rebate binary (bench/gen_extracts.c). */
NIGHT_HELPER const char *night_gen_extracts(void)
{
#ifdef REBATE_GEN_EXTRACTS
    return REBATE_GEN_EXTRACTS;
#else
    static char path[4096];
    snprintf(path, sizeof path, "%s", REBATE_BINARY);
    char *slash = strrchr(path, '/');
    snprintf(slash ? slash + 1 : path, sizeof path - (size_t)(slash ? slash + 1 - path : 0), "gen_extracts");
    return path;
#endif
}

/* Writes extracts of `firms` synthetic firms (policy year 2022) into dir. */
NIGHT_HELPER void night_generate(const char *dir, int firms, int seed)
{
    char cmd[2 * NIGHT_PATH];
    snprintf(cmd, sizeof cmd, "'%s' --firms %d --seed %d --policy-year 2022 --out '%s' >/dev/null", night_gen_extracts(),
             firms, seed, dir);
    ck_assert_msg(system(cmd) == 0, "the data generator failed: %s", cmd);
}

/* Starts `rebate ARGS...` in the background with stdout and stderr into the
 * files log_out and log_err (either may be NULL: /dev/null). */
NIGHT_HELPER pid_t night_spawn(const char *log_out, const char *log_err, const char *arg, ...)
{
    const char *argv[32];
    int argc = 0;
    argv[argc++] = REBATE_BINARY;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a != NULL && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(log_out ? log_out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(log_err ? log_err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* The exit status of a child, or -signal. */
NIGHT_HELPER int night_wait(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
}

/* True when some process holds the run lock of the database. Probing takes
 * a shared lock for an instant, so only while no rebate may start. */
NIGHT_HELPER bool night_lock_held(const char *db)
{
    char path[NIGHT_PATH + 8];
    snprintf(path, sizeof path, "%s.lock", db);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    if (!held)
        flock(fd, LOCK_UN);
    close(fd);
    return held;
}

/* Waits (up to limit seconds) until the child holds the lock; false when it
 * exited or the time ran out first. The holder writes its process id into
 * the lock file once it has the lock: reading it never gets in the way of
 * the child taking the lock, as a probe with flock could. */
NIGHT_HELPER bool night_wait_for_lock(pid_t pid, const char *db, double limit)
{
    char path[NIGHT_PATH + 8];
    snprintf(path, sizeof path, "%s.lock", db);
    double end = night_now() + limit;
    while (night_now() < end) {
        char *text = ts_read_file(path, NULL);
        bool holds = text != NULL && atol(text) == (long)pid;
        free(text);
        if (holds)
            return true;
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return false;
        usleep(2000);
    }
    return false;
}

/* ---- the database, read as an outsider would with sqlite3 */

NIGHT_HELPER sqlite3 *night_open_db(const char *path)
{
    sqlite3 *db = NULL;
    ck_assert_msg(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK, "cannot open %s", path);
    sqlite3_busy_timeout(db, 10000);
    return db;
}

NIGHT_HELPER long long night_int(const char *db_path, const char *sql)
{
    sqlite3 *db = night_open_db(db_path);
    long long v = ts_query_int(db, sql);
    sqlite3_close(db);
    return v;
}

/* Runs a query with one optional text parameter, appending every row's
 * first column and a newline to a malloc'ed string. */
NIGHT_HELPER char *night_rows(sqlite3 *db, const char *sql, const char *param)
{
    sqlite3_stmt *st = NULL;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    if (param != NULL)
        sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
    size_t cap = 256, len = 0;
    char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    out[0] = '\0';
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        size_t n = strlen(v ? v : "");
        while (len + n + 2 > cap) {
            cap *= 2;
            out = realloc(out, cap);
            ck_assert_ptr_nonnull(out);
        }
        memcpy(out + len, v ? v : "", n);
        len += n;
        out[len++] = '\n';
        out[len] = '\0';
    }
    ck_assert_msg(rc == SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return out;
}

/* The live payments as "uscc amount_fen" lines in uscc order: two ledgers
 * that pay the same firms the same amounts give the same string. */
NIGHT_HELPER char *night_ledger(const char *db_path)
{
    sqlite3 *db = night_open_db(db_path);
    char *rows = night_rows(db,
                            "SELECT uscc || ' ' || amount_fen FROM payments"
                            " WHERE state NOT IN ('voided', 'returned') ORDER BY uscc",
                            NULL);
    sqlite3_close(db);
    return rows;
}

/* The index of a header column, or -1. */
NIGHT_HELPER int csv_table_column(const csv_table *t, const char *name)
{
    if (t->n_rows == 0)
        return -1;
    for (size_t c = 0; c < t->widths[0]; c++)
        if (strcmp(t->rows[0][c], name) == 0)
            return (int)c;
    return -1;
}

/* ---- the invariants */

/* Entries of a folder (without ., .. and .rebate-ledger), sorted, as a malloc'ed array of
 * malloc'ed names; *count set. A missing folder has none. */
NIGHT_HELPER char **night_list(const char *dir, size_t *count)
{
    *count = 0;
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, alphasort);
    if (n < 0)
        return NULL;
    char **names = calloc((size_t)n + 1, sizeof *names);
    ck_assert_ptr_nonnull(names);
    for (int i = 0; i < n; i++) {
        /* .rebate-ledger: the outbox's ledger identity, not a batch
         * (docs/operations.md); tests/cli/test_ledger.c tests it. */
        if (strcmp(list[i]->d_name, ".") != 0 && strcmp(list[i]->d_name, "..") != 0 &&
            strcmp(list[i]->d_name, ".rebate-ledger") != 0)
            names[(*count)++] = strdup(list[i]->d_name);
        free(list[i]);
    }
    free(list);
    return names;
}

NIGHT_HELPER void night_list_free(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* True when `sha256sum -c SHA256SUMS` passes in dir and the folder holds
 * exactly the files of a batch. */
NIGHT_HELPER bool night_batch_complete(const char *dir)
{
    size_t n = 0;
    char **names = night_list(dir, &n);
    bool ok = n == NIGHT_BATCH_FILES;
    for (size_t i = 0; ok && i < NIGHT_BATCH_FILES; i++) {
        bool found = false;
        for (size_t j = 0; j < n; j++)
            found = found || strcmp(names[j], night_batch_files[i]) == 0;
        ok = found;
    }
    night_list_free(names, n);
    if (!ok)
        return false;
    char cmd[NIGHT_PATH + 100];
    snprintf(cmd, sizeof cmd, "cd '%s' && sha256sum --quiet --strict -c SHA256SUMS >/dev/null 2>&1", dir);
    return system(cmd) == 0;
}

/* Counts payout.csv's rows and adds up its amount column. */
NIGHT_HELPER void night_payout_totals(const char *dir, long long *rows, long long *sum)
{
    char path[NIGHT_PATH + 20];
    snprintf(path, sizeof path, "%s/payout.csv", dir);
    csv_table t;
    ck_assert_msg(csv_table_read(path, &t), "cannot parse %s", path);
    int amount = csv_table_column(&t, "amount");
    ck_assert_msg(amount >= 0, "%s has no amount column", path);
    *rows = 0;
    *sum = 0;
    for (size_t r = 1; r < t.n_rows; r++) {
        rb_fen fen = 0;
        ck_assert_msg((size_t)amount < t.widths[r] &&
                          rb_money_parse(t.rows[r][amount], strlen(t.rows[r][amount]), &fen) == RB_MONEY_OK,
                      "%s row %zu: bad amount", path, r + 1);
        (*rows)++;
        *sum += fen;
    }
    csv_table_free(&t);
}

/* What a check found, for the statistics of the kill test. */
typedef struct night_state {
    bool db_exists;
    long long imports;       /* imports committed */
    long long batches;       /* batches recorded */
    int visible;             /* published batch folders */
    int staging_uncommitted; /* .staging- folders of batches not in the ledger */
    int staging_committed;   /* complete .staging- folders of recorded batches (killed between commit and rename) */
    int extracts_in_inbox;
    int extracts_moving;     /* in archive/.moving-* (killed while moving them) */
    int extracts_archived;
} night_state;

/* Checks every invariant of docs/reliability.md ("Crashes") on n, whatever
 * state a killed run left; with `settled` (after a run that finished) also
 * that nothing is left half-done; with `one_set` that the three extracts of
 * one delivery are each found exactly once, in the inbox or the archive.
 * `what` names the state in messages. */
NIGHT_HELPER void night_check(const night *n, bool settled, bool one_set, const char *what, night_state *state)
{
    night_state s;
    memset(&s, 0, sizeof s);
    struct stat sb;
    sqlite3 *db = NULL;
    s.db_exists = stat(n->db, &sb) == 0;
    if (s.db_exists) {
        db = night_open_db(n->db);
        char *integrity = night_rows(db, "PRAGMA integrity_check", NULL);
        ck_assert_msg(strcmp(integrity, "ok\n") == 0, "%s: integrity_check: %s", what, integrity);
        free(integrity);
        /* An empty file (killed before the schema) has no tables yet. */
        if (ts_query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'payments'") == 0) {
            sqlite3_close(db);
            db = NULL;
        }
    }
    /* Any other SQLite file of the database's (e.g. a snapshot kept
     * beside it) must be whole too, but for one still being written
     * (named *.new or *.tmp), which only a finished one replaces. */
    char db_dir[NIGHT_PATH];
    snprintf(db_dir, sizeof db_dir, "%s", n->db);
    char *slash = strrchr(db_dir, '/');
    ck_assert_ptr_nonnull(slash);
    *slash = '\0';
    const char *db_name = slash + 1;
    size_t n_beside = 0;
    char **beside = night_list(db_dir, &n_beside);
    for (size_t i = 0; i < n_beside; i++) {
        char path[NIGHT_PATH];
        night_path(path, db_dir, beside[i]);
        size_t name_len = strlen(db_name);
        if (strncmp(beside[i], db_name, name_len) != 0 || beside[i][name_len] != '.' ||
            lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 100)
            continue;
        size_t len = strlen(beside[i]);
        if (len > 4 && (strcmp(beside[i] + len - 4, ".new") == 0 || strcmp(beside[i] + len - 4, ".tmp") == 0))
            continue;
        FILE *f = fopen(path, "rb");
        char magic[16] = "";
        bool sqlite = f != NULL && fread(magic, 1, 16, f) == 16 && memcmp(magic, "SQLite format 3", 16) == 0;
        if (f != NULL)
            fclose(f);
        if (!sqlite)
            continue;
        sqlite3 *other = NULL;
        ck_assert_int_eq(sqlite3_open_v2(path, &other, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        char *integrity = night_rows(other, "PRAGMA integrity_check", NULL);
        ck_assert_msg(strcmp(integrity, "ok\n") == 0, "%s: integrity_check of %s: %s", what, beside[i], integrity);
        free(integrity);
        sqlite3_close(other);
    }
    night_list_free(beside, n_beside);
    if (db != NULL) {
        char *twice = night_rows(db,
                                 "SELECT uscc || ' ' || policy_year FROM payments"
                                 " WHERE state NOT IN ('voided', 'returned') GROUP BY uscc, policy_year"
                                 " HAVING count(*) > 1",
                                 NULL);
        ck_assert_msg(twice[0] == '\0', "%s: firms with two live payments:\n%s", what, twice);
        free(twice);
        ck_assert_msg(ts_query_int(db, "SELECT count(*) FROM payments WHERE batch_id NOT IN"
                                       " (SELECT batch_id FROM batches)") == 0,
                      "%s: payments without their batch", what);
        ck_assert_msg(ts_query_int(db, "SELECT count(*) FROM batches b WHERE payments <>"
                                       " (SELECT count(*) FROM payments p WHERE p.batch_id = b.batch_id)"
                                       " OR total_fen <> (SELECT coalesce(sum(amount_fen), 0) FROM payments p"
                                       " WHERE p.batch_id = b.batch_id)") == 0,
                      "%s: a batch whose recorded totals differ from its payments", what);
        s.imports = ts_query_int(db, "SELECT count(*) FROM imports");
        s.batches = ts_query_int(db, "SELECT count(*) FROM batches");
    }

    /* The outbox: whole batches, each recorded, matching the ledger. */
    size_t count = 0;
    char **names = night_list(n->outbox, &count);
    int shown_or_staged = 0;
    for (size_t i = 0; i < count; i++) {
        char dir[NIGHT_PATH];
        night_path(dir, n->outbox, names[i]);
        bool staging = strncmp(names[i], ".staging-", 9) == 0;
        /* The identity's temporary file, when the kill came between its
         * writing and its link (docs/operations.md): no batch, harmless. */
        if (strncmp(names[i], ".rebate-ledger.new-", 19) == 0)
            continue;
        const char *batch_id = staging ? names[i] + 9 : names[i];
        ck_assert_msg(names[i][0] != '.' || staging, "%s: unexpected '%s' in the outbox", what, names[i]);
        ck_assert_msg(strncmp(batch_id, "PREVIEW-", 8) != 0, "%s: a preview in the outbox", what);
        long long recorded = 0;
        if (db != NULL) {
            sqlite3_stmt *st = NULL;
            ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM batches WHERE batch_id = ?", -1, &st, NULL),
                             SQLITE_OK);
            sqlite3_bind_text(st, 1, batch_id, -1, SQLITE_TRANSIENT);
            ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
            recorded = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
        if (staging && !recorded) {
            /* An uncommitted run's leftovers: the next run removes them. */
            ck_assert_msg(!settled, "%s: staging folder '%s' left after a finished run", what, names[i]);
            s.staging_uncommitted++;
            continue;
        }
        ck_assert_msg(recorded, "%s: batch folder '%s' is not in the ledger", what, names[i]);
        ck_assert_msg(night_batch_complete(dir), "%s: batch folder '%s' is not whole (sha256sum -c)", what,
                      names[i]);
        if (staging) {
            ck_assert_msg(!settled, "%s: recorded batch '%s' left unpublished after a finished run", what, batch_id);
            char visible[NIGHT_PATH];
            night_path(visible, n->outbox, batch_id);
            ck_assert_msg(lstat(visible, &sb) != 0, "%s: batch %s both staged and published", what, batch_id);
            s.staging_committed++;
        } else {
            s.visible++;
        }
        shown_or_staged++;
        long long rows = 0, sum = 0;
        night_payout_totals(dir, &rows, &sum);
        sqlite3_stmt *st = NULL;
        ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*), coalesce(sum(amount_fen), 0) FROM payments"
                                                " WHERE batch_id = ?", -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(st, 1, batch_id, -1, SQLITE_TRANSIENT);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
        ck_assert_msg(sqlite3_column_int64(st, 0) == rows && sqlite3_column_int64(st, 1) == sum,
                      "%s: batch %s: payout.csv holds %lld rows totalling %lld fen, the ledger %lld totalling %lld",
                      what, batch_id, rows, sum, (long long)sqlite3_column_int64(st, 0),
                      (long long)sqlite3_column_int64(st, 1));
        sqlite3_finalize(st);
    }
    night_list_free(names, count);
    /* Every recorded batch has its files: published, or staged whole. */
    ck_assert_msg(shown_or_staged == s.batches, "%s: %lld batches recorded but %d have their folder", what, s.batches,
                  shown_or_staged);

    /* The extracts: each exactly once, in the inbox or the archive; in the
     * archive only when an import of exactly those bytes committed. */
    for (int f = 0; f < 3; f++) {
        int seen = 0;
        char path[NIGHT_PATH + 300];
        night_path(path, n->inbox, night_extracts[f]);
        if (lstat(path, &sb) == 0) {
            seen++;
            s.extracts_in_inbox++;
        }
        size_t m = 0;
        char **folders = night_list(n->archive, &m);
        for (size_t i = 0; i < m; i++) {
            snprintf(path, sizeof path, "%s/%s/%s", n->archive, folders[i], night_extracts[f]);
            if (lstat(path, &sb) != 0)
                continue;
            seen++;
            bool moving = strncmp(folders[i], ".moving-", 8) == 0;
            ck_assert_msg(!moving || !settled, "%s: '%s' left in the archive after a finished run", what, folders[i]);
            ck_assert_msg(folders[i][0] != '.' || moving, "%s: unexpected '%s' in the archive", what, folders[i]);
            if (moving)
                s.extracts_moving++;
            else
                s.extracts_archived++;
            char sha[RB_SHA256_HEX];
            ck_assert_int_eq(rb_sha256_file(path, sha, NULL), RB_OK);
            ck_assert_msg(db != NULL, "%s: '%s' archived but no import was recorded", what, path);
            sqlite3_stmt *st = NULL;
            ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM import_files WHERE file = ? AND sha256 = ?",
                                                -1, &st, NULL),
                             SQLITE_OK);
            sqlite3_bind_text(st, 1, night_extracts[f], -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, sha, -1, SQLITE_TRANSIENT);
            ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
            ck_assert_msg(sqlite3_column_int64(st, 0) > 0, "%s: '%s' was archived but never imported", what, path);
            sqlite3_finalize(st);
        }
        night_list_free(folders, m);
        ck_assert_msg(seen == 1 || !one_set, "%s: %s is found %d times in the inbox and archive", what, night_extracts[f], seen);
    }
    if (db != NULL)
        sqlite3_close(db);
    if (state != NULL)
        *state = s;
}

#endif
