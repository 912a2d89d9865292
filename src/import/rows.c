/* The byte records of src/import/rows.h. A row record is: the code's check
 * character; a mask of the slots (beyond the key) that are NULL; a mask of
 * the columns whose text as read follows; each other value (integers as
 * zigzag varints, text as varint length and bytes); each such text. The
 * code's other 17 characters, the period and the line are in the key. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "import/rows.h"
#include "rebate/import.h"
#include "rebate/money.h"
#include "rebate/varint.h"

static bool put_text(rb_strbuf *out, const char *text, size_t len)
{
    return rb_varint_add(out, len) && rb_strbuf_add(out, text, len);
}

static bool get_text(const unsigned char **p, const unsigned char *end, const char **text, size_t *len)
{
    uint64_t n;
    if (!rb_varint_get(p, end, &n) || n > (uint64_t)(end - *p))
        return false;
    *text = (const char *)*p;
    *len = (size_t)n;
    *p += n;
    return true;
}

/* Per extract: which column made each stored slot, whether the slot holds
 * an integer, and each column's first slot. Computed once. */
typedef struct slot_layout {
    unsigned char column[RB_EXTRACT_MAX_STORED];
    bool is_int[RB_EXTRACT_MAX_STORED];
    unsigned char first_slot[RB_EXTRACT_MAX_COLUMNS];
} slot_layout;

static slot_layout layouts[RB_IMPORT_FILE_COUNT];
static pthread_once_t layouts_once = PTHREAD_ONCE_INIT;

static void make_layouts(void)
{
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++) {
        const rb_extract *x = &rb_extracts[f];
        size_t slot = 0;
        for (size_t c = 0; c < x->n_columns; c++) {
            layouts[f].first_slot[c] = (unsigned char)slot;
            rb_column_kind kind = x->columns[c].kind;
            for (size_t k = 0; k < rb_column_stored_count(&x->columns[c]); k++, slot++) {
                layouts[f].column[slot] = (unsigned char)c;
                layouts[f].is_int[slot] =
                    kind == RB_COL_PERIOD || kind == RB_COL_MONEY || kind == RB_COL_COUNT || kind == RB_COL_DISHONESTY;
            }
        }
    }
}

static const slot_layout *layout_of(const rb_extract *x)
{
    pthread_once(&layouts_once, make_layouts);
    return &layouts[x - rb_extracts];
}

size_t rb_slot_column(const rb_extract *x, size_t slot)
{
    return layout_of(x)->column[slot];
}

size_t rb_column_first_slot(const rb_extract *x, size_t column)
{
    return layout_of(x)->first_slot[column];
}

static int64_t period_index(int64_t yyyymm)
{
    return yyyymm / 100 * 12 + yyyymm % 100 - 1;
}

rb_sort_key rb_row_key(const rb_extract *x, const rb_row *row)
{
    rb_sort_key key;
    uint64_t high = 0, low = 0;
    /* Six bits a character ('0'..'Y' minus '0'): the order of the codes. */
    for (int i = 0; i < 10; i++)
        high = high << 6 | (uint64_t)(unsigned char)(row->code[i] - '0');
    for (int i = 10; i < 17; i++)
        low = low << 6 | (uint64_t)(unsigned char)(row->code[i] - '0');
    uint64_t period = x->n_key == 2 && row->values[1].type == RB_VALUE_INT ? (uint64_t)period_index(row->values[1].integer)
                                                                         : 0;
    key.k[0] = high;
    key.k[1] = low << 22 | (period & ~RB_ROW_KEY_CODE_MASK);
    key.k[2] = (uint64_t)row->line;
    return key;
}

/* True when the field as read prints exactly as its stored value does, so
 * that the record need not carry it. */
static bool prints_as_stored(const rb_column *column, const char *raw, size_t len, const rb_value *v)
{
    switch (column->kind) {
    case RB_COL_USCC:
        return v->type == RB_VALUE_TEXT && v->len == len && memcmp(v->text, raw, len) == 0;
    case RB_COL_TEXT:
    case RB_COL_REG_STATUS:
    case RB_COL_UI_STATUS:
    case RB_COL_REGION_CODE:
    case RB_COL_BANK_CODE:
        return true; /* stored as read; NULL when empty */
    case RB_COL_DATE:
        return len == 0 || (len == 10 && raw[4] == '-');
    case RB_COL_PERIOD:
        return len == 6;
    case RB_COL_MONEY:
        return len >= 4 && raw[len - 3] == '.' && (raw[0] != '0' || len == 4);
    case RB_COL_COUNT:
        return len > 0 && (raw[0] != '0' || len == 1);
    case RB_COL_ACCOUNT_SOURCE:
        return len > 0;
    case RB_COL_DISHONESTY:
        return len == 1 && (raw[0] == '0' || raw[0] == '1');
    case RB_COL_BANK_ACCOUNT:
        return v->type == RB_VALUE_NULL ? len == 0 : v->len == len;
    }
    return false;
}

/* Writes into memory reserved beforehand (rb_row_encode's bound). */
static unsigned char *write_text(unsigned char *p, const char *text, size_t len)
{
    p = rb_varint_put(p, len);
    if (len > 0)
        memcpy(p, text, len);
    return p + len;
}

bool rb_row_encode(const rb_extract *x, const rb_row *row, rb_strbuf *out)
{
    unsigned null_mask = 0, raw_mask = 0;
    size_t bound = 5;
    for (size_t s = x->n_key; s < x->n_stored; s++) {
        const rb_value *v = &row->values[s];
        if (v->type == RB_VALUE_NULL)
            null_mask |= 1u << s;
        bound += RB_VARINT_MAX + (v->type == RB_VALUE_TEXT ? v->len : 0);
    }
    const slot_layout *layout = layout_of(x);
    for (size_t c = 0; c < x->n_columns; c++)
        if (!prints_as_stored(&x->columns[c], row->raw[c], row->raw_len[c], &row->values[layout->first_slot[c]])) {
            raw_mask |= 1u << c;
            bound += RB_VARINT_MAX + row->raw_len[c];
        }
    if (!rb_strbuf_grow(out, bound))
        return false;
    unsigned char *start = (unsigned char *)out->buf + out->len, *p = start;
    *p++ = (unsigned char)row->code[17];
    *p++ = (unsigned char)(null_mask & 0xff);
    *p++ = (unsigned char)(null_mask >> 8);
    *p++ = (unsigned char)(raw_mask & 0xff);
    *p++ = (unsigned char)(raw_mask >> 8);
    for (size_t s = x->n_key; s < x->n_stored; s++) {
        const rb_value *v = &row->values[s];
        if (v->type == RB_VALUE_INT)
            p = rb_varint_put(p, rb_zigzag_diff(v->integer, 0));
        else if (v->type == RB_VALUE_TEXT)
            p = write_text(p, v->text, v->len);
    }
    for (size_t c = 0; c < x->n_columns; c++)
        if (raw_mask & (1u << c))
            p = write_text(p, row->raw[c], row->raw_len[c]);
    out->len += (size_t)(p - start);
    out->buf[out->len] = '\0';
    return true;
}

bool rb_row_decode(const rb_extract *x, const rb_sort_key *key, const void *data, size_t len, rb_row *row)
{
    const unsigned char *p = data, *end = p + len;
    if (len < 5)
        return false;
    uint64_t high = key->k[0], low = key->k[1] >> 22;
    for (int i = 9; i >= 0; i--, high >>= 6)
        row->code[i] = (char)('0' + (high & 0x3f));
    for (int i = 16; i >= 10; i--, low >>= 6)
        row->code[i] = (char)('0' + (low & 0x3f));
    row->code[17] = (char)p[0];
    row->code[RB_USCC_LEN] = '\0';
    unsigned null_mask = p[1] | (unsigned)p[2] << 8, raw_mask = p[3] | (unsigned)p[4] << 8;
    p += 5;
    row->line = (int64_t)key->k[2];
    row->values[0].type = RB_VALUE_TEXT;
    row->values[0].text = row->code;
    row->values[0].len = RB_USCC_LEN;
    if (x->n_key == 2) {
        uint64_t index = key->k[1] & 0x3fffff;
        row->values[1].type = RB_VALUE_INT;
        row->values[1].integer = (int64_t)(index / 12 * 100 + index % 12 + 1);
    }
    const slot_layout *layout = layout_of(x);
    for (size_t s = x->n_key; s < x->n_stored; s++) {
        rb_value *v = &row->values[s];
        if (null_mask & (1u << s)) {
            v->type = RB_VALUE_NULL;
        } else if (layout->is_int[s]) {
            uint64_t z;
            if (!rb_varint_get(&p, end, &z))
                return false;
            v->type = RB_VALUE_INT;
            v->integer = rb_zigzag_add(0, z);
        } else {
            v->type = RB_VALUE_TEXT;
            if (!get_text(&p, end, &v->text, &v->len))
                return false;
        }
    }
    for (size_t c = 0; c < x->n_columns; c++) {
        row->raw[c] = NULL;
        row->raw_len[c] = 0;
        if ((raw_mask & (1u << c)) && !get_text(&p, end, &row->raw[c], &row->raw_len[c]))
            return false;
    }
    return p == end;
}

bool rb_row_value_text(const rb_extract *x, const rb_value *v, size_t slot, rb_strbuf *out)
{
    rb_strbuf_reset(out);
    switch (v->type) {
    case RB_VALUE_NULL:
        return true;
    case RB_VALUE_INT:
        if (x->columns[layout_of(x)->column[slot]].kind == RB_COL_MONEY) {
            char buf[RB_MONEY_BUFSZ];
            return rb_strbuf_adds(out, rb_money_format(v->integer, buf));
        }
        return rb_strbuf_addf(out, "%lld", (long long)v->integer);
    case RB_VALUE_TEXT:
        return rb_strbuf_add(out, v->text, v->len);
    }
    return false;
}

bool rb_error_row_encode(const rb_error_row *e, rb_strbuf *out)
{
    unsigned char flags = (unsigned char)((e->value ? 1 : 0) | (e->uscc_field ? 2 : 0) | (e->code ? 4 : 0));
    return rb_varint_add(out, (uint64_t)e->line) && rb_varint_add(out, (uint64_t)(e->column + 1)) &&
           rb_strbuf_add(out, &flags, 1) && (!e->value || put_text(out, e->value, e->value_len)) &&
           put_text(out, e->rule, e->rule_len) && put_text(out, e->message, e->message_len) &&
           (!e->uscc_field || put_text(out, e->uscc_field, e->uscc_field_len)) &&
           (!e->code || rb_strbuf_add(out, e->code, RB_USCC_LEN));
}

bool rb_error_row_decode(const unsigned char **p, const unsigned char *end, rb_error_row *e)
{
    uint64_t line, column;
    memset(e, 0, sizeof *e);
    if (!rb_varint_get(p, end, &line) || !rb_varint_get(p, end, &column) || *p == end)
        return false;
    unsigned char flags = *(*p)++;
    e->line = (int64_t)line;
    e->column = (int)column - 1;
    if ((flags & 1) && !get_text(p, end, &e->value, &e->value_len))
        return false;
    if (!get_text(p, end, &e->rule, &e->rule_len) || !get_text(p, end, &e->message, &e->message_len))
        return false;
    if ((flags & 2) && !get_text(p, end, &e->uscc_field, &e->uscc_field_len))
        return false;
    if (flags & 4) {
        if (end - *p < RB_USCC_LEN)
            return false;
        e->code = (const char *)*p;
        *p += RB_USCC_LEN;
    }
    return true;
}
