/* Opening the SQLite database, bringing its schema up to date from the
 * numbered migrations of sql/, and small helpers for transactions. */
#ifndef REBATE_DB_H
#define REBATE_DB_H

#include <sqlite3.h>
#include <stdbool.h>

#include "rebate/error.h"

typedef enum rb_db_mode {
    RB_DB_EXISTING = 0, /* the database must exist: RB_E_NOINPUT otherwise */
    RB_DB_CREATE = 1    /* created (mode 0640) when missing */
} rb_db_mode;

/* Opens path, sets the connection's pragmas (WAL, synchronous=FULL,
 * foreign keys, busy timeout), applies every migration of sql/ whose
 * number is above PRAGMA user_version, each in its own transaction, and
 * attaches the snapshot file <path>.snapshot as schema "snapshot" (empty
 * when nothing was imported yet; see rebate/snapshot.h), recording its
 * import in the history if a crash left it out. The connection is for one
 * thread at a time. On success *out is the open connection, to be closed
 * with rb_db_close. */
rb_status rb_db_open(const char *path, rb_db_mode mode, sqlite3 **out, rb_error *err);

/* Closes a connection opened by rb_db_open (NULL is fine). */
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
