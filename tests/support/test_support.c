/* Implementation of the shared test helpers (see test_support.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rebate/db.h"
#include "rebate/snapshot.h"
#include "test_support.h"

const char *ts_tmpdir(void)
{
    static char path[4096];
    const char *base = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/rebate-test-XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(path) == NULL)
        ck_abort_msg("mkdtemp: %s", strerror(errno));
    return path;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void ts_rmtree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void ts_write_file(const char *dir, const char *name, const char *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (len == (size_t)-1)
        len = strlen(data);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

char *ts_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *p = realloc(buf, cap * 2);
            if (p == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

const char *ts_fixture(const char *relative)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/%s", REBATE_SOURCE_DIR, relative);
    return path;
}

static char *slurp_fd(int fd)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    ssize_t got;
    while (buf && (got = read(fd, buf + n, cap - n - 1)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        n += (size_t)got;
        if (cap - n - 1 == 0) {
            char *p = realloc(buf, cap * 2);
            if (p == NULL) {
                free(buf);
                return NULL;
            }
            buf = p;
            cap *= 2;
        }
    }
    if (buf)
        buf[n] = '\0';
    return buf;
}

int ts_run_rebate(char **out, char **err, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int status = ts_run_rebate_v(out, err, arg, ap);
    va_end(ap);
    return status;
}

int ts_rerun_rebate(char **out, char **err, const char *arg, ...)
{
    free(*out);
    free(*err);
    *out = *err = NULL;
    va_list ap;
    va_start(ap, arg);
    int status = ts_run_rebate_v(out, err, arg, ap);
    va_end(ap);
    return status;
}

static void (*on_pause)(void *ctx);
static void *on_pause_ctx;

void ts_on_pause(void (*fn)(void *ctx), void *ctx)
{
    on_pause = fn;
    on_pause_ctx = ctx;
}

int ts_run_rebate_v(char **out, char **err, const char *arg, va_list ap)
{
    const char *argv[64];
    int argc = 0;
    argv[argc++] = REBATE_BINARY;
    for (const char *a = arg; a != NULL && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = a;
    argv[argc] = NULL;

    /* Capture through temporary files: no pipe can fill and dead-lock. */
    char out_path[] = "/tmp/rebate-test-out-XXXXXX";
    char err_path[] = "/tmp/rebate-test-err-XXXXXX";
    int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
    ck_assert(out_fd >= 0 && err_fd >= 0);
    unlink(out_path);
    unlink(err_path);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    for (;;) {
        if (waitpid(pid, &status, on_pause != NULL ? WUNTRACED : 0) < 0) {
            ck_assert_int_eq(errno, EINTR);
            continue;
        }
        if (!WIFSTOPPED(status))
            break;
        on_pause(on_pause_ctx);
        ck_assert_int_eq(kill(pid, SIGCONT), 0);
    }
    lseek(out_fd, 0, SEEK_SET);
    lseek(err_fd, 0, SEEK_SET);
    if (out)
        *out = slurp_fd(out_fd);
    if (err)
        *err = slurp_fd(err_fd);
    close(out_fd);
    close(err_fd);
    if (WIFSIGNALED(status))
        return -WTERMSIG(status);
    return WEXITSTATUS(status);
}

void ts_init_db(const char *db_path)
{
    rb_error err = {0};
    ck_assert_msg(rb_db_init(db_path, NULL, &err) == RB_OK, "init %s: %s", db_path, err.message);
}

long long ts_query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "prepare %s: %s", sql,
                  sqlite3_errmsg(db));
    ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "no row from %s", sql);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

sqlite3 *ts_open_db(const char *db_path)
{
    sqlite3 *db = NULL;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_msg(rb_db_open(db_path, RB_DB_EXISTING, &db, &err) == RB_OK, "open %s: %s", db_path, err.message);
    return db;
}

struct ts_snapshot {
    rb_snapshot_builder *builder;
};

static void snapshot_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
    sqlite3_free(msg);
}

ts_snapshot *ts_snapshot_begin(sqlite3 *db)
{
    ts_snapshot *s = calloc(1, sizeof *s);
    ck_assert(s != NULL);
    rb_error err;
    rb_error_clear(&err);
    ck_assert_msg(rb_snapshot_create(db, 0, &s->builder, &err) == RB_OK, "%s", err.message);
    /* The months wait here until the publication packs them per firm. */
    snapshot_sql(rb_snapshot_builder_db(s->builder),
                 "CREATE TEMP TABLE months (uscc TEXT NOT NULL, period INTEGER NOT NULL, insured_count INTEGER,"
                 " employer_due INTEGER, employer_paid INTEGER, employee_due INTEGER, employee_paid INTEGER,"
                 " new_claimants INTEGER, line INTEGER, PRIMARY KEY (uscc, period))");
    return s;
}

void ts_snapshot_exec(ts_snapshot *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    ck_assert(sql != NULL);
    snapshot_sql(rb_snapshot_builder_db(s->builder), sql);
    sqlite3_free(sql);
}

void ts_snapshot_month(ts_snapshot *s, const char *uscc, int period, long long insured_count, long long employer_due,
                       long long employer_paid, long long employee_due, long long employee_paid,
                       long long new_claimants, long long line)
{
    ts_snapshot_exec(s, "INSERT INTO temp.months VALUES (%Q, %d, %lld, %lld, %lld, %lld, %lld, %lld, %lld)", uscc,
                     period, insured_count, employer_due, employer_paid, employee_due, employee_paid, new_claimants,
                     line);
}

void ts_snapshot_publish(ts_snapshot *s, sqlite3 *db)
{
    sqlite3 *sdb = rb_snapshot_builder_db(s->builder);
    sqlite3_stmt *q = NULL;
    ck_assert(sqlite3_prepare_v2(sdb, "SELECT * FROM temp.months ORDER BY uscc, period", -1, &q, NULL) == SQLITE_OK);
    rb_month months[512];
    size_t n = 0;
    char uscc[64] = "";
    rb_error err;
    rb_error_clear(&err);
    for (;;) {
        int rc = sqlite3_step(q);
        ck_assert(rc == SQLITE_ROW || rc == SQLITE_DONE);
        const char *code = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : "";
        if (n > 0 && (rc == SQLITE_DONE || strcmp(code, uscc) != 0)) {
            ck_assert_msg(rb_snapshot_add_months(s->builder, uscc, months, n, &err) == RB_OK, "%s", err.message);
            n = 0;
        }
        if (rc == SQLITE_DONE)
            break;
        ck_assert(n < sizeof months / sizeof months[0]);
        snprintf(uscc, sizeof uscc, "%s", code);
        rb_month *m = &months[n++];
        m->period = sqlite3_column_int(q, 1);
        m->insured_count = sqlite3_column_int64(q, 2);
        m->employer_due = sqlite3_column_int64(q, 3);
        m->employer_paid = sqlite3_column_int64(q, 4);
        m->employee_due = sqlite3_column_int64(q, 5);
        m->employee_paid = sqlite3_column_int64(q, 6);
        m->new_claimants = sqlite3_column_int64(q, 7);
        m->line = sqlite3_column_int64(q, 8);
    }
    sqlite3_finalize(q);
    snapshot_sql(sdb, "DROP TABLE temp.months");
    ck_assert_msg(sqlite3_get_autocommit(db), "ts_snapshot_publish inside a transaction of the main database");
    rb_snapshot_detach(db);
    bool published = false;
    ck_assert_msg(rb_snapshot_publish(s->builder, &published, &err) == RB_OK, "%s", err.message);
    ck_assert_msg(rb_snapshot_attach(db, &err) == RB_OK, "%s", err.message);
    free(s);
}

int ts_main(Suite *(*make_suite)(void))
{
    SRunner *sr = srunner_create(make_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
