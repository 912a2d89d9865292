/* rb_import with its sorting memory given (private to src/import and its
 * tests): a small amount makes even a small extract go through many sorted
 * runs on disk and their merge, as only a province's extract otherwise
 * would. */
#ifndef REBATE_IMPORT_INTERNAL_H
#define REBATE_IMPORT_INTERNAL_H

#include <stddef.h>

#include "rebate/import.h"

rb_status rb_import_sized(sqlite3 *db, const char *dir, rb_encoding encoding, size_t sort_memory,
                          rb_import_report *out, rb_error *err);

#endif
