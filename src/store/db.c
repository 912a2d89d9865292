/* The database connection: open or create, pragmas, migrations from sql/,
 * and the snapshot file attached beside it (src/store/snapshot.c). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebate/db.h"
#include "rebate/snapshot.h"
#include "rebate/sql_files.h"

/* A migration is a file named NNN_*.sql; returns NNN, or -1 for other files
 * (seed data and queries also live in sql/). */
static int migration_number(const char *name)
{
    if (strlen(name) < 5 || name[3] != '_')
        return -1;
    for (int i = 0; i < 3; i++)
        if (name[i] < '0' || name[i] > '9')
            return -1;
    return (name[0] - '0') * 100 + (name[1] - '0') * 10 + (name[2] - '0');
}

int rb_db_schema_version(void)
{
    int highest = 0;
    for (size_t i = 0; i < rb_sql_file_count; i++) {
        int n = migration_number(rb_sql_files[i].name);
        if (n > highest)
            highest = n;
    }
    return highest;
}

static rb_status read_user_version(sqlite3 *db, int *out, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the schema version", err);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return rb_db_fail(db, "reading the schema version", err);
    return RB_OK;
}

static rb_status migrate(sqlite3 *db, const char *path, rb_error *err)
{
    int version = 0;
    rb_status st = read_user_version(db, &version, err);
    if (st != RB_OK)
        return st;
    if (version > rb_db_schema_version())
        return rb_fail(err, RB_E_DATA,
                       "database '%s' has schema version %d, newer than this program's %d; use a newer rebate",
                       path, version, rb_db_schema_version());
    for (size_t i = 0; i < rb_sql_file_count; i++) {
        int n = migration_number(rb_sql_files[i].name);
        if (n <= version)
            continue;
        char sql[64];
        if ((st = rb_db_begin(db, err)) != RB_OK)
            return st;
        if ((st = rb_db_exec_file(db, rb_sql_files[i].name, err)) != RB_OK) {
            rb_db_rollback(db);
            return st;
        }
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", n);
        if ((st = rb_db_exec(db, sql, "setting the schema version", err)) != RB_OK ||
            (st = rb_db_commit(db, err)) != RB_OK) {
            rb_db_rollback(db);
            return st;
        }
        version = n;
    }
    return RB_OK;
}

/* Development databases kept the snapshot tables in the main file; their
 * stale tables would hide the snapshot file's (unqualified names look in
 * main first). Nothing was released with that layout. */
static rb_status refuse_old_layout(sqlite3 *db, const char *path, rb_error *err)
{
    sqlite3_stmt *q = NULL;
    int old = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM main.sqlite_schema WHERE type = 'table'"
                           " AND name IN ('registration', 'insured_units', 'contributions', 'row_errors')",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_finalize(q);
        return rb_db_fail(db, "reading the schema", err);
    }
    old = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (old > 0)
        return rb_fail(err, RB_E_DATA,
                       "database '%s' was made by a development version of rebate that kept the snapshot inside it; "
                       "import the extracts into a new database",
                       path);
    return RB_OK;
}

/* SQLite counts every allocation under a global mutex unless told not to;
 * nothing here reads those counts. Only possible before SQLite's first use
 * in the process (later it is refused, harmlessly). */
static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

rb_status rb_db_open(const char *path, rb_db_mode mode, sqlite3 **out, rb_error *err)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, configure_sqlite);
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno != ENOENT || mode != RB_DB_CREATE)
            return rb_fail(err, RB_E_NOINPUT, "cannot open database '%s': %s", path, strerror(errno));
        /* Create it with owner/group-only permissions: it holds bank accounts. */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
        if (fd < 0 && errno != EEXIST)
            return rb_fail(err, RB_E_CANTWRITE, "cannot create database '%s': %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
    } else if (!S_ISREG(sb.st_mode)) {
        return rb_fail(err, RB_E_NOINPUT, "database '%s' is not a regular file", path);
    }

    sqlite3 *db = NULL;
    /* NOMUTEX: a connection is only ever used by one thread at a time, so
     * SQLite's own locking of every call is pure cost. URI: the snapshot is
     * attached read-only by a file: URI. */
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX |
                                            SQLITE_OPEN_URI, NULL);
    if (rc != SQLITE_OK) {
        /* Out of memory is no missing input. */
        rb_status st = db == NULL || (rc & 0xff) == SQLITE_NOMEM
                           ? rb_fail(err, RB_E_INTERNAL, "out of memory opening database '%s'", path)
                           : rb_fail(err, RB_E_NOINPUT, "cannot open database '%s': %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return st;
    }
    sqlite3_busy_timeout(db, 10000);
    rb_status st = rb_db_exec(db,
                              "PRAGMA journal_mode = WAL;"
                              "PRAGMA synchronous = FULL;"
                              "PRAGMA foreign_keys = ON;",
                              "setting up the connection", err);
    /* A file that is not an SQLite database fails here (RB_E_DATA), not later. */
    if (st == RB_OK)
        st = migrate(db, path, err);
    if (st == RB_OK)
        st = refuse_old_layout(db, path, err);
    if (st == RB_OK)
        st = rb_snapshot_attach(db, err);
    if (st == RB_OK)
        st = rb_snapshot_repair_history(db, err);
    if (st != RB_OK) {
        sqlite3_close(db);
        return st;
    }
    *out = db;
    return RB_OK;
}

void rb_db_close(sqlite3 *db)
{
    if (db != NULL)
        sqlite3_close(db);
}
