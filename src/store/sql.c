/* The small SQL helpers every module of the store uses: the embedded
 * sql/ files, statements without results, transactions and the one way an
 * SQLite failure becomes an rb_status. Kept apart from db.c (opening and
 * migrating) so that the snapshot, which db.c attaches, needs nothing of it. */
#include <stdio.h>
#include <string.h>

#include "rebate/db.h"
#include "rebate/sql_files.h"

const char *rb_sql_text(const char *name)
{
    for (size_t i = 0; i < rb_sql_file_count; i++)
        if (strcmp(rb_sql_files[i].name, name) == 0)
            return rb_sql_files[i].text;
    return NULL;
}

rb_status rb_db_fail(sqlite3 *db, const char *what, rb_error *err)
{
    int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
    if (code == SQLITE_FULL || code == SQLITE_IOERR || (code & 0xff) == SQLITE_IOERR)
        return rb_fail(err, RB_E_CANTWRITE, "cannot write the database while %s: %s", what,
                       db ? sqlite3_errmsg(db) : "no connection");
    if ((code & 0xff) == SQLITE_NOTADB || (code & 0xff) == SQLITE_CORRUPT)
        return rb_fail(err, RB_E_DATA, "the database is unusable while %s: %s", what, sqlite3_errmsg(db));
    if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
        return rb_fail(err, RB_E_LOCKED, "the database is busy while %s: %s; try later", what,
                       sqlite3_errmsg(db));
    return rb_fail(err, RB_E_INTERNAL, "database error while %s: %s", what,
                   db ? sqlite3_errmsg(db) : "no connection");
}

rb_status rb_db_exec(sqlite3 *db, const char *sql, const char *what, rb_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        rb_status st = rb_db_fail(db, what, err);
        sqlite3_free(msg);
        return st;
    }
    return RB_OK;
}

rb_status rb_db_exec_file(sqlite3 *db, const char *name, rb_error *err)
{
    const char *sql = rb_sql_text(name);
    if (sql == NULL)
        return rb_fail(err, RB_E_INTERNAL, "the program has no built-in sql/%s", name);
    char what[128];
    snprintf(what, sizeof what, "running sql/%s", name);
    return rb_db_exec(db, sql, what, err);
}

rb_status rb_db_begin(sqlite3 *db, rb_error *err)
{
    return rb_db_exec(db, "BEGIN IMMEDIATE", "starting a transaction", err);
}

rb_status rb_db_commit(sqlite3 *db, rb_error *err)
{
    return rb_db_exec(db, "COMMIT", "committing", err);
}

void rb_db_rollback(sqlite3 *db)
{
    if (db != NULL && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}
