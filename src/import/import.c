/* The import: the three extracts replace the snapshot in one transaction.
 * Each record is trimmed, checked column by column, inserted with one
 * reused statement, and accounted for: loaded, rejected (row_errors),
 * exact duplicate (duplicate_rows) or conflicting (row_errors,
 * DATA_CONFLICT). Only a primary-key clash costs more SQL than the insert. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "import/csv_reader.h"
#include "import/extracts.h"
#include "rebate/db.h"
#include "rebate/import.h"
#include "rebate/money.h"
#include "rebate/strbuf.h"
#include "rebate/text.h"
#include "rebate/uscc.h"

bool rb_encoding_parse(const char *text, rb_encoding *out)
{
    if (strcasecmp(text, "auto") == 0)
        *out = RB_ENCODING_AUTO;
    else if (strcasecmp(text, "utf-8") == 0 || strcasecmp(text, "utf8") == 0)
        *out = RB_ENCODING_UTF8;
    else if (strcasecmp(text, "gb18030") == 0 || strcasecmp(text, "gbk") == 0)
        *out = RB_ENCODING_GB18030;
    else
        return false;
    return true;
}

const char *rb_encoding_name(rb_encoding encoding)
{
    switch (encoding) {
    case RB_ENCODING_UTF8:
        return "utf-8";
    case RB_ENCODING_GB18030:
        return "gb18030";
    default:
        return "auto";
    }
}

const char *rb_import_file_name(int file)
{
    return file >= 0 && file < RB_IMPORT_FILE_COUNT ? rb_extracts[file].file : NULL;
}

/* Keys of conflicting duplicates in the file being read: their rows are
 * removed from the snapshot once the file is read (period 0 outside
 * contributions). A temporary table, so memory stays flat however many. */
static const char conflict_table_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS import_conflict_keys ("
    " uscc TEXT NOT NULL, period INTEGER NOT NULL, PRIMARY KEY (uscc, period)) WITHOUT ROWID;"
    "DELETE FROM temp.import_conflict_keys;";

static const char clear_snapshot_sql[] =
    "DELETE FROM row_errors;"
    "DELETE FROM duplicate_rows;"
    "DELETE FROM contributions;"
    "DELETE FROM insured_units;"
    "DELETE FROM registration;";

/* The state of reading one extract. */
typedef struct file_import {
    sqlite3 *db;
    const rb_extract *x;
    rb_import_file_report *report;

    bool have_header;
    size_t header_fields;                       /* fields of the header record */
    int64_t header_line;
    long position[RB_EXTRACT_MAX_COLUMNS];      /* field index of each column, -1 when absent */
    size_t column_of_slot[RB_EXTRACT_MAX_STORED]; /* which column made each stored value */

    sqlite3_stmt *insert_row;       /* the extract's INSERT */
    sqlite3_stmt *select_row;       /* the loaded row with a key */
    sqlite3_stmt *insert_error;     /* into row_errors */
    sqlite3_stmt *insert_duplicate; /* into duplicate_rows */
    sqlite3_stmt *conflict_find;    /* is a key known to conflict? */
    sqlite3_stmt *conflict_add;
    sqlite3_stmt *duplicates_of;    /* exact duplicates of a loaded row */
    sqlite3_stmt *duplicates_drop;

    /* Buffers reused from record to record: no allocation per row. */
    rb_csv_field *trimmed;
    size_t trimmed_cap;
    rb_value values[RB_EXTRACT_MAX_STORED];
    rb_field_scratch scratch[RB_EXTRACT_MAX_COLUMNS];
    rb_strbuf account;              /* the bank account without spaces and '-' */
    rb_strbuf message;              /* the Chinese sentence of a row error */
    rb_strbuf prefix;               /* uscc_prefix */
    rb_strbuf loaded_value;         /* a value of the loaded row, in a conflict */
} file_import;

static void bind_value(sqlite3_stmt *stmt, int index, const rb_value *v)
{
    /* Binding cannot fail for a valid index and these sizes; the step reports
     * any trouble. */
    switch (v->type) {
    case RB_VALUE_NULL:
        sqlite3_bind_null(stmt, index);
        break;
    case RB_VALUE_INT:
        sqlite3_bind_int64(stmt, index, v->integer);
        break;
    case RB_VALUE_TEXT:
        sqlite3_bind_text(stmt, index, v->text, (int)v->len, SQLITE_STATIC);
        break;
    }
}

static void bind_text_or_null(sqlite3_stmt *stmt, int index, const char *text, size_t len)
{
    if (text == NULL || len == 0)
        sqlite3_bind_null(stmt, index);
    else
        sqlite3_bind_text(stmt, index, text, (int)len, SQLITE_STATIC);
}

/* Runs a statement that returns no rows, then resets it. */
static rb_status step_done(file_import *fi, sqlite3_stmt *stmt, const char *what, int64_t line, rb_error *err)
{
    int rc = sqlite3_step(stmt);
    rb_status st = RB_OK;
    if (rc != SQLITE_DONE) {
        char where[160];
        snprintf(where, sizeof where, "%s for '%s' line %lld", what, fi->x->file, (long long)line);
        st = rb_db_fail(fi->db, where, err);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return st;
}

static rb_status out_of_memory(file_import *fi, rb_error *err)
{
    return rb_fail(err, RB_E_INTERNAL, "out of memory importing '%s'", fi->x->file);
}

/* Records one row of row_errors; the sentence is in fi->message. The uscc
 * field as read gives uscc_prefix; code is the valid code, or NULL. */
static rb_status add_row_error(file_import *fi, int64_t line, const rb_column *column, const char *value,
                               size_t value_len, const char *rule, const char *uscc_field, size_t uscc_field_len,
                               const char *code, rb_error *err)
{
    if (uscc_field != NULL && !rb_uscc_field_prefix(uscc_field, uscc_field_len, &fi->prefix))
        return out_of_memory(fi, err);
    sqlite3_stmt *s = fi->insert_error;
    sqlite3_bind_text(s, 1, fi->x->file, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, line);
    bind_text_or_null(s, 3, column ? column->name : NULL, column ? strlen(column->name) : 0);
    if (value == NULL)
        sqlite3_bind_null(s, 4);
    else
        sqlite3_bind_text(s, 4, value, (int)value_len, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, fi->message.buf, (int)fi->message.len, SQLITE_STATIC);
    bind_text_or_null(s, 7, uscc_field, uscc_field_len);
    bind_text_or_null(s, 8, code, code ? strlen(code) : 0);
    bind_text_or_null(s, 9, uscc_field ? fi->prefix.buf : NULL, uscc_field ? fi->prefix.len : 0);
    return step_done(fi, s, "recording a row error", line, err);
}

/* The key of the current row, in words, for the conflict sentences. */
static bool describe_key(file_import *fi, rb_strbuf *msg)
{
    const rb_value *code = &fi->values[0];
    bool ok = rb_strbuf_adds(msg, "统一社会信用代码") && rb_strbuf_add(msg, code->text, code->len);
    if (ok && fi->x->n_key == 2)
        ok = rb_strbuf_addf(msg, "、缴费年月%lld", (long long)fi->values[1].integer);
    return ok;
}

/* The sentence of a DATA_CONFLICT: row `line` against row `other`, which
 * differ in column (NULL when these two are equal but the key conflicts
 * elsewhere), with value of `line` and other_value of `other`. */
static bool conflict_message(file_import *fi, int64_t line, int64_t other, const rb_column *column,
                             const char *value, size_t value_len, const char *other_value, size_t other_len)
{
    rb_strbuf *msg = &fi->message;
    rb_strbuf_reset(msg);
    bool ok = rb_strbuf_addf(msg, "第%lld行与第%lld行的", (long long)line, (long long)other) &&
              describe_key(fi, msg);
    if (ok && column != NULL)
        ok = rb_strbuf_addf(msg, "相同，但“%s”不同（“", column->alias) && rb_message_quote(msg, value, value_len) &&
             rb_strbuf_adds(msg, "”与“") && rb_message_quote(msg, other_value, other_len) &&
             rb_strbuf_adds(msg, "”），数据冲突，同键各行均未导入");
    else if (ok)
        ok = rb_strbuf_adds(msg, "相同，而同键的各行数据不一致，数据冲突，同键各行均未导入");
    return ok;
}

/* Index of the first stored value where the selected row differs from
 * fi->values, or -1 when they are equal. */
static long first_difference(file_import *fi, sqlite3_stmt *sel)
{
    for (size_t s = 0; s < fi->x->n_stored; s++) {
        const rb_value *v = &fi->values[s];
        int type = sqlite3_column_type(sel, (int)s);
        bool same;
        switch (v->type) {
        case RB_VALUE_NULL:
            same = type == SQLITE_NULL;
            break;
        case RB_VALUE_INT:
            same = type == SQLITE_INTEGER && sqlite3_column_int64(sel, (int)s) == v->integer;
            break;
        default:
            same = type == SQLITE_TEXT && (size_t)sqlite3_column_bytes(sel, (int)s) == v->len &&
                   memcmp(sqlite3_column_text(sel, (int)s), v->text, v->len) == 0;
            break;
        }
        if (!same)
            return (long)s;
    }
    return -1;
}

/* Copies stored value `slot` of the selected row into out as text
 * (money as yuan). */
static bool stored_as_text(file_import *fi, sqlite3_stmt *sel, long slot, rb_strbuf *out)
{
    rb_strbuf_reset(out);
    int type = sqlite3_column_type(sel, (int)slot);
    if (type == SQLITE_NULL)
        return true;
    const rb_column *column = &fi->x->columns[fi->column_of_slot[slot]];
    if (type == SQLITE_INTEGER && column->kind == RB_COL_MONEY) {
        char buf[RB_MONEY_BUFSZ];
        return rb_strbuf_adds(out, rb_money_format(sqlite3_column_int64(sel, (int)slot), buf));
    }
    const unsigned char *text = sqlite3_column_text(sel, (int)slot);
    return text == NULL || rb_strbuf_add(out, text, (size_t)sqlite3_column_bytes(sel, (int)slot));
}

static void bind_key(file_import *fi, sqlite3_stmt *stmt)
{
    bind_value(stmt, 1, &fi->values[0]);
    if (fi->x->n_key == 2)
        bind_value(stmt, 2, &fi->values[1]);
    else
        sqlite3_bind_int64(stmt, 2, 0);
}

/* A row whose key is already loaded: an exact duplicate, or a conflict
 * that takes every row with that key out of the snapshot. */
static rb_status same_key(file_import *fi, int64_t line, const char *uscc_field, size_t uscc_field_len,
                          rb_error *err)
{
    rb_import_file_report *report = fi->report;
    const char *code = fi->scratch[0].small; /* the key's valid code */
    sqlite3_stmt *sel = fi->select_row;
    rb_status st = RB_OK;

    bind_value(sel, 1, &fi->values[0]);
    if (fi->x->n_key == 2)
        bind_value(sel, 2, &fi->values[1]);
    int rc = sqlite3_step(sel);
    if (rc != SQLITE_ROW) {
        st = rc == SQLITE_DONE ? rb_fail(err, RB_E_INTERNAL, "the row clashing with '%s' line %lld was not found",
                                         fi->x->file, (long long)line)
                               : rb_db_fail(fi->db, "looking up a duplicate key", err);
        sqlite3_reset(sel);
        sqlite3_clear_bindings(sel);
        return st;
    }
    int64_t first_line = sqlite3_column_int64(sel, (int)fi->x->n_stored);
    long slot = first_difference(fi, sel);
    bool ok = slot < 0 || stored_as_text(fi, sel, slot, &fi->loaded_value);
    sqlite3_reset(sel);
    sqlite3_clear_bindings(sel);
    if (!ok)
        return out_of_memory(fi, err);

    bind_key(fi, fi->conflict_find);
    rc = sqlite3_step(fi->conflict_find);
    bool known_conflict = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = rb_db_fail(fi->db, "looking up a conflicting key", err);
    sqlite3_reset(fi->conflict_find);
    sqlite3_clear_bindings(fi->conflict_find);
    if (st != RB_OK)
        return st;

    if (!known_conflict && slot < 0) {
        sqlite3_stmt *d = fi->insert_duplicate;
        sqlite3_bind_text(d, 1, fi->x->file, -1, SQLITE_STATIC);
        sqlite3_bind_int64(d, 2, line);
        sqlite3_bind_int64(d, 3, first_line);
        if ((st = step_done(fi, d, "recording a duplicate", line, err)) == RB_OK)
            report->rows_duplicate++;
        return st;
    }

    const rb_column *column = slot >= 0 ? &fi->x->columns[fi->column_of_slot[slot]] : NULL;
    const char *value = NULL;
    size_t value_len = 0;
    if (column != NULL) {
        long pos = fi->position[fi->column_of_slot[slot]];
        value = pos >= 0 ? fi->trimmed[pos].text : "";
        value_len = pos >= 0 ? fi->trimmed[pos].len : 0;
    }
    const char *loaded = fi->loaded_value.buf;
    size_t loaded_len = fi->loaded_value.len;

    if (!known_conflict) {
        /* First conflict on this key: the loaded row and its exact duplicates
         * become conflicting too. */
        bind_key(fi, fi->conflict_add);
        if ((st = step_done(fi, fi->conflict_add, "recording a conflicting key", line, err)) != RB_OK)
            return st;
        if (!conflict_message(fi, first_line, line, column, loaded, loaded_len, value, value_len))
            return out_of_memory(fi, err);
        if ((st = add_row_error(fi, first_line, column, column ? loaded : NULL, loaded_len, RB_ROW_DATA_CONFLICT,
                                code, RB_USCC_LEN, code, err)) != RB_OK)
            return st;
        report->rows_loaded--;
        report->rows_conflicting++;

        sqlite3_stmt *dups = fi->duplicates_of;
        sqlite3_bind_text(dups, 1, fi->x->file, -1, SQLITE_STATIC);
        sqlite3_bind_int64(dups, 2, first_line);
        while ((rc = sqlite3_step(dups)) == SQLITE_ROW) {
            int64_t dup_line = sqlite3_column_int64(dups, 0);
            if (!conflict_message(fi, dup_line, line, column, loaded, loaded_len, value, value_len)) {
                st = out_of_memory(fi, err);
                break;
            }
            if ((st = add_row_error(fi, dup_line, column, column ? loaded : NULL, loaded_len,
                                    RB_ROW_DATA_CONFLICT, code, RB_USCC_LEN, code, err)) != RB_OK)
                break;
            report->rows_duplicate--;
            report->rows_conflicting++;
        }
        if (st == RB_OK && rc != SQLITE_DONE)
            st = rb_db_fail(fi->db, "reading duplicates", err);
        sqlite3_reset(dups);
        sqlite3_clear_bindings(dups);
        if (st != RB_OK)
            return st;
        sqlite3_stmt *drop = fi->duplicates_drop;
        sqlite3_bind_text(drop, 1, fi->x->file, -1, SQLITE_STATIC);
        sqlite3_bind_int64(drop, 2, first_line);
        if ((st = step_done(fi, drop, "reclassifying duplicates", line, err)) != RB_OK)
            return st;
    }

    if (!conflict_message(fi, line, first_line, column, value, value_len, loaded, loaded_len))
        return out_of_memory(fi, err);
    if ((st = add_row_error(fi, line, column, value, value_len, RB_ROW_DATA_CONFLICT, uscc_field, uscc_field_len,
                            code, err)) != RB_OK)
        return st;
    report->rows_conflicting++;
    return RB_OK;
}

static rb_status insert_row(file_import *fi, int64_t line, const char *uscc_field, size_t uscc_field_len,
                            rb_error *err)
{
    sqlite3_stmt *ins = fi->insert_row;
    size_t n = fi->x->n_stored;
    for (size_t s = 0; s < n; s++)
        bind_value(ins, (int)s + 1, &fi->values[s]);
    sqlite3_bind_int64(ins, (int)n + 1, line);
    int rc = sqlite3_step(ins);
    rb_status st = RB_OK;
    bool clash = false;
    if (rc == SQLITE_DONE) {
        fi->report->rows_loaded++;
    } else if (sqlite3_extended_errcode(fi->db) == SQLITE_CONSTRAINT_PRIMARYKEY) {
        clash = true;
    } else {
        char where[160];
        snprintf(where, sizeof where, "loading '%s' line %lld", fi->x->file, (long long)line);
        st = rb_db_fail(fi->db, where, err);
    }
    sqlite3_reset(ins);
    if (clash)
        st = same_key(fi, line, uscc_field, uscc_field_len, err);
    return st;
}

static rb_status take_header(file_import *fi, int64_t line, const rb_csv_field *fields, size_t count,
                             rb_error *err)
{
    fi->have_header = true;
    fi->header_fields = count;
    fi->header_line = line;
    return rb_header_match(fi->x, fields, count, line, fi->position, err);
}

static rb_status on_record(void *ctx, int64_t line, const rb_csv_field *fields, size_t count, rb_error *err)
{
    file_import *fi = ctx;
    if (count > fi->trimmed_cap) {
        size_t cap = count < 32 ? 32 : count;
        rb_csv_field *grown = realloc(fi->trimmed, cap * sizeof *grown);
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
    if (!fi->have_header)
        return take_header(fi, line, fields, count, err);

    fi->report->rows_read++;
    const char *uscc_field = NULL;
    size_t uscc_field_len = 0;
    long uscc_pos = fi->position[0];
    if (uscc_pos >= 0 && (size_t)uscc_pos < count && fi->trimmed[uscc_pos].len > 0) {
        uscc_field = fi->trimmed[uscc_pos].text;
        uscc_field_len = fi->trimmed[uscc_pos].len;
    }
    char code_buf[RB_USCC_LEN + 1];
    const char *code = uscc_field && rb_uscc_normalize(uscc_field, uscc_field_len, code_buf) ? code_buf : NULL;

    rb_strbuf_reset(&fi->message);
    if (count != fi->header_fields) {
        if (!rb_row_error_message(&fi->message, RB_ROW_FIELD_COUNT, line, NULL, NULL, 0, count, fi->header_fields))
            return out_of_memory(fi, err);
        fi->report->rows_rejected++;
        return add_row_error(fi, line, NULL, NULL, 0, RB_ROW_FIELD_COUNT, uscc_field, uscc_field_len, code, err);
    }

    size_t slot = 0;
    for (size_t c = 0; c < fi->x->n_columns; c++) {
        const rb_column *column = &fi->x->columns[c];
        long pos = fi->position[c];
        const char *text = pos >= 0 ? fi->trimmed[pos].text : "";
        size_t len = pos >= 0 ? fi->trimmed[pos].len : 0;
        bool oom = false;
        const char *rule = rb_field_parse(column, text, len, &fi->values[slot], &fi->scratch[c], &oom);
        if (oom)
            return out_of_memory(fi, err);
        if (rule != NULL) {
            if (!rb_row_error_message(&fi->message, rule, line, column, text, len, 0, 0))
                return out_of_memory(fi, err);
            fi->report->rows_rejected++;
            return add_row_error(fi, line, column, text, len, rule, uscc_field, uscc_field_len, code, err);
        }
        slot += rb_column_stored_count(column);
    }
    return insert_row(fi, line, uscc_field, uscc_field_len, err);
}

static rb_status prepare(file_import *fi, sqlite3_stmt **stmt, const char *sql, rb_error *err)
{
    if (sqlite3_prepare_v2(fi->db, sql, -1, stmt, NULL) != SQLITE_OK)
        return rb_db_fail(fi->db, "preparing the import statements", err);
    return RB_OK;
}

static rb_status import_file(sqlite3 *db, const char *dir, int which, rb_encoding encoding,
                             rb_import_file_report *report, rb_error *err)
{
    file_import fi = {.db = db, .x = &rb_extracts[which], .report = report};
    rb_strbuf path = RB_STRBUF_INIT;
    rb_strbuf_init(&fi.account);
    rb_strbuf_init(&fi.message);
    rb_strbuf_init(&fi.prefix);
    rb_strbuf_init(&fi.loaded_value);
    for (size_t c = 0; c < RB_EXTRACT_MAX_COLUMNS; c++)
        fi.scratch[c].account = &fi.account;
    for (size_t c = 0, slot = 0; c < fi.x->n_columns; c++)
        for (size_t k = 0; k < rb_column_stored_count(&fi.x->columns[c]); k++)
            fi.column_of_slot[slot++] = c;

    memset(report, 0, sizeof *report);
    report->file = fi.x->file;

    rb_status st = RB_OK;
    if (!rb_strbuf_addf(&path, "%s/%s", dir, fi.x->file)) {
        st = out_of_memory(&fi, err);
        goto out;
    }
    if ((st = prepare(&fi, &fi.insert_row, fi.x->insert_sql, err)) != RB_OK ||
        (st = prepare(&fi, &fi.select_row, fi.x->select_sql, err)) != RB_OK ||
        (st = prepare(&fi, &fi.insert_error,
                      "INSERT INTO row_errors (file, line, column_name, value, rule, message, uscc_field, uscc,"
                      " uscc_prefix) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                      err)) != RB_OK ||
        (st = prepare(&fi, &fi.insert_duplicate,
                      "INSERT INTO duplicate_rows (file, line, first_line) VALUES (?1, ?2, ?3)", err)) != RB_OK ||
        (st = prepare(&fi, &fi.conflict_find,
                      "SELECT 1 FROM temp.import_conflict_keys WHERE uscc = ?1 AND period = ?2", err)) != RB_OK ||
        (st = prepare(&fi, &fi.conflict_add, "INSERT INTO temp.import_conflict_keys (uscc, period) VALUES (?1, ?2)",
                      err)) != RB_OK ||
        (st = prepare(&fi, &fi.duplicates_of,
                      "SELECT line FROM duplicate_rows WHERE file = ?1 AND first_line = ?2 ORDER BY line",
                      err)) != RB_OK ||
        (st = prepare(&fi, &fi.duplicates_drop, "DELETE FROM duplicate_rows WHERE file = ?1 AND first_line = ?2",
                      err)) != RB_OK)
        goto out;

    rb_csv_info info;
    if ((st = rb_csv_read(path.buf, fi.x->file, encoding, on_record, &fi, &info, err)) != RB_OK)
        goto out;
    if (!fi.have_header) {
        st = rb_fail(err, RB_E_DATA, "cannot import '%s': it has no header (the file is empty or blank)", fi.x->file);
        goto out;
    }
    char what[128];
    snprintf(what, sizeof what, "removing the conflicting rows of '%s'", fi.x->file);
    if ((st = rb_db_exec(db, fi.x->delete_conflicts_sql, what, err)) != RB_OK ||
        (st = rb_db_exec(db, "DELETE FROM temp.import_conflict_keys", what, err)) != RB_OK)
        goto out;
    memcpy(report->encoding, info.encoding, sizeof report->encoding);
    memcpy(report->sha256, info.sha256, sizeof report->sha256);
    if (report->rows_read !=
        report->rows_loaded + report->rows_rejected + report->rows_duplicate + report->rows_conflicting)
        st = rb_fail(err, RB_E_INTERNAL, "the rows of '%s' do not add up (a bug)", fi.x->file);
out:
    sqlite3_finalize(fi.insert_row);
    sqlite3_finalize(fi.select_row);
    sqlite3_finalize(fi.insert_error);
    sqlite3_finalize(fi.insert_duplicate);
    sqlite3_finalize(fi.conflict_find);
    sqlite3_finalize(fi.conflict_add);
    sqlite3_finalize(fi.duplicates_of);
    sqlite3_finalize(fi.duplicates_drop);
    free(fi.trimmed);
    rb_strbuf_release(&fi.account);
    rb_strbuf_release(&fi.message);
    rb_strbuf_release(&fi.prefix);
    rb_strbuf_release(&fi.loaded_value);
    rb_strbuf_release(&path);
    return st;
}

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
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, rb_extracts[i].file) >= (int)sizeof path)
            return rb_fail(err, RB_E_NOINPUT, "cannot read folder '%s': its name is too long", dir);
        /* lstat: a symlink in the folder is refused, not followed. */
        if (lstat(path, &sb) != 0)
            return rb_fail(err, RB_E_NOINPUT, "cannot read '%s': %s", path, strerror(errno));
        if (S_ISLNK(sb.st_mode))
            return rb_fail(err, RB_E_NOINPUT, "cannot read '%s': it is a symlink, which is not followed", path);
        if (!S_ISREG(sb.st_mode))
            return rb_fail(err, RB_E_NOINPUT, "cannot read '%s': not a regular file", path);
    }
    return RB_OK;
}

static rb_status record_import(sqlite3 *db, const char *dir, rb_encoding encoding, const char *started_at,
                               rb_import_report *report, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    rb_status st = RB_OK;
    char finished_at[32];
    utc_now(finished_at);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO imports (started_at, finished_at, source_dir, encoding)"
                           " VALUES (?1, ?2, ?3, ?4)",
                           -1, &stmt, NULL) != SQLITE_OK) {
        st = rb_db_fail(db, "recording the import", err);
        goto out;
    }
    sqlite3_bind_text(stmt, 1, started_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, finished_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, dir, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, rb_encoding_name(encoding), -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        st = rb_db_fail(db, "recording the import", err);
        goto out;
    }
    report->import_id = sqlite3_last_insert_rowid(db);
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO import_files (import_id, file, sha256, encoding, rows_read, rows_loaded,"
                           " rows_rejected, rows_duplicate, rows_conflicting)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                           -1, &stmt, NULL) != SQLITE_OK) {
        st = rb_db_fail(db, "recording the imported files", err);
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
            st = rb_db_fail(db, "recording the imported files", err);
            goto out;
        }
        sqlite3_reset(stmt);
    }
out:
    sqlite3_finalize(stmt);
    return st;
}

rb_status rb_import(sqlite3 *db, const char *dir, rb_encoding encoding, rb_import_report *out, rb_error *err)
{
    rb_import_report report;
    memset(&report, 0, sizeof report);
    rb_status st = rb_import_check(dir, err);
    if (st != RB_OK)
        return st;
    char started_at[32];
    utc_now(started_at);
    if ((st = rb_db_begin(db, err)) != RB_OK)
        return st;
    if ((st = rb_db_exec(db, conflict_table_sql, "preparing the import", err)) != RB_OK ||
        (st = rb_db_exec(db, clear_snapshot_sql, "clearing the previous snapshot", err)) != RB_OK)
        goto out;
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++)
        if ((st = import_file(db, dir, i, encoding, &report.files[i], err)) != RB_OK)
            goto out;
    if ((st = record_import(db, dir, encoding, started_at, &report, err)) != RB_OK ||
        (st = rb_db_commit(db, err)) != RB_OK)
        goto out;
    if (out != NULL)
        *out = report;
out:
    if (st != RB_OK)
        rb_db_rollback(db);
    return st;
}
