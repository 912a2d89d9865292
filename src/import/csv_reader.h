/* Reading one extract as CSV records (private to src/import): decoding
 * (UTF-8 with or without BOM, GB18030 through iconv, `auto` deciding by a
 * first pass), the SHA-256 of the bytes parsed, strict RFC 4180 parsing
 * with libcsv, and the physical line where each record starts. Memory is
 * bounded by the longest record, never by the file's size. */
#ifndef REBATE_IMPORT_CSV_READER_H
#define REBATE_IMPORT_CSV_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "import/line_prints.h"
#include "rebate/error.h"
#include "rebate/import.h"
#include "rebate/sha256.h"

/* Bytes one record may span (decoded); a longer one refuses the file, as
 * it is nearly always a quote left open that swallows the rest. */
#define RB_CSV_MAX_RECORD (1024 * 1024)

/* One field of a record: decoded UTF-8, as libcsv returns it (quotes
 * removed, doubled quotes undone, spaces and tabs around it dropped). */
typedef struct rb_csv_field {
    const char *text; /* not NUL-terminated; valid during the callback only */
    size_t len;
} rb_csv_field;

/* Called for every record, in file order, with the line where it starts
 * (the first line of the file is 1). Lines holding nothing but spaces, tabs
 * and line ends are no record. Returning anything but RB_OK stops reading
 * and rb_csv_read returns that status (the callback records err). */
typedef rb_status (*rb_csv_record_fn)(void *ctx, int64_t line, const rb_csv_field *fields, size_t count,
                                      rb_error *err);

/* What reading found out about the file. */
typedef struct rb_csv_info {
    char encoding[16];          /* "utf-8", "utf-8-bom" or "gb18030" */
    char sha256[RB_SHA256_HEX]; /* of the file's bytes */
} rb_csv_info;

/* Reads the file at path (named `name` in messages about its contents)
 * and calls fn for each record. Fails with RB_E_NOINPUT when the file
 * cannot be opened or read, RB_E_DATA when it cannot be decoded, holds a NUL
 * byte, breaks RFC 4180 or has a record longer than RB_CSV_MAX_RECORD (each
 * with one sentence naming the file and line), or with fn's status. */
rb_status rb_csv_read(const char *path, const char *name, rb_encoding encoding, rb_csv_record_fn fn,
                      void *ctx, rb_csv_info *info, rb_error *err);

/* Called by rb_csv_read_once when an `auto` file turns out not to be UTF-8,
 * before its records are read again from the first, as GB18030: whatever
 * was done with the records seen so far is to be undone. */
typedef rb_status (*rb_csv_restart_fn)(void *ctx, rb_error *err);

/* rb_csv_read reading an `auto` file only once when it is UTF-8 (the usual
 * case): fn sees its records as the file is read, and restart is called if
 * a byte that is not UTF-8 comes, after which every record comes again.
 * The outcome is the same as rb_csv_read's, which checks the whole file
 * before its first record. */
rb_status rb_csv_read_once(const char *path, const char *name, rb_encoding encoding, rb_csv_record_fn fn,
                           rb_csv_restart_fn restart, void *ctx, rb_csv_info *info, rb_line_prints *prints,
                           rb_error *err);

/* A stretch of whole lines of a file, beginning between two records. */
typedef struct rb_csv_range {
    uint64_t offset;    /* its first byte */
    uint64_t length;    /* bytes */
    int64_t first_line; /* the line it begins with */
} rb_csv_range;

/* Reads only the records of the ranges (in file order, not overlapping),
 * each as the whole file's reading would meet them, decoded as UTF-8 (utf8)
 * or GB18030: what the last import read of a file whose other lines are
 * unchanged. RB_E_DATA also when a range ends inside a record (except at
 * the file's end), or holds bytes that are not of the encoding: the caller
 * then reads the whole file. starts (starts_bytes long, may be NULL) gets
 * the bit of each run of RB_PRINT_LINES lines that begins in a range. */
rb_status rb_csv_read_ranges(const char *path, const char *name, bool utf8, const rb_csv_range *ranges, size_t n,
                             rb_csv_record_fn fn, void *ctx, unsigned char *starts, size_t starts_bytes,
                             rb_error *err);

#endif
