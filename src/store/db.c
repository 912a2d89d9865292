/* The database connection: creation (init), opening for writing or for
 * reading only, pragmas, migrations from sql/, the ledger's identity, and
 * the snapshot file attached beside it (src/store/snapshot.c). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebate/db.h"
#include "rebate/snapshot.h"
#include "rebate/sql_files.h"
#include "rebate/strbuf.h"

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
    if (sqlite3_prepare_v2(db, "PRAGMA main.user_version", -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the schema version", err);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return rb_db_fail(db, "reading the schema version", err);
    return RB_OK;
}

static rb_status too_new(const char *path, int version, rb_error *err)
{
    return rb_fail(err, RB_E_DATA, "database '%s' has schema version %d, newer than this program's %d; use a newer rebate",
                   path, version, rb_db_schema_version());
}

/* 16 random bytes from the kernel as 32 lowercase hexadecimal digits. */
static rb_status new_ledger_id(char id[RB_LEDGER_ID_SIZE], rb_error *err)
{
    unsigned char bytes[16];
    size_t got = 0;
    while (got < sizeof bytes) {
        ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return rb_fail(err, RB_E_INTERNAL, "cannot draw the ledger's identity from the kernel: %s",
                           strerror(errno));
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(id + 2 * i, 3, "%02x", bytes[i]);
    return RB_OK;
}

/* Gives the ledger its identity when it has none (a database made before
 * sql/007, or a new one). Inside the migration's transaction. */
static rb_status ensure_ledger_id(sqlite3 *db, rb_error *err)
{
    char id[RB_LEDGER_ID_SIZE];
    rb_status st = new_ledger_id(id, err);
    if (st != RB_OK)
        return st;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT OR IGNORE INTO ledger_identity (only_row, ledger_id, created_at)"
                           " VALUES (1, ?1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC) != SQLITE_OK || sqlite3_step(q) != SQLITE_DONE)
        st = rb_db_fail(db, "giving the ledger its identity", err);
    sqlite3_finalize(q);
    return st;
}

rb_status rb_db_ledger_id(sqlite3 *db, char id[RB_LEDGER_ID_SIZE], rb_error *err)
{
    sqlite3_stmt *q = NULL;
    rb_status st = RB_OK;
    if (sqlite3_prepare_v2(db, "SELECT ledger_id FROM main.ledger_identity WHERE only_row = 1", -1, &q, NULL) !=
        SQLITE_OK) {
        st = rb_db_fail(db, "reading the ledger's identity", err);
    } else {
        int rc = sqlite3_step(q);
        const unsigned char *text = rc == SQLITE_ROW ? sqlite3_column_text(q, 0) : NULL;
        if (rc == SQLITE_ROW && text != NULL && strlen((const char *)text) == RB_LEDGER_ID_SIZE - 1)
            memcpy(id, text, RB_LEDGER_ID_SIZE);
        else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
            st = rb_fail(err, RB_E_DATA, "database '%s' has no ledger identity", sqlite3_db_filename(db, "main"));
        else
            st = rb_db_fail(db, "reading the ledger's identity", err);
    }
    sqlite3_finalize(q);
    return st;
}

/* Applies the migrations above the database's version. The version read
 * before the transaction only saves a write lock when nothing is to do;
 * the one that counts is read again inside BEGIN IMMEDIATE, so of several
 * processes opening an old database at once one migrates and the others
 * find it done. */
static rb_status migrate(sqlite3 *db, const char *path, int *from, int *to, rb_error *err)
{
    int version = 0;
    rb_status st = read_user_version(db, &version, err);
    if (st != RB_OK)
        return st;
    *from = *to = version;
    if (version > rb_db_schema_version())
        return too_new(path, version, err);
    if (version == rb_db_schema_version())
        return RB_OK;
    if ((st = rb_db_begin(db, err)) != RB_OK)
        return st;
    if ((st = read_user_version(db, &version, err)) != RB_OK)
        goto fail;
    *from = *to = version;
    if (version > rb_db_schema_version()) {
        st = too_new(path, version, err);
        goto fail;
    }
    if (version == rb_db_schema_version()) {
        rb_db_rollback(db);
        return RB_OK;
    }
    for (size_t i = 0; i < rb_sql_file_count; i++) {
        int n = migration_number(rb_sql_files[i].name);
        if (n <= version)
            continue;
        if ((st = rb_db_exec_file(db, rb_sql_files[i].name, err)) != RB_OK)
            goto fail;
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", rb_db_schema_version());
    if ((st = ensure_ledger_id(db, err)) != RB_OK ||
        (st = rb_db_exec(db, sql, "setting the schema version", err)) != RB_OK ||
        (st = rb_db_commit(db, err)) != RB_OK)
        goto fail;
    *to = rb_db_schema_version();
    return RB_OK;
fail:
    rb_db_rollback(db);
    return st;
}

/* A read-only connection never migrates: an older database is refused. */
static rb_status check_version(sqlite3 *db, const char *path, rb_error *err)
{
    int version = 0;
    rb_status st = read_user_version(db, &version, err);
    if (st != RB_OK)
        return st;
    if (version > rb_db_schema_version())
        return too_new(path, version, err);
    if (version < rb_db_schema_version())
        return rb_fail(err, RB_E_DATA,
                       "database '%s' has schema version %d and needs version %d; run rebate migrate on it first"
                       " (as the account that owns it)",
                       path, version, rb_db_schema_version());
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

/* The folder of path, for messages and access checks. */
static void folder_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(out, size, ".");
    else if (slash == path)
        snprintf(out, size, "/");
    else
        snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* Checks, before SQLite tries, that this process may use the database as
 * mode needs: SQLite would otherwise open a file it cannot write read-only
 * without a word and fail later with "attempt to write a readonly
 * database". access() asks with the real user and group, as the kernel
 * will. */
static rb_status check_access(const char *path, rb_db_mode mode, rb_error *err)
{
    char folder[4200];
    folder_of(path, folder, sizeof folder);
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno == EACCES)
            return rb_fail(err, RB_E_NOPERM, "cannot reach database '%s': no search access to folder '%s'", path,
                           folder);
        if (errno == ENOENT)
            return rb_fail(err, RB_E_NOINPUT,
                           "database '%s' does not exist; a database is created only by rebate init", path);
        return rb_fail(err, RB_E_NOINPUT, "cannot open database '%s': %s", path, strerror(errno));
    }
    if (!S_ISREG(sb.st_mode))
        return rb_fail(err, RB_E_NOINPUT, "database '%s' is not a regular file", path);
    if (access(path, R_OK) != 0 && errno == EACCES)
        return rb_fail(err, RB_E_NOPERM, "cannot open database '%s': no read access to the file", path);
    char snapshot[4300];
    snprintf(snapshot, sizeof snapshot, "%s.snapshot", path);
    if (access(snapshot, R_OK) != 0 && errno == EACCES)
        return rb_fail(err, RB_E_NOPERM, "cannot open database '%s': no read access to its snapshot '%s'", path,
                       snapshot);
    if (mode == RB_DB_READONLY) {
        /* A database left in WAL mode is read through its -wal and -shm
         * files (SQLite reads a -shm it may not write). */
        static const char *const suffixes[] = {"-wal", "-shm"};
        for (size_t i = 0; i < 2; i++) {
            char side[4300];
            snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
            if (access(side, R_OK) != 0 && errno == EACCES)
                return rb_fail(err, RB_E_NOPERM, "cannot read database '%s': no read access to its file '%s'",
                               path, side);
        }
        return RB_OK;
    }
    if (access(path, W_OK) != 0 && errno == EACCES)
        return rb_fail(err, RB_E_NOPERM,
                       "cannot change database '%s': no write access to the file (commands that change the ledger "
                       "run as the account that owns it)",
                       path);
    if (access(folder, W_OK | X_OK) != 0 && errno == EACCES)
        return rb_fail(err, RB_E_NOPERM,
                       "cannot change database '%s': no write access to its folder '%s', where its journal files are "
                       "made",
                       path, folder);
    return RB_OK;
}

/* Opens path for mode: the connection, its pragmas, and (read-write) the
 * migrations, whose versions go to *from and *to. */
static rb_status open_db(const char *path, rb_db_mode mode, bool wal, sqlite3 **out, int *from, int *to,
                         rb_error *err)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, configure_sqlite);
    *out = NULL;
    sqlite3 *db = NULL;
    /* NOMUTEX: a connection is only ever used by one thread at a time, so
     * SQLite's own locking of every call is pure cost. URI: the snapshot is
     * attached read-only by a file: URI. */
    int flags = (mode == RB_DB_READONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOFOLLOW |
                SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    int rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        /* Out of memory is no missing input. */
        rb_status st = db == NULL || (rc & 0xff) == SQLITE_NOMEM
                           ? rb_fail(err, RB_E_INTERNAL, "out of memory opening database '%s'", path)
                       : (rc & 0xff) == SQLITE_PERM || (rc & 0xff) == SQLITE_READONLY
                           ? rb_fail(err, RB_E_NOPERM, "cannot open database '%s': %s", path, sqlite3_errmsg(db))
                           : rb_fail(err, RB_E_NOINPUT, "cannot open database '%s': %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return st;
    }
    sqlite3_busy_timeout(db, 10000);
    rb_status st = RB_OK;
    /* A new database (init, the one caller without WAL, hands an empty
     * file) gets 16 KiB pages, as the snapshot has: a first night writes
     * some 400 MB of ledger into the WAL and then into the file, and
     * larger pages make fewer writes and B-tree pages for the same rows
     * (docs/performance.md). Pages, once there, keep their size. */
    if (!wal)
        st = rb_db_exec(db, "PRAGMA page_size = 16384", "creating the database", err);
    /* WAL, so that readers and a writer never wait for each other, with
     * its -wal and -shm files kept when the last connection closes: a
     * reader without write access to the folder reads through them (it
     * cannot make them), see db.h. Not fatal when WAL cannot be had at
     * this instant (a rollback-journal reader holds the file): the
     * connection then works in the rollback journal. */
    if (mode != RB_DB_READONLY && wal) {
        int persist = 1;
        sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
        sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    }
    if (st == RB_OK)
        st = rb_db_exec(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", "setting up the connection",
                        err);
    /* A file that is not an SQLite database fails here (RB_E_DATA), not later. */
    if (st == RB_OK)
        st = mode == RB_DB_READONLY ? check_version(db, path, err) : migrate(db, path, from, to, err);
    if (st == RB_OK)
        st = refuse_old_layout(db, path, err);
    if (st == RB_OK)
        st = rb_snapshot_attach(db, err);
    if (st == RB_OK && mode != RB_DB_READONLY)
        st = rb_snapshot_repair_history(db, err);
    if (st != RB_OK) {
        if (mode == RB_DB_READONLY && st == RB_E_INTERNAL) {
            /* A reader that may not write fails in SQLite's terms ("unable
             * to open database file") when the WAL's shared memory cannot be
             * set up; tell it as the access it lacks. */
            int code = sqlite3_extended_errcode(db) & 0xff;
            if (code == SQLITE_CANTOPEN || code == SQLITE_READONLY) {
                char folder[4200];
                folder_of(path, folder, sizeof folder);
                rb_error_clear(err);
                st = rb_fail(err, RB_E_NOPERM,
                             "cannot read database '%s': it is in WAL mode and its -shm file cannot be made without "
                             "write access to folder '%s'",
                             path, folder);
            }
        }
        rb_db_close(db);
        return st;
    }
    *out = db;
    return RB_OK;
}

rb_status rb_db_open(const char *path, rb_db_mode mode, sqlite3 **out, rb_error *err)
{
    *out = NULL;
    rb_status st = check_access(path, mode, err);
    int from = 0, to = 0;
    return st != RB_OK ? st : open_db(path, mode, true, out, &from, &to, err);
}

rb_status rb_db_migrate(const char *path, int *from, int *to, rb_error *err)
{
    sqlite3 *db = NULL;
    rb_status st = check_access(path, RB_DB_EXISTING, err);
    if (st == RB_OK)
        st = open_db(path, RB_DB_EXISTING, true, &db, from, to, err);
    rb_db_close(db);
    return st;
}

/* A path that exists already, as init refuses it. */
static rb_status exists_already(const char *path, rb_error *err)
{
    return rb_fail(err, RB_E_CANTWRITE, "database '%s' exists already; nothing was changed", path);
}

rb_status rb_db_init(const char *path, sqlite3 **out, rb_error *err)
{
    if (out != NULL)
        *out = NULL;
    char folder[4200];
    folder_of(path, folder, sizeof folder);
    struct stat sb;
    if (lstat(path, &sb) == 0)
        return exists_already(path, err);
    if (errno == EACCES)
        return rb_fail(err, RB_E_NOPERM, "cannot create database '%s': no search access to folder '%s'", path,
                       folder);
    if (errno != ENOENT)
        return rb_fail(err, RB_E_NOINPUT, "cannot create database '%s': %s", path, strerror(errno));

    /* Built under a name of its own and linked into place when complete:
     * link() never replaces, so of several inits of one path exactly one
     * succeeds, and a crash leaves no half-made database at path. */
    rb_strbuf tmp = RB_STRBUF_INIT;
    if (!rb_strbuf_addf(&tmp, "%s.init-XXXXXX", path))
        return rb_fail(err, RB_E_INTERNAL, "out of memory creating database '%s'", path);
    int fd = mkstemp(tmp.buf);
    if (fd < 0) {
        int e = errno;
        rb_strbuf_release(&tmp);
        if (e == EACCES || e == EPERM || e == EROFS)
            return rb_fail(err, RB_E_NOPERM, "cannot create database '%s': no write access to folder '%s'", path,
                           folder);
        if (e == ENOENT)
            return rb_fail(err, RB_E_NOINPUT, "cannot create database '%s': folder '%s' does not exist", path,
                           folder);
        return rb_fail(err, RB_E_CANTWRITE, "cannot create database '%s': %s", path, strerror(e));
    }
    /* Owner and group only: it holds bank accounts. */
    rb_status st = RB_OK;
    if (fchmod(fd, 0640) != 0)
        st = rb_fail(err, RB_E_CANTWRITE, "cannot set the mode of '%s': %s", tmp.buf, strerror(errno));
    close(fd);
    sqlite3 *db = NULL;
    int from = 0, to = 0;
    /* The rollback journal while it is built: closing leaves one file. */
    if (st == RB_OK)
        st = open_db(tmp.buf, RB_DB_EXISTING, false, &db, &from, &to, err);
    /* The migrations' rebuilt tables leave free pages behind: a new
     * database starts without them. */
    if (st == RB_OK)
        st = rb_db_exec(db, "VACUUM", "creating the database", err);
    rb_db_close(db);
    db = NULL;
    if (st == RB_OK && link(tmp.buf, path) != 0) {
        if (errno == EEXIST)
            st = exists_already(path, err);
        else
            st = rb_fail(err, errno == EACCES || errno == EPERM ? RB_E_NOPERM : RB_E_CANTWRITE,
                         "cannot create database '%s': %s", path, strerror(errno));
    }
    unlink(tmp.buf);
    rb_strbuf_release(&tmp);
    if (st == RB_OK) {
        int dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    /* Opened once in WAL mode, so that its -wal and -shm files exist
     * before the first reader comes. */
    sqlite3 *opened = NULL;
    if (st == RB_OK)
        st = rb_db_open(path, RB_DB_EXISTING, &opened, err);
    if (st == RB_OK && out != NULL)
        *out = opened;
    else
        rb_db_close(opened);
    return st;
}

void rb_db_close(sqlite3 *db)
{
    if (db == NULL)
        return;
    if (sqlite3_db_readonly(db, "main") == 0) {
        /* Everything into the database file and the -wal emptied (see
         * db.h). Skipped, without waiting, while a reader needs the WAL. */
        sqlite3_busy_timeout(db, 0);
        sqlite3_exec(db, "PRAGMA main.wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    }
    sqlite3_close(db);
}
