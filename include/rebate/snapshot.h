/* The snapshot file: the tables an import loads (sql/snapshot.sql) live in
 * their own SQLite file beside the database, <db>.snapshot, attached to
 * every connection as schema "snapshot" (unqualified names such as
 * `registration` find it). An import builds <db>.snapshot.new without a
 * journal, fsyncs it and renames it over <db>.snapshot: all or nothing,
 * and the data written once. Also here: the packed months of a firm
 * (contribution_months.packed) and the view `contributions` that unpacks
 * them for SQL. */
#ifndef REBATE_SNAPSHOT_H
#define REBATE_SNAPSHOT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rebate/error.h"
#include "rebate/months.h"
#include "rebate/strbuf.h"

/* The format of the snapshot file (its PRAGMA user_version): a file of
 * another format is refused at open, and the next import replaces it. */
#define RB_SNAPSHOT_FORMAT 1

/* The file name of db's main database with ".snapshot" and suffix
 * ("<db>.snapshot", "<db>.snapshot.new"...) in out (replaced).
 * RB_E_INTERNAL for an in-memory database or when memory ran out. */
rb_status rb_snapshot_path(sqlite3 *db, const char *suffix, rb_strbuf *out, rb_error *err);

/* Attaches <db>.snapshot read-only as schema "snapshot", or, when there is
 * none yet, an empty snapshot in memory (so that a database never imported
 * reads as holding no firm). Registers the view `contributions`. Must be
 * called outside a transaction. A snapshot of another format is RB_E_DATA. */
rb_status rb_snapshot_attach(sqlite3 *db, rb_error *err);

/* Detaches it again (outside a transaction; harmless when not attached). */
void rb_snapshot_detach(sqlite3 *db);

/* Whether the snapshot attached to db is the one of the last import in the
 * history (call inside the write transaction, when no import can run): an
 * import may have put a new one in place after db attached its own. A
 * snapshot without a record of its own (never imported, or made by hand)
 * counts as current unless a snapshot file appeared meanwhile. */
rb_status rb_snapshot_is_current(sqlite3 *db, bool *current, rb_error *err);

/* A second connection to db's database for reading in another thread:
 * read-only, the same snapshot attached. RB_E_LOCKED when the snapshot
 * file is not the one db has (changed meanwhile). Close with sqlite3_close. */
rb_status rb_snapshot_open_reader(sqlite3 *db, sqlite3 **out, rb_error *err);

/* After a crash between the rename of a new snapshot and the commit of its
 * history, the snapshot names an import that imports does not hold: copies
 * the snapshot's own record (snapshot_import, snapshot_import_files) into
 * imports and import_files. A no-op when they agree. */
rb_status rb_snapshot_repair_history(sqlite3 *db, rb_error *err);

/* A snapshot being built. The caller holds the write transaction of the
 * main database, so that no other import builds one at the same time. */
typedef struct rb_snapshot_builder rb_snapshot_builder;

/* Removes a <db>.snapshot.new a crash left behind and creates a new one
 * (mode 0640) with the tables of sql/snapshot.sql, tuned for one bulk load
 * by one thread: no journal, no fsync until rb_snapshot_publish, a page
 * cache of cache_kib KiB. Everything is written in one transaction. */
rb_status rb_snapshot_create(sqlite3 *main_db, int cache_kib, rb_snapshot_builder **out, rb_error *err);

/* As rb_snapshot_create, but the new file is a copy of <db>.snapshot,
 * with its rows and indexes, to be patched (the import of a night that
 * changed a few lines). */
rb_status rb_snapshot_copy(sqlite3 *main_db, int cache_kib, rb_snapshot_builder **out, rb_error *err);

/* The connection that writes the new file (plain SQL into its tables). */
sqlite3 *rb_snapshot_builder_db(rb_snapshot_builder *b);

/* Appends one firm's months to contribution_months. The months are in
 * period order, periods distinct; firms must come in uscc order. */
rb_status rb_snapshot_add_months(rb_snapshot_builder *b, const char *uscc, const rb_month *months, size_t n,
                                 rb_error *err);

/* Creates the indexes, commits, closes and fsyncs the new file, renames it
 * over <db>.snapshot and fsyncs the folder. From then on the new snapshot is
 * the current one for every new connection (existing ones re-attach). Frees
 * b whatever happens. *published says whether the rename happened: on a
 * failure before it <db>.snapshot is unchanged and the new file removed;
 * after it (the folder's fsync failed) the new snapshot is in place. */
rb_status rb_snapshot_publish(rb_snapshot_builder *b, bool *published, rb_error *err);

/* Closes and removes the new file (NULL is fine). */
void rb_snapshot_abandon(rb_snapshot_builder *b);

/* Appends the packing of months (period order, periods distinct) to out, in
 * the format sql/snapshot.sql describes. False when memory ran out. */
bool rb_months_pack(const rb_month *months, size_t n, rb_strbuf *out);

/* Unpacks exactly n months from len bytes into *months (grown as needed,
 * capacity in *cap; free() it). False when the bytes are not n months
 * packed by rb_months_pack (a damaged snapshot) or memory ran out (*oom). */
bool rb_months_unpack(const void *data, size_t len, size_t n, rb_month **months, size_t *cap, bool *oom);

#endif
