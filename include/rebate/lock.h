/* The run lock: an exclusive, non-blocking flock on a lock file beside the
 * database, held by `nightly` and every command that writes the ledger, so
 * that a second run exits 75 at once and changes nothing. The kernel drops
 * the lock when its holder dies, so a killed run never blocks the next. */
#ifndef REBATE_LOCK_H
#define REBATE_LOCK_H

#include "rebate/error.h"

/* A held lock (opaque). */
typedef struct rb_lock rb_lock;

/* Takes the lock on the file at path, created (mode 0640) when missing,
 * never through a symlink. On success *out holds it until rb_lock_release.
 * Another holder: RB_E_LOCKED at once. The folder missing: RB_E_NOINPUT.
 * No write access to it: RB_E_NOPERM. The file cannot be opened or is not
 * a regular file: RB_E_CANTWRITE. */
rb_status rb_lock_acquire(const char *path, rb_lock **out, rb_error *err);

/* Takes the lock of a database: the file `<database>.lock`. A database
 * that does not exist is RB_E_NOINPUT, and no lock file is made. */
rb_status rb_lock_database(const char *database, rb_lock **out, rb_error *err);

/* Releases and frees the lock (NULL is fine). The lock file stays: removing
 * it would let two runs lock two different files of the same name. */
void rb_lock_release(rb_lock *lock);

#endif
