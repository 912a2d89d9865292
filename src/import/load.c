/* The loader of src/import/load.h. Reading the rows of a key in line order
 * replays what reading the file top to bottom would do: the first row is
 * loaded; a later equal row is an exact duplicate of it; the first row that
 * differs makes the key conflicting, and then the loaded row, its exact
 * duplicates so far, that row and every later row of the key are
 * conflicting (docs/import.md, "Duplicates and conflicts"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/load.h"
#include "import/rows.h"
#include "rebate/alloc.h"
#include "rebate/db.h"
#include "rebate/strbuf.h"

struct rb_loader {
    rb_snapshot_builder *builder;
    sqlite3 *db;
    sqlite3_stmt *insert_error;
    sqlite3_stmt *insert_duplicate;
    sqlite3_stmt *duplicates_of;   /* the exact duplicates of a loaded row */
    sqlite3_stmt *duplicates_drop;
    rb_strbuf prefix, message, loaded_text, value_text, first_record;
};

/* The state of one key while its rows are read. */
typedef struct key_group {
    const rb_extract *x;
    int file;
    rb_import_file_report *report;
    rb_row first;                 /* the loaded row (decoded from first_record) */
    bool conflict;
    int64_t first_dup, last_dup;  /* lines of its exact duplicates so far (0: none) */
} key_group;

static rb_status prepare(rb_loader *l, sqlite3_stmt **stmt, const char *sql, rb_error *err)
{
    if (sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) != SQLITE_OK)
        return rb_db_fail(l->db, "preparing the import statements", err);
    return RB_OK;
}

rb_status rb_loader_open(rb_snapshot_builder *builder, rb_loader **out, rb_error *err)
{
    *out = NULL;
    rb_loader *l = rb_calloc(1, sizeof *l);
    if (l == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory starting the import");
    l->builder = builder;
    l->db = rb_snapshot_builder_db(builder);
    rb_strbuf_init(&l->prefix);
    rb_strbuf_init(&l->message);
    rb_strbuf_init(&l->loaded_text);
    rb_strbuf_init(&l->value_text);
    rb_strbuf_init(&l->first_record);
    rb_status st;
    if ((st = prepare(l, &l->insert_error,
                      "INSERT INTO row_errors (file, line, column_name, value, rule, message, uscc_field, uscc,"
                      " uscc_prefix) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                      err)) != RB_OK ||
        (st = prepare(l, &l->insert_duplicate, "INSERT INTO duplicate_rows (file, line, first_line) VALUES (?1, ?2, ?3)",
                      err)) != RB_OK ||
        (st = prepare(l, &l->duplicates_of,
                      "SELECT line FROM duplicate_rows WHERE file = ?1 AND line BETWEEN ?2 AND ?3 AND first_line = ?4"
                      " ORDER BY line",
                      err)) != RB_OK ||
        (st = prepare(l, &l->duplicates_drop,
                      "DELETE FROM duplicate_rows WHERE file = ?1 AND line BETWEEN ?2 AND ?3 AND first_line = ?4",
                      err)) != RB_OK) {
        rb_loader_close(l);
        return st;
    }
    *out = l;
    return RB_OK;
}

void rb_loader_close(rb_loader *l)
{
    if (l == NULL)
        return;
    sqlite3_finalize(l->insert_error);
    sqlite3_finalize(l->insert_duplicate);
    sqlite3_finalize(l->duplicates_of);
    sqlite3_finalize(l->duplicates_drop);
    rb_strbuf_release(&l->prefix);
    rb_strbuf_release(&l->message);
    rb_strbuf_release(&l->loaded_text);
    rb_strbuf_release(&l->value_text);
    rb_strbuf_release(&l->first_record);
    free(l);
}

static rb_status out_of_memory(const rb_extract *x, rb_error *err)
{
    return rb_fail(err, RB_E_INTERNAL, "out of memory importing '%s'", x->file);
}

/* Runs a statement that returns no rows, then resets it. */
static rb_status step_done(rb_loader *l, sqlite3_stmt *stmt, const char *what, const rb_extract *x, int64_t line,
                           rb_error *err)
{
    int rc = sqlite3_step(stmt);
    rb_status st = RB_OK;
    if (rc != SQLITE_DONE) {
        char where[160];
        snprintf(where, sizeof where, "%s for '%s' line %lld", what, x->file, (long long)line);
        st = rb_db_fail(l->db, where, err);
    }
    sqlite3_reset(stmt);
    return st;
}

static void bind_text_or_null(sqlite3_stmt *stmt, int index, const char *text, size_t len)
{
    if (text == NULL || len == 0)
        sqlite3_bind_null(stmt, index);
    else
        sqlite3_bind_text(stmt, index, text, (int)len, SQLITE_STATIC);
}

static rb_status add_row_error(rb_loader *l, const rb_extract *x, const rb_error_row *e, rb_error *err)
{
    if (e->uscc_field != NULL && !rb_uscc_field_prefix(e->uscc_field, e->uscc_field_len, &l->prefix))
        return out_of_memory(x, err);
    sqlite3_stmt *s = l->insert_error;
    const char *column = e->column >= 0 ? x->columns[e->column].name : NULL;
    sqlite3_bind_text(s, 1, x->file, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, e->line);
    bind_text_or_null(s, 3, column, column ? strlen(column) : 0);
    if (e->value == NULL)
        sqlite3_bind_null(s, 4);
    else
        sqlite3_bind_text(s, 4, e->value, (int)e->value_len, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, e->rule, (int)e->rule_len, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, e->message, (int)e->message_len, SQLITE_STATIC);
    bind_text_or_null(s, 7, e->uscc_field, e->uscc_field_len);
    bind_text_or_null(s, 8, e->code, e->code ? RB_USCC_LEN : 0);
    bind_text_or_null(s, 9, e->uscc_field ? l->prefix.buf : NULL, e->uscc_field ? l->prefix.len : 0);
    return step_done(l, s, "recording a row error", x, e->line, err);
}

rb_status rb_loader_errors(rb_loader *l, int file, const unsigned char *data, size_t len, rb_error *err)
{
    const rb_extract *x = &rb_extracts[file];
    const unsigned char *p = data, *end = data + len;
    while (p < end) {
        rb_error_row e;
        if (!rb_error_row_decode(&p, end, &e))
            return rb_fail(err, RB_E_INTERNAL, "a row error of '%s' was passed on damaged (a bug)", x->file);
        rb_status st = add_row_error(l, x, &e, err);
        if (st != RB_OK)
            return st;
    }
    return RB_OK;
}

rb_status rb_loader_forget(rb_loader *l, int file, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    rb_status status = RB_OK;
    if (sqlite3_prepare_v2(l->db, "DELETE FROM row_errors WHERE file = ?1", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, rb_extracts[file].file, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE)
        status = rb_db_fail(l->db, "forgetting the row errors of a file read again", err);
    sqlite3_finalize(st);
    return status;
}

/* ------------------------------------------------------------- conflicts */

/* The key of the group in words, for the conflict sentences. */
static bool describe_key(const key_group *g, rb_strbuf *msg)
{
    bool ok = rb_strbuf_adds(msg, "统一社会信用代码") && rb_strbuf_add(msg, g->first.code, RB_USCC_LEN);
    if (ok && g->x->n_key == 2)
        ok = rb_strbuf_addf(msg, "、缴费年月%lld", (long long)g->first.values[1].integer);
    return ok;
}

/* The sentence of a DATA_CONFLICT: row `line` against row `other`, which
 * differ in column (NULL when these two are equal but the key conflicts
 * elsewhere), with value of `line` and other_value of `other`. */
static bool conflict_message(rb_loader *l, const key_group *g, int64_t line, int64_t other, const rb_column *column,
                             const char *value, size_t value_len, const char *other_value, size_t other_len)
{
    rb_strbuf *msg = &l->message;
    rb_strbuf_reset(msg);
    bool ok = rb_strbuf_addf(msg, "第%lld行与第%lld行的", (long long)line, (long long)other) && describe_key(g, msg);
    if (ok && column != NULL)
        ok = rb_strbuf_addf(msg, "相同，但“%s”不同（“", column->alias) && rb_message_quote(msg, value, value_len) &&
             rb_strbuf_adds(msg, "”与“") && rb_message_quote(msg, other_value, other_len) &&
             rb_strbuf_adds(msg, "”），数据冲突，同键各行均未导入");
    else if (ok)
        ok = rb_strbuf_adds(msg, "相同，而同键的各行数据不一致，数据冲突，同键各行均未导入");
    return ok;
}

/* Index of the first stored value where row differs from the loaded row,
 * or -1 when they are equal. */
static long first_difference(const rb_extract *x, const rb_row *row, const rb_row *loaded)
{
    for (size_t s = 0; s < x->n_stored; s++) {
        const rb_value *a = &row->values[s], *b = &loaded->values[s];
        bool same = a->type == b->type &&
                    (a->type == RB_VALUE_NULL || (a->type == RB_VALUE_INT && a->integer == b->integer) ||
                     (a->type == RB_VALUE_TEXT && a->len == b->len && memcmp(a->text, b->text, a->len) == 0));
        if (!same)
            return (long)s;
    }
    return -1;
}

/* A DATA_CONFLICT row error for a row of the key. */
static rb_status conflict_error(rb_loader *l, key_group *g, int64_t line, int column, const char *value,
                                size_t value_len, const char *uscc_field, size_t uscc_field_len, rb_error *err)
{
    rb_error_row e = {
        .line = line,
        .column = column,
        .value = value,
        .value_len = value_len,
        .rule = RB_ROW_DATA_CONFLICT,
        .rule_len = strlen(RB_ROW_DATA_CONFLICT),
        .message = l->message.buf,
        .message_len = l->message.len,
        .uscc_field = uscc_field,
        .uscc_field_len = uscc_field_len,
        .code = g->first.code,
    };
    return add_row_error(l, g->x, &e, err);
}

/* The exact duplicates recorded so far for the loaded row become
 * conflicting, with the sentence of the loaded row. */
static rb_status pull_duplicates(rb_loader *l, key_group *g, int64_t line, const rb_column *column, int column_index,
                                 const char *loaded, size_t loaded_len, const char *value, size_t value_len,
                                 rb_error *err)
{
    if (g->first_dup == 0)
        return RB_OK;
    rb_status st = RB_OK;
    sqlite3_stmt *dups = l->duplicates_of;
    sqlite3_bind_text(dups, 1, g->x->file, -1, SQLITE_STATIC);
    sqlite3_bind_int64(dups, 2, g->first_dup);
    sqlite3_bind_int64(dups, 3, g->last_dup);
    sqlite3_bind_int64(dups, 4, g->first.line);
    /* The statement reads duplicate_rows while row_errors is written: two
     * different tables, so the cursor is not disturbed. */
    int rc;
    while ((rc = sqlite3_step(dups)) == SQLITE_ROW) {
        int64_t dup_line = sqlite3_column_int64(dups, 0);
        if (!conflict_message(l, g, dup_line, line, column, loaded, loaded_len, value, value_len)) {
            st = out_of_memory(g->x, err);
            break;
        }
        if ((st = conflict_error(l, g, dup_line, column_index, column ? loaded : NULL, loaded_len, g->first.code,
                                 RB_USCC_LEN, err)) != RB_OK)
            break;
        g->report->rows_duplicate--;
        g->report->rows_conflicting++;
    }
    if (st == RB_OK && rc != SQLITE_DONE)
        st = rb_db_fail(l->db, "reading duplicates", err);
    sqlite3_reset(dups);
    if (st != RB_OK)
        return st;
    sqlite3_stmt *drop = l->duplicates_drop;
    sqlite3_bind_text(drop, 1, g->x->file, -1, SQLITE_STATIC);
    sqlite3_bind_int64(drop, 2, g->first_dup);
    sqlite3_bind_int64(drop, 3, g->last_dup);
    sqlite3_bind_int64(drop, 4, g->first.line);
    return step_done(l, drop, "reclassifying duplicates", g->x, line, err);
}

/* A later row of the group (same key as the loaded row). */
static rb_status same_key(rb_loader *l, key_group *g, const rb_row *row, rb_error *err)
{
    const rb_extract *x = g->x;
    rb_import_file_report *report = g->report;
    long slot = first_difference(x, row, &g->first);
    rb_status st;
    if (!g->conflict && slot < 0) {
        sqlite3_stmt *d = l->insert_duplicate;
        sqlite3_bind_text(d, 1, x->file, -1, SQLITE_STATIC);
        sqlite3_bind_int64(d, 2, row->line);
        sqlite3_bind_int64(d, 3, g->first.line);
        if ((st = step_done(l, d, "recording a duplicate", x, row->line, err)) != RB_OK)
            return st;
        if (g->first_dup == 0)
            g->first_dup = row->line;
        g->last_dup = row->line;
        report->rows_duplicate++;
        return RB_OK;
    }

    int column_index = slot >= 0 ? (int)rb_slot_column(x, (size_t)slot) : -1;
    const rb_column *column = column_index >= 0 ? &x->columns[column_index] : NULL;
    const char *value = NULL, *loaded = NULL;
    size_t value_len = 0, loaded_len = 0;
    if (column != NULL) {
        /* This row's field as read; the loaded row's value as stored. */
        if (row->raw[column_index] != NULL) {
            value = row->raw[column_index];
            value_len = row->raw_len[column_index];
        } else {
            size_t first = rb_column_first_slot(x, (size_t)column_index);
            if (!rb_row_value_text(x, &row->values[first], first, &l->value_text))
                return out_of_memory(x, err);
            value = l->value_text.buf;
            value_len = l->value_text.len;
        }
        if (!rb_row_value_text(x, &g->first.values[slot], (size_t)slot, &l->loaded_text))
            return out_of_memory(x, err);
        loaded = l->loaded_text.buf;
        loaded_len = l->loaded_text.len;
    }

    if (!g->conflict) {
        /* First conflict on this key: the loaded row and its exact
         * duplicates become conflicting too. */
        g->conflict = true;
        if (!conflict_message(l, g, g->first.line, row->line, column, loaded, loaded_len, value, value_len))
            return out_of_memory(x, err);
        if ((st = conflict_error(l, g, g->first.line, column_index, column ? loaded : NULL, loaded_len,
                                 g->first.code, RB_USCC_LEN, err)) != RB_OK)
            return st;
        report->rows_loaded--;
        report->rows_conflicting++;
        if ((st = pull_duplicates(l, g, row->line, column, column_index, loaded, loaded_len, value, value_len,
                                  err)) != RB_OK)
            return st;
    }

    if (!conflict_message(l, g, row->line, g->first.line, column, value, value_len, loaded, loaded_len))
        return out_of_memory(x, err);
    const char *uscc_field = row->raw[0] != NULL ? row->raw[0] : row->code;
    size_t uscc_field_len = row->raw[0] != NULL ? row->raw_len[0] : RB_USCC_LEN;
    if ((st = conflict_error(l, g, row->line, column_index, value, value_len, uscc_field, uscc_field_len, err)) !=
        RB_OK)
        return st;
    report->rows_conflicting++;
    return RB_OK;
}

/* ----------------------------------------------------------------- rows */

/* The months of the firm being read (contributions). */
typedef struct firm_months {
    char code[RB_USCC_LEN + 1];
    rb_month *months;
    size_t n, cap;
} firm_months;

static rb_status flush_firm(rb_loader *l, firm_months *fm, rb_error *err)
{
    if (fm->n == 0)
        return RB_OK;
    rb_status st = rb_snapshot_add_months(l->builder, fm->code, fm->months, fm->n, err);
    fm->n = 0;
    return st;
}

/* The group is complete: a key without conflict is loaded. */
static rb_status finish_group(rb_loader *l, key_group *g, sqlite3_stmt *insert, firm_months *fm, rb_error *err)
{
    if (g->conflict)
        return RB_OK;
    const rb_extract *x = g->x;
    if (fm != NULL) {
        if (strcmp(fm->code, g->first.code) != 0) {
            rb_status st = flush_firm(l, fm, err);
            if (st != RB_OK)
                return st;
            memcpy(fm->code, g->first.code, sizeof fm->code);
        }
        if (fm->n == fm->cap) {
            size_t cap = fm->cap ? fm->cap * 2 : 64;
            rb_month *grown = rb_realloc(fm->months, cap * sizeof *grown);
            if (grown == NULL)
                return out_of_memory(x, err);
            fm->months = grown;
            fm->cap = cap;
        }
        const rb_value *v = g->first.values;
        rb_month *m = &fm->months[fm->n++];
        m->period = (int32_t)v[1].integer;
        m->insured_count = v[2].integer;
        m->employer_due = v[3].integer;
        m->employer_paid = v[4].integer;
        m->employee_due = v[5].integer;
        m->employee_paid = v[6].integer;
        m->new_claimants = v[7].integer;
        m->line = g->first.line;
        return RB_OK;
    }
    for (size_t s = 0; s < x->n_stored; s++) {
        const rb_value *v = &g->first.values[s];
        if (v->type == RB_VALUE_NULL)
            sqlite3_bind_null(insert, (int)s + 1);
        else if (v->type == RB_VALUE_INT)
            sqlite3_bind_int64(insert, (int)s + 1, v->integer);
        else
            sqlite3_bind_text(insert, (int)s + 1, v->text, (int)v->len, SQLITE_STATIC);
    }
    sqlite3_bind_int64(insert, (int)x->n_stored + 1, g->first.line);
    return step_done(l, insert, "loading", x, g->first.line, err);
}

rb_status rb_loader_rows(rb_loader *l, int file, rb_sorter *sorted, rb_import_file_report *report, rb_error *err)
{
    const rb_extract *x = &rb_extracts[file];
    bool contributions = file == RB_IMPORT_CONTRIBUTIONS;
    sqlite3_stmt *insert = NULL;
    firm_months fm = {0};
    key_group g = {.x = x, .file = file, .report = report};
    bool have_group = false;
    rb_sort_key group_key = {{0, 0, 0}};
    rb_status st = RB_OK;

    if (!contributions && sqlite3_prepare_v2(l->db, x->insert_sql, -1, &insert, NULL) != SQLITE_OK)
        return rb_db_fail(l->db, "preparing the import statements", err);
    for (;;) {
        rb_sort_key key;
        const void *data;
        size_t len;
        bool got;
        if ((st = rb_sorter_next(sorted, &key, &data, &len, &got, err)) != RB_OK)
            break;
        /* A new key: code and period, the line left out. */
        if (!got || !have_group || key.k[0] != group_key.k[0] || key.k[1] != group_key.k[1]) {
            if (have_group && (st = finish_group(l, &g, insert, contributions ? &fm : NULL, err)) != RB_OK)
                break;
            if (!got)
                break;
            /* Keep the loaded row's bytes: the sorter's go at its next step. */
            rb_strbuf_reset(&l->first_record);
            if (!rb_strbuf_add(&l->first_record, data, len)) {
                st = out_of_memory(x, err);
                break;
            }
            if (!rb_row_decode(x, &key, l->first_record.buf, len, &g.first)) {
                st = rb_fail(err, RB_E_INTERNAL, "a row of '%s' was passed on damaged (a bug)", x->file);
                break;
            }
            have_group = true;
            group_key = key;
            g.conflict = false;
            g.first_dup = g.last_dup = 0;
            report->rows_loaded++;
            continue;
        }
        rb_row row;
        if (!rb_row_decode(x, &key, data, len, &row)) {
            st = rb_fail(err, RB_E_INTERNAL, "a row of '%s' was passed on damaged (a bug)", x->file);
            break;
        }
        if ((st = same_key(l, &g, &row, err)) != RB_OK)
            break;
    }
    if (st == RB_OK && contributions)
        st = flush_firm(l, &fm, err);
    sqlite3_finalize(insert);
    free(fm.months);
    return st;
}
