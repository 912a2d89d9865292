/* Creating the SQLite database (rb_db_init, the only way one comes to
 * exist), opening it for writing (brought up to date from the numbered
 * migrations of sql/ first) or for reading only (never migrated), the
 * ledger's identity, and small helpers for transactions. */
#ifndef REBATE_DB_H
#define REBATE_DB_H

#include <sqlite3.h>
#include <stdbool.h>

#include "rebate/error.h"

/* Both modes need an existing database: a missing one is RB_E_NOINPUT
 * (only rb_db_init creates one, so a mistyped path never starts a second
 * ledger). A file or folder the process may not use as the mode needs is
 * RB_E_NOPERM, naming it and the access missing. */
typedef enum rb_db_mode {
    /* Read-write: the migrations of sql/ above PRAGMA user_version are
     * applied first, all in one BEGIN IMMEDIATE transaction that re-reads
     * the version (several processes may open an old database at once). */
    RB_DB_EXISTING = 0,
    /* Read-only (SQLITE_OPEN_READONLY): never migrated and never written;
     * a database that needs a migration is refused (RB_E_DATA, naming
     * `rebate migrate`). Needs only read access to the file and its folder. */
    RB_DB_READONLY = 1
} rb_db_mode;

/* The ledger's identity: 32 lowercase hexadecimal digits and a NUL. */
#define RB_LEDGER_ID_SIZE 33

/* Opens path, sets the connection's pragmas (WAL while writing,
 * synchronous=FULL, foreign keys, busy timeout), migrates it (read-write
 * mode) and attaches the snapshot file <path>.snapshot as schema
 * "snapshot" (empty when nothing was imported yet; see rebate/snapshot.h),
 * recording its import in the history if a crash left it out (read-write
 * mode). The connection is for one thread at a time. On success *out is
 * the open connection, to be closed with rb_db_close. */
rb_status rb_db_open(const char *path, rb_db_mode mode, sqlite3 **out, rb_error *err);

/* Creates the database path: the schema of every migration, the seeded
 * parameter rows and a new random identity. The file is built under a
 * temporary name beside path and linked into place complete, so it exists
 * whole or not at all; when path exists already (or appears meanwhile:
 * of several at once exactly one succeeds) it is RB_E_CANTWRITE and
 * nothing is changed. With out non-NULL the new database is then opened
 * as rb_db_open(RB_DB_EXISTING) does. */
rb_status rb_db_init(const char *path, sqlite3 **out, rb_error *err);

/* Brings the existing database path up to date (as opening it for writing
 * does) and reports the schema version before and after. */
rb_status rb_db_migrate(const char *path, int *from, int *to, rb_error *err);

/* The ledger's identity (sql/007_ledger_identity.sql) into id. */
rb_status rb_db_ledger_id(sqlite3 *db, char id[RB_LEDGER_ID_SIZE], rb_error *err);

/* Closes a connection opened by rb_db_open (NULL is fine). A read-write
 * connection first checkpoints the WAL into the database file and empties
 * it (when no reader needs it just then). Read-write connections keep the
 * -wal and -shm files when they close (SQLITE_FCNTL_PERSIST_WAL): a reader
 * that may not write in the folder cannot make them, but reads through
 * them (docs/operations.md, "Permissions"). */
void rb_db_close(sqlite3 *db);

/* Runs one or more SQL statements without results; the message names what
 * (a short description such as "the snapshot tables") failed and why. */
rb_status rb_db_exec(sqlite3 *db, const char *sql, const char *what, rb_error *err);

/* Runs the embedded sql/<name> file. */
rb_status rb_db_exec_file(sqlite3 *db, const char *name, rb_error *err);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. rb_db_rollback ignores errors, as it
 * runs on paths that are already failing. */
rb_status rb_db_begin(sqlite3 *db, rb_error *err);
rb_status rb_db_commit(sqlite3 *db, rb_error *err);
void rb_db_rollback(sqlite3 *db);

/* Records an SQLite failure on db as an internal error naming `what`. */
rb_status rb_db_fail(sqlite3 *db, const char *what, rb_error *err);

/* The schema version this program brings the database to. */
int rb_db_schema_version(void);

#endif
