/* Preparing the import of a night that changed a few lines
 * (src/import/patch.h): which runs of lines changed, which firms were or
 * are on them, their rows taken out of a copy of the snapshot, and the runs
 * of lines to read again. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <xxhash.h>

#include "import/extracts.h"
#include "import/patch.h"
#include "rebate/alloc.h"
#include "rebate/db.h"
#include "rebate/strbuf.h"
#include "rebate/text.h"
#include "rebate/uscc.h"

/* ------------------------------------------------------------ code sets */

/* The codes of the firms read again: open addressing, 18 bytes a slot. */
typedef struct code_set {
    char (*slots)[RB_USCC_LEN];
    unsigned char *used;
    size_t cap, count;
} code_set;

static size_t code_slot(const code_set *s, const char *code)
{
    size_t i = (size_t)XXH3_64bits(code, RB_USCC_LEN) & (s->cap - 1);
    while (s->used[i] && memcmp(s->slots[i], code, RB_USCC_LEN) != 0)
        i = (i + 1) & (s->cap - 1);
    return i;
}

static bool code_set_has(const code_set *s, const char *code)
{
    return s->cap > 0 && s->used[code_slot(s, code)];
}

static bool code_set_add(code_set *s, const char *code)
{
    if ((s->count + 1) * 2 > s->cap) {
        code_set bigger = {.cap = s->cap ? s->cap * 2 : 1024};
        bigger.slots = rb_malloc(bigger.cap * sizeof *bigger.slots);
        bigger.used = rb_calloc(bigger.cap, 1);
        if (bigger.slots == NULL || bigger.used == NULL) {
            free(bigger.slots);
            free(bigger.used);
            return false;
        }
        for (size_t i = 0; i < s->cap; i++)
            if (s->used[i]) {
                size_t j = code_slot(&bigger, s->slots[i]);
                memcpy(bigger.slots[j], s->slots[i], RB_USCC_LEN);
                bigger.used[j] = 1;
                bigger.count++;
            }
        free(s->slots);
        free(s->used);
        *s = bigger;
    }
    size_t i = code_slot(s, code);
    if (!s->used[i]) {
        memcpy(s->slots[i], code, RB_USCC_LEN);
        s->used[i] = 1;
        s->count++;
    }
    return true;
}

static void code_set_free(code_set *s)
{
    free(s->slots);
    free(s->used);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------ line bits */

static void set_bit(uint64_t *bits, int64_t line)
{
    uint64_t b = (uint64_t)(line - 1);
    bits[b / 64] |= (uint64_t)1 << (b % 64);
}

/* The words of a bitmap of lines. */
static size_t words_of(int64_t lines)
{
    return (size_t)(lines / 64) + 1;
}

/* Sets the bits of the lines of run r (1..lines only). */
static void set_run(uint64_t *bits, size_t r, int64_t lines)
{
    int64_t first = (int64_t)r * RB_PRINT_LINES + 1, last = first + RB_PRINT_LINES - 1;
    for (int64_t line = first; line <= last && line <= lines; line++)
        set_bit(bits, line);
}

/* Whether a bit of the lines of run r is set. */
static bool any_in_run(const uint64_t *bits, size_t r, int64_t lines)
{
    int64_t first = (int64_t)r * RB_PRINT_LINES + 1, last = first + RB_PRINT_LINES - 1;
    for (int64_t line = first; line <= last && line <= lines; line++)
        if (rb_line_bit(bits, line))
            return true;
    return false;
}

/* A line of the file, as the last snapshot can name one (1..lines). */
static bool line_in(const rb_patch_file *f, int64_t line)
{
    return line >= 1 && line <= f->prints.lines;
}

/* ------------------------------------------------------------ the last import */

/* What the current snapshot says of the extracts. */
typedef struct last_file {
    int64_t lines;
    unsigned char *hashes, *starts, *header;
    size_t hashes_len, starts_len, header_len;
    int64_t header_line;
} last_file;

typedef struct last_import {
    last_file files[RB_IMPORT_FILE_COUNT];
    bool usable;
} last_import;

static void last_import_free(last_import *last)
{
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
        free(last->files[i].hashes);
        free(last->files[i].starts);
        free(last->files[i].header);
    }
}

static int file_index(const char *name)
{
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++)
        if (name != NULL && strcmp(name, rb_import_file_name(i)) == 0)
            return i;
    return -1;
}

static void *blob_copy(sqlite3_stmt *q, int col, size_t *len)
{
    *len = (size_t)sqlite3_column_bytes(q, col);
    const void *blob = sqlite3_column_blob(q, col);
    void *copy = rb_malloc(*len ? *len : 1);
    if (copy != NULL && *len > 0)
        memcpy(copy, blob, *len);
    return copy;
}

/* Reads the current snapshot's record of its import (old: a read-only
 * connection to it). last->usable is false when it has none that fits:
 * another encoding asked for, no fingerprints (a snapshot made before they
 * were kept), an extract missing. */
static rb_status read_last_import(sqlite3 *old, rb_encoding encoding, rb_patch *patch, last_import *last,
                                  rb_error *err)
{
    memset(last, 0, sizeof *last);
    sqlite3_stmt *q = NULL;
    rb_status st = RB_OK;
    int rc;
    if (sqlite3_prepare_v2(old, "SELECT encoding FROM snapshot_import", -1, &q, NULL) != SQLITE_OK)
        return rb_db_fail(old, "reading the last import's record", err);
    int imports = 0;
    bool same_encoding = false;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *asked = (const char *)sqlite3_column_text(q, 0);
        same_encoding = asked != NULL && strcmp(asked, rb_encoding_name(encoding)) == 0;
        imports++;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return rb_db_fail(old, "reading the last import's record", err);
    if (imports != 1 || !same_encoding)
        return RB_OK;

    if (sqlite3_prepare_v2(old,
                           "SELECT file, encoding, rows_read, rows_loaded, rows_rejected, rows_duplicate,"
                           " rows_conflicting FROM snapshot_import_files",
                           -1, &q, NULL) != SQLITE_OK)
        return rb_db_fail(old, "reading the last import's record", err);
    int found = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int i = file_index((const char *)sqlite3_column_text(q, 0));
        const char *enc = (const char *)sqlite3_column_text(q, 1);
        if (i < 0 || enc == NULL)
            continue;
        rb_patch_file *f = &patch->files[i];
        snprintf(f->encoding, sizeof f->encoding, "%s", enc);
        f->last.file = rb_import_file_name(i);
        f->last.rows_read = sqlite3_column_int64(q, 2);
        f->last.rows_loaded = sqlite3_column_int64(q, 3);
        f->last.rows_rejected = sqlite3_column_int64(q, 4);
        f->last.rows_duplicate = sqlite3_column_int64(q, 5);
        f->last.rows_conflicting = sqlite3_column_int64(q, 6);
        found |= 1 << i;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return rb_db_fail(old, "reading the last import's record", err);
    if (found != (1 << RB_IMPORT_FILE_COUNT) - 1)
        return RB_OK;

    /* A snapshot of before the fingerprints has no such table. */
    if (sqlite3_prepare_v2(old, "SELECT file, lines, hashes, starts, header_line, header FROM snapshot_lines", -1, &q, NULL) !=
        SQLITE_OK)
        return RB_OK;
    found = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int i = file_index((const char *)sqlite3_column_text(q, 0));
        if (i < 0 || (found & (1 << i)))
            continue;
        last_file *lf = &last->files[i];
        lf->lines = sqlite3_column_int64(q, 1);
        lf->hashes = blob_copy(q, 2, &lf->hashes_len);
        lf->starts = blob_copy(q, 3, &lf->starts_len);
        lf->header_line = sqlite3_column_int64(q, 4);
        lf->header = blob_copy(q, 5, &lf->header_len);
        if (lf->hashes == NULL || lf->starts == NULL || lf->header == NULL) {
            st = rb_fail(err, RB_E_INTERNAL, "out of memory reading the last import's record");
            break;
        }
        found |= 1 << i;
    }
    sqlite3_finalize(q);
    if (st == RB_OK && rc != SQLITE_DONE)
        st = rb_db_fail(old, "reading the last import's record", err);
    last->usable = st == RB_OK && found == (1 << RB_IMPORT_FILE_COUNT) - 1;
    return st;
}

/* ------------------------------------------------------------ runs */

/* Widens the runs taken (a byte a run) until none begins or ends inside a
 * record of the last import's file: then each stretch reads alone as it
 * read within the whole file. */
static void widen_to_records(unsigned char *take, size_t runs, const unsigned char *starts)
{
    for (size_t r = 0; r + 1 < runs; r++)
        if (take[r] && !rb_line_prints_start(starts, r + 1))
            take[r + 1] = 1;
    for (size_t r = runs; r-- > 1;)
        if (take[r] && !rb_line_prints_start(starts, r))
            take[r - 1] = 1;
}

/* The stretches of runs taken, as byte ranges of the file. */
static bool ranges_of(rb_patch_file *f, const unsigned char *take, size_t runs)
{
    free(f->ranges);
    f->ranges = NULL;
    f->n_ranges = 0;
    size_t cap = 0;
    for (size_t r = 0; r < runs;) {
        if (!take[r]) {
            r++;
            continue;
        }
        size_t end = r;
        while (end < runs && take[end])
            end++;
        if (f->n_ranges == cap) {
            cap = cap ? cap * 2 : 64;
            rb_csv_range *grown = rb_realloc(f->ranges, cap * sizeof *grown);
            if (grown == NULL)
                return false;
            f->ranges = grown;
        }
        rb_csv_range *g = &f->ranges[f->n_ranges++];
        g->offset = f->prints.offsets[r];
        g->length = f->prints.offsets[end] - f->prints.offsets[r];
        g->first_line = (int64_t)r * RB_PRINT_LINES + 1;
        r = end;
    }
    return true;
}

/* ------------------------------------------------------------ codes on changed lines */

/* The codes of the records on the changed runs, as the new file has them:
 * every valid code in the key column (a few more than need be, such as
 * those of rows refused for another field, do no harm). */
typedef struct code_reader {
    const rb_extract *x;
    bool have_header;
    size_t header_fields;
    long position[RB_EXTRACT_MAX_COLUMNS];
    code_set *codes;
    const rb_line_prints *last; /* the header it must have */
    rb_strbuf header;
    bool header_changed;
} code_reader;

static rb_status on_code_record(void *ctx, int64_t line, const rb_csv_field *fields, size_t count, rb_error *err)
{
    code_reader *c = ctx;
    bool blank = true;
    for (size_t i = 0; i < count && blank; i++) {
        const char *t = fields[i].text;
        size_t n = fields[i].len;
        rb_text_trim(&t, &n);
        blank = n == 0;
    }
    if (blank)
        return RB_OK;
    if (!c->have_header) {
        c->have_header = true;
        c->header_fields = count;
        rb_strbuf_reset(&c->header);
        for (size_t i = 0; i < count; i++)
            if (!rb_line_prints_header_field(&c->header, fields[i].text, fields[i].len))
                return rb_fail(err, RB_E_INTERNAL, "out of memory reading '%s'", c->x->file);
        c->header_changed = line != c->last->header_line || c->header.len != c->last->header.len ||
                            memcmp(c->header.buf, c->last->header.buf, c->header.len) != 0;
        return rb_header_match(c->x, fields, count, line, c->position, err);
    }
    long pos = c->position[0];
    if (pos < 0 || (size_t)pos >= count)
        return RB_OK;
    const char *t = fields[pos].text;
    size_t n = fields[pos].len;
    rb_text_trim(&t, &n);
    char code[RB_USCC_LEN + 1];
    if (n > 0 && rb_uscc_normalize(t, n, code) && !code_set_add(c->codes, code))
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading '%s'", c->x->file);
    return RB_OK;
}

/* ------------------------------------------------------------ the old rows */

typedef struct old_row {
    int64_t id;     /* row_errors.error_id; duplicate_rows: its first_line */
    int64_t line;
    char code[RB_USCC_LEN];
} old_row;

typedef struct old_rows {
    old_row *rows;
    size_t n, cap;
} old_rows;

static bool old_rows_add(old_rows *v, int64_t id, int64_t line, const char *code)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 256;
        old_row *grown = rb_realloc(v->rows, cap * sizeof *grown);
        if (grown == NULL)
            return false;
        v->rows = grown;
        v->cap = cap;
    }
    old_row *r = &v->rows[v->n++];
    r->id = id;
    r->line = line;
    memset(r->code, 0, sizeof r->code);
    if (code != NULL)
        memcpy(r->code, code, RB_USCC_LEN);
    return true;
}

/* The state of taking one extract's rows out of the copy. */
typedef struct taking {
    sqlite3 *db;
    int which;
    const rb_extract *x;
    rb_patch_file *f;
    code_set codes;          /* the firms read again */
    uint64_t *hot;           /* changed lines, and loaded rows with a duplicate on one */
    unsigned char *hot_runs; /* a byte a run: whether hot has a bit in it (fewer cache misses) */
    uint64_t *loaded_of;     /* the lines of the loaded rows of those firms */
    old_rows conflicts;      /* DATA_CONFLICT rows on unchanged lines */
    old_rows duplicates;     /* duplicates on unchanged lines */
    old_rows drop_errors;    /* row_errors to delete (id) */
    old_rows drop_duplicates;/* duplicate_rows to delete (line) */
    old_rows drop_firms;     /* codes whose rows go */
} taking;

static rb_status oom(const taking *t, rb_error *err)
{
    return rb_fail(err, RB_E_INTERNAL, "out of memory preparing the import of '%s'", t->x->file);
}

/* row_errors and duplicate_rows of the file: those on changed lines go,
 * and name firms to read again. */
static rb_status scan_errors_and_duplicates(taking *t, rb_error *err)
{
    sqlite3_stmt *q = NULL;
    int rc;
    if (sqlite3_prepare_v2(t->db, "SELECT error_id, line, rule = 'DATA_CONFLICT', uscc FROM row_errors WHERE file = ?1",
                           -1, &q, NULL) != SQLITE_OK)
        return rb_db_fail(t->db, "reading the last import's row errors", err);
    sqlite3_bind_text(q, 1, t->x->file, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0), line = sqlite3_column_int64(q, 1);
        bool conflict = sqlite3_column_int(q, 2) != 0;
        const char *code = (const char *)sqlite3_column_text(q, 3);
        bool has_code = code != NULL && sqlite3_column_bytes(q, 3) == RB_USCC_LEN;
        bool changed = line_in(t->f, line) && rb_line_bit(t->f->wanted, line);
        bool ok = true;
        if (changed) {
            ok = old_rows_add(&t->drop_errors, id, line, NULL);
            if (conflict) {
                t->f->removed.rows_conflicting++;
                if (ok && has_code)
                    ok = code_set_add(&t->codes, code);
            } else {
                t->f->removed.rows_rejected++;
            }
        } else if (conflict && has_code) {
            ok = old_rows_add(&t->conflicts, id, line, code);
        }
        if (!ok) {
            sqlite3_finalize(q);
            return oom(t, err);
        }
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return rb_db_fail(t->db, "reading the last import's row errors", err);

    if (sqlite3_prepare_v2(t->db, "SELECT line, first_line FROM duplicate_rows WHERE file = ?1", -1, &q, NULL) !=
        SQLITE_OK)
        return rb_db_fail(t->db, "reading the last import's duplicates", err);
    sqlite3_bind_text(q, 1, t->x->file, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t line = sqlite3_column_int64(q, 0), first = sqlite3_column_int64(q, 1);
        bool ok;
        if (line_in(t->f, line) && rb_line_bit(t->f->wanted, line)) {
            ok = old_rows_add(&t->drop_duplicates, 0, line, NULL);
            t->f->removed.rows_duplicate++;
            if (line_in(t->f, first))
                set_bit(t->hot, first);
        } else {
            ok = old_rows_add(&t->duplicates, first, line, NULL);
        }
        if (!ok) {
            sqlite3_finalize(q);
            return oom(t, err);
        }
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return rb_db_fail(t->db, "reading the last import's duplicates", err);
    return RB_OK;
}

/* A firm is read again when it is already one of them, or one of its
 * loaded rows is on a changed line or has a duplicate there. */
static bool firm_touched(const taking *t, const char *code, const int64_t *lines, size_t n)
{
    if (code_set_has(&t->codes, code))
        return true;
    for (size_t i = 0; i < n; i++)
        if (line_in(t->f, lines[i]) && t->hot_runs[(lines[i] - 1) / RB_PRINT_LINES] && rb_line_bit(t->hot, lines[i]))
            return true;
    return false;
}

static rb_status take_firm(taking *t, const char *code, const int64_t *lines, size_t n, rb_error *err)
{
    if (!code_set_add(&t->codes, code) || !old_rows_add(&t->drop_firms, 0, 0, code))
        return oom(t, err);
    for (size_t i = 0; i < n; i++)
        if (line_in(t->f, lines[i])) {
            set_bit(t->f->wanted, lines[i]);
            set_bit(t->loaded_of, lines[i]);
        }
    t->f->removed.rows_loaded += (int64_t)n;
    return RB_OK;
}

/* The loaded rows: registration and insured_units a row a firm, the months
 * of contributions a packed row a firm. */
static rb_status scan_loaded(taking *t, rb_error *err)
{
    bool months = t->which == RB_IMPORT_CONTRIBUTIONS;
    const char *sql = months                                    ? "SELECT uscc, months, packed FROM contribution_months"
                      : t->which == RB_IMPORT_REGISTRATION ? "SELECT uscc, line FROM registration"
                                                           : "SELECT uscc, line FROM insured_units";
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(t->db, sql, -1, &q, NULL) != SQLITE_OK)
        return rb_db_fail(t->db, "reading the last import's rows", err);
    rb_month *unpacked = NULL;
    size_t unpacked_cap = 0, lines_cap = 0;
    int64_t *lines = NULL;
    rb_status st = RB_OK;
    int rc;
    while (st == RB_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(q, 0);
        if (code == NULL || sqlite3_column_bytes(q, 0) != RB_USCC_LEN)
            continue;
        size_t n = 1;
        if (months) {
            n = (size_t)sqlite3_column_int64(q, 1);
            bool out_of_memory = false;
            const void *blob = sqlite3_column_blob(q, 2);
            if (!rb_months_unpack(blob, (size_t)sqlite3_column_bytes(q, 2), n, &unpacked, &unpacked_cap,
                                  &out_of_memory)) {
                st = out_of_memory ? oom(t, err)
                                   : rb_fail(err, RB_E_DATA, "the snapshot's months of %.*s are damaged",
                                             RB_USCC_LEN, code);
                break;
            }
        }
        if (n > lines_cap) {
            size_t cap = n < 64 ? 64 : n;
            int64_t *grown = rb_realloc(lines, cap * sizeof *grown);
            if (grown == NULL) {
                st = oom(t, err);
                break;
            }
            lines = grown;
            lines_cap = cap;
        }
        for (size_t i = 0; i < n; i++)
            lines[i] = months ? unpacked[i].line : sqlite3_column_int64(q, 1);
        if (firm_touched(t, code, lines, n))
            st = take_firm(t, code, lines, n, err);
    }
    if (st == RB_OK && rc != SQLITE_DONE)
        st = rb_db_fail(t->db, "reading the last import's rows", err);
    sqlite3_finalize(q);
    free(unpacked);
    free(lines);
    return st;
}

/* The conflicting and duplicate rows of those firms on unchanged lines go
 * too, and are read again. */
static bool take_unchanged(taking *t)
{
    for (size_t i = 0; i < t->conflicts.n; i++) {
        const old_row *r = &t->conflicts.rows[i];
        if (!code_set_has(&t->codes, r->code))
            continue;
        if (!old_rows_add(&t->drop_errors, r->id, r->line, NULL))
            return false;
        t->f->removed.rows_conflicting++;
        if (line_in(t->f, r->line))
            set_bit(t->f->wanted, r->line);
    }
    for (size_t i = 0; i < t->duplicates.n; i++) {
        const old_row *r = &t->duplicates.rows[i];
        if (!line_in(t->f, r->id) || !rb_line_bit(t->loaded_of, r->id))
            continue;
        if (!old_rows_add(&t->drop_duplicates, 0, r->line, NULL))
            return false;
        t->f->removed.rows_duplicate++;
        if (line_in(t->f, r->line))
            set_bit(t->f->wanted, r->line);
    }
    return true;
}

/* What a delete statement is given for each row: ?1 the code, ?1 the
 * error_id, or ?2 the line (?1 the file). */
typedef enum drop_by { BY_CODE, BY_ID, BY_LINE } drop_by;

static rb_status drop_rows(taking *t, const char *sql, const old_rows *rows, drop_by by, rb_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(t->db, sql, -1, &q, NULL) != SQLITE_OK)
        return rb_db_fail(t->db, "taking rows out of the snapshot's copy", err);
    sqlite3_bind_text(q, 1, t->x->file, -1, SQLITE_STATIC);
    rb_status st = RB_OK;
    for (size_t i = 0; i < rows->n && st == RB_OK; i++) {
        const old_row *r = &rows->rows[i];
        if (by == BY_CODE)
            sqlite3_bind_text(q, 1, r->code, RB_USCC_LEN, SQLITE_STATIC);
        else if (by == BY_ID)
            sqlite3_bind_int64(q, 1, r->id);
        else
            sqlite3_bind_int64(q, 2, r->line);
        if (sqlite3_step(q) != SQLITE_DONE)
            st = rb_db_fail(t->db, "taking rows out of the snapshot's copy", err);
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    return st;
}

static rb_status run_deletes(taking *t, rb_error *err)
{
    const char *firms = t->which == RB_IMPORT_CONTRIBUTIONS ? "DELETE FROM contribution_months WHERE uscc = ?1"
                        : t->which == RB_IMPORT_REGISTRATION ? "DELETE FROM registration WHERE uscc = ?1"
                                                             : "DELETE FROM insured_units WHERE uscc = ?1";
    rb_status st = drop_rows(t, firms, &t->drop_firms, BY_CODE, err);
    if (st == RB_OK)
        st = drop_rows(t, "DELETE FROM row_errors WHERE error_id = ?1", &t->drop_errors, BY_ID, err);
    if (st == RB_OK)
        st = drop_rows(t, "DELETE FROM duplicate_rows WHERE file = ?1 AND line = ?2", &t->drop_duplicates, BY_LINE,
                       err);
    return st;
}

/* Everything for one extract whose runs `take` (a byte a run) changed. */
static rb_status take_rows(sqlite3 *db, int which, rb_patch_file *f, const char *path, unsigned char *take,
                           bool *usable, rb_error *err)
{
    size_t runs = f->prints.runs, words = words_of(f->prints.lines);
    taking t = {.db = db, .which = which, .x = &rb_extracts[which], .f = f};
    rb_status st = RB_OK;
    t.hot = rb_calloc(words, sizeof *t.hot);
    t.hot_runs = rb_calloc(runs, 1);
    t.loaded_of = rb_calloc(words, sizeof *t.loaded_of);
    if (t.hot == NULL || t.hot_runs == NULL || t.loaded_of == NULL) {
        st = oom(&t, err);
        goto out;
    }
    /* The changed runs, widened to whole records, and the header's run. */
    widen_to_records(take, runs, f->prints.starts);
    unsigned char header_taken = take[0];
    take[0] = 1;
    if (!ranges_of(f, take, runs)) {
        st = oom(&t, err);
        goto out;
    }
    take[0] = header_taken;
    for (size_t r = 0; r < runs; r++)
        if (take[r]) {
            set_run(f->wanted, r, f->prints.lines);
            set_run(t.hot, r, f->prints.lines);
        }

    /* The codes the new file has there. */
    code_reader c = {.x = t.x, .codes = &t.codes, .last = &f->prints};
    rb_strbuf_init(&c.header);
    rb_error read_err;
    rb_error_clear(&read_err);
    rb_status read = rb_csv_read_ranges(path, t.x->file, f->utf8, f->ranges, f->n_ranges, on_code_record, &c, NULL,
                                        0, &read_err);
    rb_strbuf_release(&c.header);
    if (read == RB_E_INTERNAL || read == RB_E_NOINPUT) {
        st = rb_fail(err, read, "%s", read_err.message);
        goto out;
    }
    if (read != RB_OK || !c.have_header || c.header_changed) {
        *usable = false; /* the full import says what is wrong, or finds the header */
        goto out;
    }
    /* The codes the snapshot has there, then every row of all those firms. */
    if ((st = scan_errors_and_duplicates(&t, err)) != RB_OK)
        goto out;
    for (size_t r = 0; r < runs; r++)
        t.hot_runs[r] = any_in_run(t.hot, r, f->prints.lines);
    if ((st = scan_loaded(&t, err)) != RB_OK)
        goto out;
    if (!take_unchanged(&t)) {
        st = oom(&t, err);
        goto out;
    }
    if ((st = run_deletes(&t, err)) != RB_OK)
        goto out;
    f->removed.rows_read = f->removed.rows_loaded + f->removed.rows_rejected + f->removed.rows_duplicate +
                           f->removed.rows_conflicting;

    /* What is read: every run holding a line wanted, whole records. */
    for (size_t r = 0; r < runs; r++)
        take[r] = r == 0 || any_in_run(f->wanted, r, f->prints.lines);
    widen_to_records(take, runs, f->prints.starts);
    if (!ranges_of(f, take, runs))
        st = oom(&t, err);
out:
    code_set_free(&t.codes);
    free(t.hot);
    free(t.hot_runs);
    free(t.loaded_of);
    free(t.conflicts.rows);
    free(t.duplicates.rows);
    free(t.drop_errors.rows);
    free(t.drop_duplicates.rows);
    free(t.drop_firms.rows);
    return st;
}

/* ------------------------------------------------------------ prepare */

void rb_patch_free(rb_patch *patch)
{
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
        rb_patch_file *f = &patch->files[i];
        rb_line_prints_free(&f->prints);
        free(f->wanted);
        free(f->ranges);
    }
    memset(patch, 0, sizeof *patch);
}

/* The last import's record, read from the current snapshot alone. */
static rb_status read_snapshot(const char *path, rb_encoding encoding, rb_patch *patch, last_import *last,
                               rb_error *err)
{
    sqlite3 *old = NULL;
    rb_status st = RB_OK;
    sqlite3_stmt *q = NULL;
    if (sqlite3_open_v2(path, &old, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(old, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW &&
        sqlite3_column_int(q, 0) == RB_SNAPSHOT_FORMAT) {
        sqlite3_finalize(q);
        q = NULL;
        st = read_last_import(old, encoding, patch, last, err);
    }
    sqlite3_finalize(q);
    sqlite3_close(old);
    /* A snapshot this cannot read is replaced by a whole import, which
     * says what is wrong with the extracts, if anything. */
    if (st != RB_OK && st != RB_E_INTERNAL) {
        rb_error_clear(err);
        last->usable = false;
        st = RB_OK;
    }
    return st;
}

/* Reads the new file i for its fingerprints and marks (take) its runs of
 * lines that changed. *usable false when the file cannot be patched. */
static rb_status compare_file(const char *dir, int i, rb_encoding encoding, const last_file *lf, rb_patch_file *f,
                              unsigned char **take, uint64_t *changed_bytes, bool *usable, rb_error *err)
{
    rb_strbuf path = RB_STRBUF_INIT;
    rb_line_prints_init(&f->prints);
    if (!rb_strbuf_addf(&path, "%s/%s", dir, rb_import_file_name(i)))
        return rb_fail(err, RB_E_INTERNAL, "out of memory");
    /* With auto, a file found GB18030 stays so only while some byte of it
     * is not UTF-8. */
    bool was_gb18030 = encoding == RB_ENCODING_AUTO && strcmp(f->encoding, "gb18030") == 0, all_utf8 = false;
    rb_status st = rb_line_prints_scan(path.buf, &f->prints, f->sha256, was_gb18030 ? &all_utf8 : NULL, err);
    rb_strbuf_release(&path);
    if (st != RB_OK)
        return st;
    size_t runs = f->prints.runs;
    f->utf8 = encoding == RB_ENCODING_UTF8 || (encoding == RB_ENCODING_AUTO && strncmp(f->encoding, "utf-8", 5) == 0);
    /* The same lines, decoded the same way (the header: once it is read). */
    if (f->prints.lines != lf->lines || lf->hashes_len != runs * RB_PRINT_HASH || lf->starts_len < (runs + 7) / 8 ||
        (encoding == RB_ENCODING_AUTO && !f->utf8 && (!was_gb18030 || all_utf8)) || runs == 0 || lf->header_line < 1 ||
        lf->header_line > RB_PRINT_LINES) { /* the header in the first run, which is always read */
        *usable = false;
        return RB_OK;
    }
    memcpy(f->prints.starts, lf->starts, (runs + 7) / 8);
    rb_line_prints_header_line(&f->prints, lf->header_line);
    if (!rb_strbuf_add(&f->prints.header, lf->header, lf->header_len))
        return rb_fail(err, RB_E_INTERNAL, "out of memory");
    *take = rb_calloc(runs, 1);
    f->wanted = rb_calloc(words_of(f->prints.lines), sizeof *f->wanted);
    if (*take == NULL || f->wanted == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory");
    for (size_t r = 0; r < runs; r++)
        if (memcmp(f->prints.hashes + r * RB_PRINT_HASH, lf->hashes + r * RB_PRINT_HASH, RB_PRINT_HASH) != 0) {
            (*take)[r] = 1;
            f->runs_changed++;
            *changed_bytes += f->prints.offsets[r + 1] - f->prints.offsets[r];
        }
    return RB_OK;
}

/* The copy of the snapshot, made by a thread of its own while the new
 * extracts are read for their fingerprints. */
typedef struct copy_job {
    sqlite3 *db;
    int cache_kib;
    rb_snapshot_builder *builder;
    rb_status status;
    rb_error error;
} copy_job;

static void *copy_main(void *arg)
{
    copy_job *job = arg;
    prctl(PR_SET_NAME, "rebate-copy");
    job->status = rb_snapshot_copy(job->db, job->cache_kib, &job->builder, &job->error);
    return NULL;
}

rb_status rb_patch_prepare(sqlite3 *db, const char *dir, rb_encoding encoding, int cache_kib, int max_changed,
                           rb_patch *patch, rb_snapshot_builder **builder, rb_error *err)
{
    *builder = NULL;
    memset(patch, 0, sizeof *patch);
    rb_strbuf path = RB_STRBUF_INIT;
    last_import last;
    memset(&last, 0, sizeof last);
    unsigned char *take[RB_IMPORT_FILE_COUNT] = {NULL};
    bool usable = false;
    rb_status st = rb_snapshot_path(db, "", &path, err);
    if (st != RB_OK || access(path.buf, F_OK) != 0) /* never imported */
        goto out;
    if ((st = read_snapshot(path.buf, encoding, patch, &last, err)) != RB_OK)
        goto out;
    /* Which runs of lines changed: the new files read once, while the
     * snapshot is copied (the copy is nearly all the kernel's work). */
    usable = last.usable;
    copy_job job = {.db = db, .cache_kib = cache_kib};
    rb_error_clear(&job.error);
    pthread_t copier;
    bool copying = usable && pthread_create(&copier, NULL, copy_main, &job) == 0;
    uint64_t changed_bytes = 0, bytes = 0;
    for (int i = 0; i < RB_IMPORT_FILE_COUNT && usable && st == RB_OK; i++) {
        st = compare_file(dir, i, encoding, &last.files[i], &patch->files[i], &take[i], &changed_bytes, &usable, err);
        bytes += patch->files[i].prints.size;
    }
    /* The changed runs' share of all the bytes: beyond max_changed, most
     * lines would be read anyway. */
    if (changed_bytes * 1000 > bytes * (uint64_t)max_changed)
        usable = false;
    if (copying) {
        pthread_join(copier, NULL);
        *builder = job.builder;
        if (job.status != RB_OK && st == RB_OK)
            st = rb_fail(err, job.status, "%s", job.error.message);
    }
    if (st != RB_OK || !usable)
        goto out;
    if (*builder == NULL && (st = rb_snapshot_copy(db, cache_kib, builder, err)) != RB_OK)
        goto out;
    /* The rows of the firms on the changed lines out of the copy. */
    for (int i = 0; i < RB_IMPORT_FILE_COUNT && usable && st == RB_OK; i++) {
        rb_patch_file *f = &patch->files[i];
        if (f->runs_changed == 0) /* nothing to read: not even the header */
            continue;
        rb_strbuf_reset(&path);
        if (!rb_strbuf_addf(&path, "%s/%s", dir, rb_import_file_name(i)))
            st = rb_fail(err, RB_E_INTERNAL, "out of memory");
        else
            st = take_rows(rb_snapshot_builder_db(*builder), i, f, path.buf, take[i], &usable, err);
    }
out:
    if (st != RB_OK || !usable) {
        rb_snapshot_abandon(*builder);
        *builder = NULL;
        rb_patch_free(patch);
    }
    last_import_free(&last);
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++)
        free(take[i]);
    rb_strbuf_release(&path);
    return st;
}

rb_status rb_patch_record_prints(sqlite3 *snapshot, const rb_line_prints *const prints[RB_IMPORT_FILE_COUNT],
                                 rb_error *err)
{
    if (rb_db_exec(snapshot, "DELETE FROM snapshot_lines", "recording the extracts' fingerprints", err) != RB_OK)
        return err->status;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(snapshot,
                           "INSERT INTO snapshot_lines (file, lines, hashes, starts, header_line, header)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &q, NULL) != SQLITE_OK)
        return rb_db_fail(snapshot, "recording the extracts' fingerprints", err);
    rb_status st = RB_OK;
    for (int i = 0; i < RB_IMPORT_FILE_COUNT && st == RB_OK; i++) {
        const rb_line_prints *p = prints[i];
        sqlite3_bind_text(q, 1, rb_import_file_name(i), -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, p->lines);
        sqlite3_bind_blob64(q, 3, p->runs ? (const void *)p->hashes : "", (sqlite3_uint64)p->runs * RB_PRINT_HASH,
                            SQLITE_STATIC);
        sqlite3_bind_blob64(q, 4, p->runs ? (const void *)p->starts : "", (sqlite3_uint64)(p->runs + 7) / 8,
                            SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, p->header_line);
        sqlite3_bind_blob64(q, 6, p->header.len ? (const void *)p->header.buf : "", p->header.len, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE)
            st = rb_db_fail(snapshot, "recording the extracts' fingerprints", err);
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    return st;
}
