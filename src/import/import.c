/* The import: the three extracts become a new snapshot file, renamed over
 * the old one only once complete (rebate/snapshot.h), and the import is
 * recorded in the history of the main database.
 *
 * Three threads share the work, so that both cores are busy: this one reads
 * the files (decoding, CSV, the check of every field) and passes each good
 * row as a compact record (src/import/rows.h) to a sorting thread, and each
 * rejected row to a loading thread; the sorting thread sorts the rows of an
 * extract by key and line in runs on disk (src/import/sorter.h); once an
 * extract is read, the loading thread merges its runs and writes the rows in
 * key order, where duplicates and conflicts of a key are next to each other
 * (src/import/load.h). Queues between them are bounded, so memory does not
 * depend on the size of the extracts. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>

#include "import/csv_reader.h"
#include "import/extracts.h"
#include "import/import_internal.h"
#include "import/line_prints.h"
#include "import/load.h"
#include "import/patch.h"
#include "import/rows.h"
#include "import/sorter.h"
#include "rebate/alloc.h"
#include "rebate/crash.h"
#include "rebate/db.h"
#include "rebate/import.h"
#include "rebate/snapshot.h"
#include "rebate/strbuf.h"
#include "rebate/text.h"
#include "rebate/uscc.h"

/* Memory: the sorter's block is most of it; a few chunks of records are in
 * flight between the threads. */
#define SORT_MEMORY ((size_t)96 * 1024 * 1024)
#define ROWS_CHUNK ((size_t)2 * 1024 * 1024)
#define ERRORS_CHUNK ((size_t)64 * 1024)
#define ROW_CHUNKS 6
#define ERROR_CHUNKS 128
#define SNAPSHOT_CACHE_KIB (16 * 1024)
/* Above this share of the extracts' bytes in changed runs of lines (per
 * mille), reading every line is about as quick as patching
 * (docs/performance.md). */
#define PATCH_MAX_CHANGED 250
#define RECORD_HEADER (sizeof(rb_sort_key) + sizeof(uint32_t))

/* ------------------------------------------------------------- pipeline */

typedef enum item_kind {
    ITEM_ROWS,     /* good rows of `file`: key, length, record, back to back */
    ITEM_ERRORS,   /* rejected rows of `file` (rb_error_row_encode) */
    ITEM_END_FILE, /* `file` is read whole */
    ITEM_RESET,    /* forget what came of `file`: it is read again */
    ITEM_SORTED,   /* the sorter of `file`, finished */
    ITEM_DONE      /* every file is read */
} item_kind;

typedef struct item {
    struct item *next;
    item_kind kind;
    int file;
    rb_strbuf data;
    rb_sorter *sorter;
} item;

typedef struct queue {
    item *head, *tail;
} queue;

typedef struct pipeline {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    queue to_sorter, to_loader, free_rows, free_errors;
    bool failed;
    rb_error error;                 /* the first failure of any thread */
    rb_strbuf temp_template;   /* <db>.snapshot.sort-XXXXXX */
    size_t sort_memory;             /* the sorter's block of memory */
    rb_loader *loader;
    rb_import_file_report loaded[RB_IMPORT_FILE_COUNT]; /* the loader's counts */
    rb_line_prints prints[RB_IMPORT_FILE_COUNT];        /* of the files read whole */
    const rb_patch *patch;          /* NULL, or what to read of each file */
    item rows[ROW_CHUNKS], errors[ERROR_CHUNKS];
    item ends[RB_IMPORT_FILE_COUNT], done;
    item resets[2][RB_IMPORT_FILE_COUNT]; /* to the sorter, to the loader */
} pipeline;

static void push(queue *q, item *it)
{
    it->next = NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
}

static item *pop(queue *q)
{
    item *it = q->head;
    if (it) {
        q->head = it->next;
        if (q->head == NULL)
            q->tail = NULL;
    }
    return it;
}

/* Records the first failure and wakes every thread, which then stop. */
static void pipeline_fail(pipeline *p, const rb_error *err)
{
    pthread_mutex_lock(&p->mu);
    if (!p->failed) {
        p->failed = true;
        p->error = *err;
    }
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mu);
}

/* The next item of q, waiting for one; NULL once anything failed. */
static item *take(pipeline *p, queue *q)
{
    pthread_mutex_lock(&p->mu);
    while (q->head == NULL && !p->failed)
        pthread_cond_wait(&p->changed, &p->mu);
    item *it = p->failed ? NULL : pop(q);
    pthread_mutex_unlock(&p->mu);
    return it;
}

static void give(pipeline *p, queue *q, item *it)
{
    pthread_mutex_lock(&p->mu);
    push(q, it);
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mu);
}

/* The sorting thread: rows into the extract's sorter; a finished sorter on
 * to the loading thread. */
static void *sorter_main(void *arg)
{
    pipeline *p = arg;
    prctl(PR_SET_NAME, "rebate-sort"); /* as top -H and perf show it */
    rb_sorter *sorter = NULL;
    rb_error err;
    rb_error_clear(&err);
    rb_status st = RB_OK;
    for (item *it; st == RB_OK && (it = take(p, &p->to_sorter)) != NULL;) {
        if (it->kind == ITEM_DONE) {
            give(p, &p->to_loader, it);
            break;
        }
        if (it->kind == ITEM_RESET) {
            rb_sorter_close(sorter);
            sorter = NULL;
            continue;
        }
        if (sorter == NULL) {
            if ((st = rb_sorter_open(p->temp_template.buf, p->sort_memory, &sorter, &err)) != RB_OK)
                break;
            rb_sorter_group(sorter, RB_ROW_KEY_CODE_MASK); /* a firm's rows come together */
        }
        if (it->kind == ITEM_ROWS) {
            const unsigned char *at = (const unsigned char *)it->data.buf, *end = at + it->data.len;
            while (st == RB_OK && at < end) {
                rb_sort_key key;
                uint32_t len;
                memcpy(&key, at, sizeof key);
                memcpy(&len, at + sizeof key, sizeof len);
                at += RECORD_HEADER;
                st = rb_sorter_add(sorter, &key, at, len, &err);
                at += len;
            }
            rb_strbuf_reset(&it->data);
            give(p, &p->free_rows, it);
        } else { /* ITEM_END_FILE */
            if ((st = rb_sorter_finish(sorter, &err)) != RB_OK)
                break;
            it->kind = ITEM_SORTED;
            it->sorter = sorter;
            sorter = NULL;
            give(p, &p->to_loader, it);
        }
    }
    if (st != RB_OK)
        pipeline_fail(p, &err);
    rb_sorter_close(sorter);
    return NULL;
}

/* The loading thread: the only user of the new snapshot's connection
 * while the files are read. */
static void *loader_main(void *arg)
{
    pipeline *p = arg;
    prctl(PR_SET_NAME, "rebate-load");
    rb_error err;
    rb_error_clear(&err);
    rb_status st = RB_OK;
    for (item *it; st == RB_OK && (it = take(p, &p->to_loader)) != NULL;) {
        if (it->kind == ITEM_DONE)
            break;
        if (it->kind == ITEM_RESET) {
            st = rb_loader_forget(p->loader, it->file, &err);
        } else if (it->kind == ITEM_ERRORS) {
            st = rb_loader_errors(p->loader, it->file, (const unsigned char *)it->data.buf, it->data.len, &err);
            rb_strbuf_reset(&it->data);
            give(p, &p->free_errors, it);
        } else { /* ITEM_SORTED */
            st = rb_loader_rows(p->loader, it->file, it->sorter, &p->loaded[it->file], &err);
            rb_sorter_close(it->sorter);
            it->sorter = NULL;
        }
    }
    if (st != RB_OK)
        pipeline_fail(p, &err);
    return NULL;
}

/* ---------------------------------------------------------- reading a file */

/* The state of reading one extract (this thread). */
typedef struct file_import {
    pipeline *p;
    int which;
    const rb_extract *x;
    rb_import_file_report *report;

    bool have_header;
    size_t header_fields;                       /* fields of the header record */
    long position[RB_EXTRACT_MAX_COLUMNS];      /* field index of each column, -1 when absent */

    item *rows;                     /* the chunk being filled, or NULL */
    item *errors;

    /* Buffers reused from record to record: no allocation per row. */
    rb_csv_field *trimmed;
    size_t trimmed_cap;
    rb_row row;
    rb_field_scratch scratch[RB_EXTRACT_MAX_COLUMNS];
    rb_strbuf account;              /* the bank account without spaces and '-' */
    rb_strbuf message;              /* the Chinese sentence of a row error */
    char last_code[RB_USCC_LEN];    /* the uscc field of the last row, when valid */
    bool last_code_valid;
} file_import;

static rb_status out_of_memory(file_import *fi, rb_error *err)
{
    return rb_fail(err, RB_E_INTERNAL, "out of memory importing '%s'", fi->x->file);
}

/* The pipeline failed in another thread: its error becomes this one's. */
static rb_status pipeline_error(file_import *fi, rb_error *err)
{
    pthread_mutex_lock(&fi->p->mu);
    rb_error copy = fi->p->error;
    pthread_mutex_unlock(&fi->p->mu);
    return rb_fail(err, copy.status, "%s", copy.message);
}

/* Sends the chunk on and takes an empty one (NULL on failure). */
static item *next_chunk(file_import *fi, item *full, queue *to, queue *pool)
{
    if (full != NULL)
        give(fi->p, to, full);
    item *it = take(fi->p, pool);
    if (it != NULL)
        it->file = fi->which;
    return it;
}

static rb_status add_row_error(file_import *fi, int64_t line, int column, const char *value, size_t value_len,
                               const char *rule, const char *uscc_field, size_t uscc_field_len, const char *code,
                               rb_error *err)
{
    rb_error_row e = {
        .line = line,
        .column = column,
        .value = value,
        .value_len = value_len,
        .rule = rule,
        .rule_len = strlen(rule),
        .message = fi->message.buf,
        .message_len = fi->message.len,
        .uscc_field = uscc_field,
        .uscc_field_len = uscc_field_len,
        .code = code,
    };
    fi->report->rows_rejected++;
    if (fi->errors == NULL || fi->errors->data.len >= ERRORS_CHUNK) {
        fi->errors = next_chunk(fi, fi->errors, &fi->p->to_loader, &fi->p->free_errors);
        if (fi->errors == NULL)
            return pipeline_error(fi, err);
    }
    if (!rb_error_row_encode(&e, &fi->errors->data))
        return out_of_memory(fi, err);
    return RB_OK;
}

static rb_status add_row(file_import *fi, int64_t line, rb_error *err)
{
    rb_row *row = &fi->row;
    row->line = line;
    memcpy(row->code, fi->scratch[0].small, sizeof row->code);
    for (size_t c = 0; c < fi->x->n_columns; c++) {
        long pos = fi->position[c];
        row->raw[c] = pos >= 0 ? fi->trimmed[pos].text : "";
        row->raw_len[c] = pos >= 0 ? fi->trimmed[pos].len : 0;
    }
    rb_sort_key key = rb_row_key(fi->x, row);
    if (fi->rows == NULL || fi->rows->data.len >= ROWS_CHUNK) {
        fi->rows = next_chunk(fi, fi->rows, &fi->p->to_sorter, &fi->p->free_rows);
        if (fi->rows == NULL)
            return pipeline_error(fi, err);
    }
    /* Key, length, record: the record is encoded in place and its length
     * filled in after. */
    rb_strbuf *data = &fi->rows->data;
    size_t header_at = data->len;
    uint32_t len = 0;
    if (!rb_strbuf_grow(data, RECORD_HEADER))
        return out_of_memory(fi, err);
    memcpy(data->buf + header_at, &key, sizeof key);
    data->len += RECORD_HEADER;
    if (!rb_row_encode(fi->x, row, data))
        return out_of_memory(fi, err);
    len = (uint32_t)(data->len - header_at - RECORD_HEADER);
    memcpy(data->buf + header_at + sizeof key, &len, sizeof len);
    return RB_OK;
}

static rb_status on_record(void *ctx, int64_t line, const rb_csv_field *fields, size_t count, rb_error *err)
{
    file_import *fi = ctx;
    if (count > fi->trimmed_cap) {
        size_t cap = count < 32 ? 32 : count;
        rb_csv_field *grown = rb_realloc(fi->trimmed, cap * sizeof *grown);
        if (grown == NULL)
            return out_of_memory(fi, err);
        fi->trimmed = grown;
        fi->trimmed_cap = cap;
    }
    bool blank = true;
    for (size_t i = 0; i < count; i++) {
        fi->trimmed[i] = fields[i];
        rb_text_trim(&fi->trimmed[i].text, &fi->trimmed[i].len);
        if (fi->trimmed[i].len > 0)
            blank = false;
    }
    if (blank)
        return RB_OK; /* `,,,` as Excel writes an empty line: not a row */
    if (!fi->have_header) {
        fi->have_header = true;
        fi->header_fields = count;
        if (fi->p->patch == NULL) { /* kept with the fingerprints (a patch checked it is the same) */
            rb_line_prints *prints = &fi->p->prints[fi->which];
            rb_line_prints_header_line(prints, line);
            for (size_t i = 0; i < count; i++)
                if (!rb_line_prints_header_field(&prints->header, fields[i].text, fields[i].len))
                    return out_of_memory(fi, err);
        }
        return rb_header_match(fi->x, fields, count, line, fi->position, err);
    }

    fi->report->rows_read++;
    const char *uscc_field = NULL;
    size_t uscc_field_len = 0;
    long uscc_pos = fi->position[0];
    if (uscc_pos >= 0 && (size_t)uscc_pos < count && fi->trimmed[uscc_pos].len > 0) {
        uscc_field = fi->trimmed[uscc_pos].text;
        uscc_field_len = fi->trimmed[uscc_pos].len;
    }
    /* The row's valid code, wanted only for a row error (a good row's code
     * is its first stored value). */
    char code_buf[RB_USCC_LEN + 1];
#define ROW_CODE (uscc_field && rb_uscc_normalize(uscc_field, uscc_field_len, code_buf) ? code_buf : NULL)

    rb_strbuf_reset(&fi->message);
    if (count != fi->header_fields) {
        if (!rb_row_error_message(&fi->message, RB_ROW_FIELD_COUNT, line, NULL, NULL, 0, count, fi->header_fields))
            return out_of_memory(fi, err);
        return add_row_error(fi, line, -1, NULL, 0, RB_ROW_FIELD_COUNT, uscc_field, uscc_field_len, ROW_CODE, err);
    }

    size_t slot = 0;
    for (size_t c = 0; c < fi->x->n_columns; c++) {
        const rb_column *column = &fi->x->columns[c];
        long pos = fi->position[c];
        const char *text = pos >= 0 ? fi->trimmed[pos].text : "";
        size_t len = pos >= 0 ? fi->trimmed[pos].len : 0;
        if (c == 0 && len == RB_USCC_LEN && fi->last_code_valid && memcmp(fi->last_code, text, len) == 0) {
            /* The same code as the row before (a firm's rows usually come
             * together): checked already. */
            fi->row.values[0].type = RB_VALUE_TEXT;
            fi->row.values[0].text = fi->scratch[0].small;
            fi->row.values[0].len = RB_USCC_LEN;
            slot++;
            continue;
        }
        bool oom = false;
        const char *rule = rb_field_parse(column, text, len, &fi->row.values[slot], &fi->scratch[c], &oom);
        if (oom)
            return out_of_memory(fi, err);
        if (c == 0) {
            fi->last_code_valid = rule == NULL && len == RB_USCC_LEN;
            if (fi->last_code_valid)
                memcpy(fi->last_code, text, len);
        }
        if (rule != NULL) {
            if (!rb_row_error_message(&fi->message, rule, line, column, text, len, 0, 0))
                return out_of_memory(fi, err);
            return add_row_error(fi, line, (int)c, text, len, rule, uscc_field, uscc_field_len, ROW_CODE, err);
        }
        slot += rb_column_stored_count(column);
    }
#undef ROW_CODE
    return add_row(fi, line, err);
}

/* The file was read as UTF-8 up to a byte that is not: it is read again
 * as GB18030 from the first line, so what came of it so far goes. */
static rb_status restart_file(void *ctx, rb_error *err)
{
    (void)err;
    file_import *fi = ctx;
    pipeline *p = fi->p;
    if (fi->rows != NULL)
        rb_strbuf_reset(&fi->rows->data);
    if (fi->errors != NULL)
        rb_strbuf_reset(&fi->errors->data);
    for (int to = 0; to < 2; to++) {
        item *reset = &p->resets[to][fi->which];
        reset->kind = ITEM_RESET;
        reset->file = fi->which;
        give(p, to == 0 ? &p->to_sorter : &p->to_loader, reset);
    }
    fi->have_header = false;
    fi->header_fields = 0;
    fi->last_code_valid = false;
    fi->report->rows_read = fi->report->rows_rejected = 0;
    return RB_OK;
}

/* A record of a file being patched: only those wanted are read again. */
static rb_status on_wanted_record(void *ctx, int64_t line, const rb_csv_field *fields, size_t count, rb_error *err)
{
    file_import *fi = ctx;
    if (fi->have_header && !rb_patch_wants(&fi->p->patch->files[fi->which], line))
        return RB_OK;
    return on_record(ctx, line, fields, count, err);
}

static rb_status import_file(pipeline *p, const char *dir, int which, rb_encoding encoding,
                             rb_import_file_report *report, rb_error *err)
{
    file_import fi = {.p = p, .which = which, .x = &rb_extracts[which], .report = report};
    rb_strbuf path = RB_STRBUF_INIT;
    rb_strbuf_init(&fi.account);
    rb_strbuf_init(&fi.message);
    for (size_t c = 0; c < RB_EXTRACT_MAX_COLUMNS; c++)
        fi.scratch[c].account = &fi.account;

    memset(report, 0, sizeof *report);
    report->file = fi.x->file;

    rb_status st = RB_OK;
    rb_csv_info info;
    const rb_patch_file *patched = p->patch != NULL ? &p->patch->files[which] : NULL;
    if (!rb_strbuf_addf(&path, "%s/%s", dir, fi.x->file)) {
        st = out_of_memory(&fi, err);
        goto out;
    }
    if (patched != NULL) {
        memcpy(info.encoding, patched->encoding, sizeof info.encoding);
        memcpy(info.sha256, patched->sha256, sizeof info.sha256);
        if (patched->n_ranges == 0) { /* not a byte changed */
            memcpy(report->encoding, info.encoding, sizeof report->encoding);
            memcpy(report->sha256, info.sha256, sizeof report->sha256);
            goto out;
        }
        st = rb_csv_read_ranges(path.buf, fi.x->file, patched->utf8, patched->ranges, patched->n_ranges,
                                on_wanted_record, &fi, patched->prints.starts, (patched->prints.cap + 7) / 8, err);
    } else {
        st = rb_csv_read_once(path.buf, fi.x->file, encoding, on_record, restart_file, &fi, &info,
                              &p->prints[which], err);
    }
    if (st != RB_OK)
        goto out;
    if (!fi.have_header) {
        st = rb_fail(err, RB_E_DATA, "cannot import '%s': it has no header (the file is empty or blank)", fi.x->file);
        goto out;
    }
    memcpy(report->encoding, info.encoding, sizeof report->encoding);
    memcpy(report->sha256, info.sha256, sizeof report->sha256);
    /* What is left goes on, then the end of the file. */
    if (fi.errors != NULL)
        give(p, &p->to_loader, fi.errors);
    if (fi.rows != NULL)
        give(p, &p->to_sorter, fi.rows);
    fi.errors = fi.rows = NULL;
    p->ends[which].file = which;
    p->ends[which].kind = ITEM_END_FILE;
    give(p, &p->to_sorter, &p->ends[which]);
out:
    /* On failure a chunk still held goes back to its pool. */
    if (fi.errors != NULL)
        give(p, &p->free_errors, fi.errors);
    if (fi.rows != NULL)
        give(p, &p->free_rows, fi.rows);
    free(fi.trimmed);
    rb_strbuf_release(&fi.account);
    rb_strbuf_release(&fi.message);
    rb_strbuf_release(&path);
    return st;
}

/* ------------------------------------------------------------ the import */

static void utc_now(char buf[32])
{
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, 32, "1970-01-01T00:00:00Z");
}

rb_status rb_import_check(const char *dir, rb_error *err)
{
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return rb_fail(err, RB_E_NOINPUT, "cannot read folder '%s': %s", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return rb_fail(err, RB_E_NOINPUT, "cannot read folder '%s': not a folder", dir);
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
        char *path = rb_path_joined(dir, rb_extracts[i].file);
        rb_status st = RB_OK;
        if (path == NULL)
            st = rb_fail(err, RB_E_INTERNAL, "out of memory");
        /* lstat: a symlink in the folder is refused, not followed. */
        else if (lstat(path, &sb) != 0)
            st = rb_fail(err, RB_E_NOINPUT, "cannot read '%s': %s", path, strerror(errno));
        else if (S_ISLNK(sb.st_mode))
            st = rb_fail(err, RB_E_NOINPUT, "cannot read '%s': it is a symlink, which is not followed", path);
        else if (!S_ISREG(sb.st_mode))
            st = rb_fail(err, RB_E_NOINPUT, "cannot read '%s': not a regular file", path);
        free(path);
        if (st != RB_OK)
            return st;
    }
    return RB_OK;
}

/* Writes the import's record into `schema` (main: imports/import_files, the
 * history; snapshot: the new file's own snapshot_import/_files). */
static rb_status record_import(sqlite3 *db, bool history, const char *dir, rb_encoding encoding,
                               const char *started_at, const char *finished_at, const rb_import_report *report,
                               rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    rb_status st = RB_OK;
    const char *what = history ? "recording the import" : "recording the import in the new snapshot";
    if (sqlite3_prepare_v2(db,
                           history ? "INSERT INTO main.imports (import_id, started_at, finished_at, source_dir, encoding)"
                                     " VALUES (?1, ?2, ?3, ?4, ?5)"
                                   : "INSERT INTO snapshot_import (import_id, started_at, finished_at, source_dir,"
                                     " encoding) VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &stmt, NULL) != SQLITE_OK) {
        st = rb_db_fail(db, what, err);
        goto out;
    }
    sqlite3_bind_int64(stmt, 1, report->import_id);
    sqlite3_bind_text(stmt, 2, started_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, finished_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, dir, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, rb_encoding_name(encoding), -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        st = rb_db_fail(db, what, err);
        goto out;
    }
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           history ? "INSERT INTO main.import_files (import_id, file, sha256, encoding, rows_read,"
                                     " rows_loaded, rows_rejected, rows_duplicate, rows_conflicting)"
                                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                                   : "INSERT INTO snapshot_import_files (import_id, file, sha256, encoding, rows_read,"
                                     " rows_loaded, rows_rejected, rows_duplicate, rows_conflicting)"
                                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                           -1, &stmt, NULL) != SQLITE_OK) {
        st = rb_db_fail(db, what, err);
        goto out;
    }
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
        const rb_import_file_report *f = &report->files[i];
        sqlite3_bind_int64(stmt, 1, report->import_id);
        sqlite3_bind_text(stmt, 2, f->file, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, f->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 4, f->encoding, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 5, f->rows_read);
        sqlite3_bind_int64(stmt, 6, f->rows_loaded);
        sqlite3_bind_int64(stmt, 7, f->rows_rejected);
        sqlite3_bind_int64(stmt, 8, f->rows_duplicate);
        sqlite3_bind_int64(stmt, 9, f->rows_conflicting);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            st = rb_db_fail(db, what, err);
            goto out;
        }
        sqlite3_reset(stmt);
    }
out:
    sqlite3_finalize(stmt);
    return st;
}

static rb_status next_import_id(sqlite3 *db, int64_t *id, rb_error *err)
{
    sqlite3_stmt *q = NULL;
    rb_status st = RB_OK;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(import_id), 0) + 1 FROM main.imports", -1, &q, NULL) !=
            SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW)
        st = rb_db_fail(db, "numbering the import", err);
    else
        *id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return st;
}

/* Reads the three files through the pipeline into the builder's file. */
static rb_status load_files(pipeline *p, const char *dir, rb_encoding encoding, rb_import_report *report,
                            rb_error *err)
{
    pthread_t sorter_thread, loader_thread;
    bool sorter_started = false, loader_started = false;
    rb_status st = RB_OK;
    if (pthread_create(&sorter_thread, NULL, sorter_main, p) == 0)
        sorter_started = true;
    if (sorter_started && pthread_create(&loader_thread, NULL, loader_main, p) == 0)
        loader_started = true;
    if (!loader_started)
        st = rb_fail(err, RB_E_INTERNAL, "cannot start the threads of the import");
    /* contributions.csv last: the two smaller files' rows are written
     * while it is read, so that only its own months are written after its
     * last line (docs/performance.md measured both orders). */
    static const int order[RB_IMPORT_FILE_COUNT] = {RB_IMPORT_REGISTRATION, RB_IMPORT_INSURED_UNITS,
                                                    RB_IMPORT_CONTRIBUTIONS};
    for (int i = 0; i < RB_IMPORT_FILE_COUNT && st == RB_OK; i++)
        st = import_file(p, dir, order[i], encoding, &report->files[order[i]], err);
    if (st == RB_OK) {
        p->done.kind = ITEM_DONE;
        give(p, &p->to_sorter, &p->done);
    } else {
        pipeline_fail(p, err);
    }
    if (sorter_started)
        pthread_join(sorter_thread, NULL);
    if (loader_started)
        pthread_join(loader_thread, NULL);
    if (st == RB_OK && p->failed)
        st = rb_fail(err, p->error.status, "%s", p->error.message);
    if (st != RB_OK)
        return st;
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
        rb_import_file_report *f = &report->files[i];
        f->rows_loaded = p->loaded[i].rows_loaded;
        f->rows_duplicate = p->loaded[i].rows_duplicate;
        f->rows_conflicting = p->loaded[i].rows_conflicting;
        f->records_checked = f->rows_read;
        if (p->patch != NULL) {
            /* The rows kept from the last import, less those read again. */
            const rb_patch_file *pf = &p->patch->files[i];
            f->rows_read += pf->last.rows_read - pf->removed.rows_read;
            f->rows_loaded += pf->last.rows_loaded - pf->removed.rows_loaded;
            f->rows_rejected += pf->last.rows_rejected - pf->removed.rows_rejected;
            f->rows_duplicate += pf->last.rows_duplicate - pf->removed.rows_duplicate;
            f->rows_conflicting += pf->last.rows_conflicting - pf->removed.rows_conflicting;
        }
        if (f->rows_read != f->rows_loaded + f->rows_rejected + f->rows_duplicate + f->rows_conflicting)
            return rb_fail(err, RB_E_INTERNAL, "the rows of '%s' do not add up (a bug)", f->file);
    }
    return RB_OK;
}

static rb_status pipeline_init(pipeline *p, sqlite3 *db, rb_error *err)
{
    memset(p, 0, sizeof *p);
    if (pthread_mutex_init(&p->mu, NULL) != 0)
        return rb_fail(err, RB_E_INTERNAL, "cannot set up the import");
    if (pthread_cond_init(&p->changed, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        return rb_fail(err, RB_E_INTERNAL, "cannot set up the import");
    }
    for (int i = 0; i < ROW_CHUNKS; i++) {
        p->rows[i].kind = ITEM_ROWS;
        rb_strbuf_init(&p->rows[i].data);
        push(&p->free_rows, &p->rows[i]);
    }
    for (int i = 0; i < ERROR_CHUNKS; i++) {
        p->errors[i].kind = ITEM_ERRORS;
        rb_strbuf_init(&p->errors[i].data);
        push(&p->free_errors, &p->errors[i]);
    }
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
        rb_strbuf_init(&p->ends[i].data);
        rb_strbuf_init(&p->resets[0][i].data);
        rb_strbuf_init(&p->resets[1][i].data);
    }
    rb_strbuf_init(&p->done.data);
    rb_strbuf_init(&p->temp_template);
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++)
        rb_line_prints_init(&p->prints[i]);
    return rb_snapshot_path(db, ".sort-XXXXXX", &p->temp_template, err);
}

static void pipeline_free(pipeline *p)
{
    for (int i = 0; i < ROW_CHUNKS; i++)
        rb_strbuf_release(&p->rows[i].data);
    for (int i = 0; i < ERROR_CHUNKS; i++)
        rb_strbuf_release(&p->errors[i].data);
    /* A sorter handed on but never loaded (a failure in between). */
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
        rb_sorter_close(p->ends[i].sorter);
        rb_line_prints_free(&p->prints[i]);
    }
    rb_strbuf_release(&p->temp_template);
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->mu);
}

int64_t rb_import_records_checked(const rb_import_report *report)
{
    int64_t checked = 0;
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++)
        checked += report->files[i].records_checked;
    return checked;
}

rb_status rb_import(sqlite3 *db, const char *dir, rb_encoding encoding, rb_import_report *out, rb_error *err)
{
    return rb_import_sized(db, dir, encoding, SORT_MEMORY, out, err);
}

/* One import; with try_patch, by patching the current snapshot when the
 * extracts allow it. *patch_failed: a patch was tried and a file did not
 * read as the fingerprints promised (nothing changed: read every line). */
static rb_status import_once(sqlite3 *db, const char *dir, rb_encoding encoding, size_t sort_memory, bool try_patch,
                             bool *patch_failed, rb_import_report *out, rb_error *err)
{
    rb_import_report report;
    memset(&report, 0, sizeof report);
    *patch_failed = false;
    char started_at[32], finished_at[32];
    utc_now(started_at);
    pipeline *p = rb_malloc(sizeof *p);
    rb_patch *patch = try_patch ? rb_calloc(1, sizeof *patch) : NULL;
    rb_status st;
    if (p == NULL || (try_patch && patch == NULL)) {
        free(p);
        free(patch);
        return rb_fail(err, RB_E_INTERNAL, "out of memory starting the import");
    }
    if ((st = pipeline_init(p, db, err)) != RB_OK) {
        free(p);
        free(patch);
        return st;
    }
    p->sort_memory = sort_memory;
    rb_snapshot_builder *builder = NULL;
    bool published = false;

    /* The write transaction of the main database is the lock: no other
     * import or run works meanwhile. A connection re-attaches the snapshot
     * outside a transaction, so it is detached first. */
    rb_snapshot_detach(db);
    if ((st = rb_db_begin(db, err)) != RB_OK || (st = next_import_id(db, &report.import_id, err)) != RB_OK)
        goto out;
    if (try_patch &&
        (st = rb_patch_prepare(db, dir, encoding, SNAPSHOT_CACHE_KIB, PATCH_MAX_CHANGED, patch, &builder, err)) !=
            RB_OK)
        goto out;
    if (builder != NULL) {
        p->patch = patch;
        report.patched = true;
    } else if ((st = rb_snapshot_create(db, SNAPSHOT_CACHE_KIB, &builder, err)) != RB_OK) {
        goto out;
    }
    if ((st = rb_loader_open(builder, &p->loader, err)) != RB_OK)
        goto out;
    if ((st = load_files(p, dir, encoding, &report, err)) != RB_OK) {
        *patch_failed = p->patch != NULL && st == RB_E_DATA;
        goto out;
    }
    rb_loader_close(p->loader);
    p->loader = NULL;
    utc_now(finished_at);
    sqlite3 *snapshot = rb_snapshot_builder_db(builder);
    const rb_line_prints *prints[RB_IMPORT_FILE_COUNT];
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++)
        prints[i] = p->patch != NULL ? &patch->files[i].prints : &p->prints[i];
    if ((p->patch != NULL &&
         (st = rb_db_exec(snapshot, "DELETE FROM snapshot_import_files; DELETE FROM snapshot_import;",
                          "replacing the last import's record in the new snapshot", err)) != RB_OK) ||
        (st = rb_patch_record_prints(snapshot, prints, err)) != RB_OK ||
        (st = record_import(snapshot, false, dir, encoding, started_at, finished_at, &report, err)) != RB_OK)
        goto out;
    st = rb_snapshot_publish(builder, &published, err);
    builder = NULL;
    if (!published)
        goto out;
    /* A crash here leaves a snapshot whose import the history lacks:
     * rb_db_open copies the snapshot's own record (rb_snapshot_repair_history). */
    rb_crash_point("snapshot-published");
    rb_error history_err;
    rb_error_clear(&history_err);
    rb_status history = record_import(db, true, dir, encoding, started_at, finished_at, &report, &history_err);
    if (history == RB_OK)
        history = rb_db_commit(db, &history_err);
    if (st == RB_OK && history != RB_OK)
        st = rb_fail(err, history, "%s", history_err.message);
out:
    rb_loader_close(p->loader);
    rb_snapshot_abandon(builder);
    rb_db_rollback(db);
    pipeline_free(p);
    free(p);
    if (patch != NULL)
        rb_patch_free(patch);
    free(patch);
    rb_error attach_err;
    rb_error_clear(&attach_err);
    rb_status attached = rb_snapshot_attach(db, &attach_err);
    if (attached == RB_OK && published)
        attached = rb_snapshot_repair_history(db, &attach_err);
    if (st == RB_OK && attached != RB_OK)
        st = rb_fail(err, attached, "%s", attach_err.message);
    if (st == RB_OK && out != NULL)
        *out = report;
    return st;
}

rb_status rb_import_sized(sqlite3 *db, const char *dir, rb_encoding encoding, size_t sort_memory,
                          rb_import_report *out, rb_error *err)
{
    rb_status st = rb_import_check(dir, err);
    if (st != RB_OK)
        return st;
    bool patch_failed = false;
    st = import_once(db, dir, encoding, sort_memory, true, &patch_failed, out, err);
    if (patch_failed) {
        /* Cannot happen when the fingerprints are right; the whole reading
         * says what is wrong, or finds nothing. */
        rb_error_clear(err);
        st = import_once(db, dir, encoding, sort_memory, false, &patch_failed, out, err);
    }
    return st;
}
