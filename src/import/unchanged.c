/* Whether the extracts waiting in a folder are the very bytes the current
 * snapshot was imported from: then importing them again would rebuild the
 * same snapshot, and the nightly job leaves it as it is. */
#include <stdio.h>
#include <string.h>

#include "rebate/db.h"
#include "rebate/import.h"
#include "rebate/sha256.h"

rb_status rb_import_same_as_current(sqlite3 *db, const char *dir, rb_encoding encoding, bool *same,
                                    int64_t *import_id, rb_error *err)
{
    *same = false;
    *import_id = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT i.import_id, i.encoding, f.file, f.sha256 FROM main.imports AS i"
                           " JOIN main.import_files AS f ON f.import_id = i.import_id"
                           " WHERE i.import_id = (SELECT max(import_id) FROM main.imports)",
                           -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the last import", err);
    char recorded[RB_IMPORT_FILE_COUNT][RB_SHA256_HEX] = {{0}};
    int found = 0, rc;
    bool same_encoding = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *import_id = sqlite3_column_int64(st, 0);
        const char *asked = (const char *)sqlite3_column_text(st, 1);
        same_encoding = asked != NULL && strcmp(asked, rb_encoding_name(encoding)) == 0;
        const char *file = (const char *)sqlite3_column_text(st, 2);
        const char *sha = (const char *)sqlite3_column_text(st, 3);
        for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++)
            if (file != NULL && sha != NULL && strcmp(file, rb_import_file_name(i)) == 0 && !recorded[i][0]) {
                snprintf(recorded[i], sizeof recorded[i], "%s", sha);
                found++;
            }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rb_db_fail(db, "reading the last import", err);
    if (found != RB_IMPORT_FILE_COUNT || !same_encoding)
        return RB_OK;
    /* The small files first: a night's changes usually show there. */
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
        char path[4200], actual[RB_SHA256_HEX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, rb_import_file_name(i)) >= sizeof path)
            return rb_fail(err, RB_E_USAGE, "the path '%s/%s' is too long", dir, rb_import_file_name(i));
        rb_status s = rb_sha256_file(path, actual, err);
        if (s != RB_OK)
            return s;
        if (strcmp(actual, recorded[i]) != 0)
            return RB_OK;
    }
    *same = true;
    return RB_OK;
}
