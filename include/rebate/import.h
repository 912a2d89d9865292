/* The import stage: reads the three extracts of docs/formats.md from a folder
 * and replaces the snapshot (registration, insured_units, contributions,
 * row_errors, duplicate_rows) in one transaction, recording the import and
 * each file's SHA-256 and row accounting in imports / import_files. */
#ifndef REBATE_IMPORT_H
#define REBATE_IMPORT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "rebate/error.h"
#include "rebate/sha256.h"

/* How the extracts' bytes are decoded (docs/formats.md, "encoding"). */
typedef enum rb_encoding {
    RB_ENCODING_AUTO = 0, /* UTF-8 when the whole file is valid UTF-8, else GB18030 */
    RB_ENCODING_UTF8,     /* UTF-8, a leading BOM allowed */
    RB_ENCODING_GB18030   /* GB18030 (and so GBK), as Excel on a Chinese Windows writes */
} rb_encoding;

/* Parses "auto", "utf-8" (also "utf8") or "gb18030" (also "gbk"),
 * case-insensitively. Returns false for anything else. */
bool rb_encoding_parse(const char *text, rb_encoding *out);

/* "auto", "utf-8" or "gb18030". */
const char *rb_encoding_name(rb_encoding encoding);

/* The three extracts, in the order they are read and reported. */
enum { RB_IMPORT_REGISTRATION, RB_IMPORT_INSURED_UNITS, RB_IMPORT_CONTRIBUTIONS, RB_IMPORT_FILE_COUNT };

/* The file name of extract i ("registration.csv", ...). */
const char *rb_import_file_name(int file);

/* One file of an import: what import_files records. Always
 * rows_read = rows_loaded + rows_rejected + rows_duplicate + rows_conflicting. */
typedef struct rb_import_file_report {
    const char *file;            /* "registration.csv", ... (static) */
    char encoding[16];           /* as found: "utf-8", "utf-8-bom" or "gb18030" */
    char sha256[RB_SHA256_HEX];  /* of the file's bytes, lower-case hex */
    int64_t rows_read;           /* records after the header, blank ones not counted */
    int64_t rows_loaded;         /* in the snapshot */
    int64_t rows_rejected;       /* broke a rule: in row_errors */
    int64_t rows_duplicate;      /* equal to an earlier loaded row: in duplicate_rows */
    int64_t rows_conflicting;    /* same key, different values: in row_errors as DATA_CONFLICT */
    int64_t records_checked;     /* records read and checked by this import: rows_read, unless patched */
} rb_import_file_report;

typedef struct rb_import_report {
    int64_t import_id;                                  /* imports.import_id */
    bool patched;   /* a copy of the last snapshot was patched: only the firms on changed lines read again */
    rb_import_file_report files[RB_IMPORT_FILE_COUNT];  /* indexed by RB_IMPORT_* */
} rb_import_report;

/* The records this import read and checked, over the three files: every
 * row but for a patched import (rb_import_report.patched). */
int64_t rb_import_records_checked(const rb_import_report *report);

/* Checks that dir is a folder holding the three extracts as regular files
 * (a symlink is refused, not followed); RB_E_NOINPUT naming the first one
 * missing or unusable otherwise. rb_import does this itself before it
 * changes anything. */
rb_status rb_import_check(const char *dir, rb_error *err);

/* Reads dir/registration.csv, dir/insured_units.csv and dir/contributions.csv
 * and replaces the snapshot in db with them, in one transaction (the
 * caller must not hold one open). On success fills *out (may be NULL).
 * On failure nothing in db has changed and err names the file and line:
 * RB_E_NOINPUT for a missing folder or file, RB_E_DATA for a file refused
 * whole (missing or doubled column, no header, undecodable bytes, broken
 * CSV), RB_E_CANTWRITE / RB_E_LOCKED / RB_E_INTERNAL from the database.
 * Rows that break a rule do not fail the import: they are in row_errors. */
rb_status rb_import(sqlite3 *db, const char *dir, rb_encoding encoding, rb_import_report *out,
                    rb_error *err);

/* Row-error rule codes stored in row_errors.rule (docs/import.md). */
#define RB_ROW_FIELD_COUNT "FIELD_COUNT"                 /* more or fewer fields than the header */
#define RB_ROW_REQUIRED_MISSING "REQUIRED_MISSING"       /* a required field is empty */
#define RB_ROW_USCC_INVALID "USCC_INVALID"               /* not a GB 32100-2015 code */
#define RB_ROW_DATE_INVALID "DATE_INVALID"
#define RB_ROW_PERIOD_INVALID "PERIOD_INVALID"
#define RB_ROW_MONEY_INVALID "MONEY_INVALID"             /* not digits[.d[d]] */
#define RB_ROW_MONEY_RANGE "MONEY_RANGE"                 /* more than 2^63-1 fen */
#define RB_ROW_COUNT_INVALID "COUNT_INVALID"             /* not an integer 0-1000000 */
#define RB_ROW_STATUS_UNKNOWN "STATUS_UNKNOWN"           /* status or ui_status not in its vocabulary */
#define RB_ROW_REGION_CODE_INVALID "REGION_CODE_INVALID" /* not 6 digits */
#define RB_ROW_BANK_CODE_INVALID "BANK_CODE_INVALID"     /* not 12 digits */
#define RB_ROW_ACCOUNT_SOURCE_UNKNOWN "ACCOUNT_SOURCE_UNKNOWN"
#define RB_ROW_DISHONESTY_VALUE_UNKNOWN "DISHONESTY_VALUE_UNKNOWN"
#define RB_ROW_DATA_CONFLICT "DATA_CONFLICT"             /* conflicting duplicate */
#define RB_ROW_FIELD_TOO_LONG "FIELD_TOO_LONG"           /* a field longer than RB_IMPORT_FIELD_MAX */

/* Bytes a field of a spec column may hold (decoded UTF-8, trimmed): far
 * beyond any real name, address or account, so that a runaway value is a
 * row error rather than text carried into the snapshot and the batch. */
#define RB_IMPORT_FIELD_MAX (64 * 1024)

/* *same: the three extracts in dir are byte for byte (SHA-256) those of the
 * last import, read with the same encoding setting; *import_id is that
 * import (0 when there is none). Reads the files; changes nothing. */
rb_status rb_import_same_as_current(sqlite3 *db, const char *dir, rb_encoding encoding, bool *same,
                                    int64_t *import_id, rb_error *err);

#endif
