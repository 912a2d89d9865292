/* Parsed rows and row errors as compact byte records (private to
 * src/import): the form in which they travel from the thread that parses
 * the extracts to the one that sorts them and the one that writes the
 * snapshot. A row keeps its stored values and, for each field whose text as
 * read differs from how its stored value prints (`75` for 75.00, a lower
 * case code), that text, which a conflict's message quotes. */
#ifndef REBATE_IMPORT_ROWS_H
#define REBATE_IMPORT_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "import/extracts.h"
#include "import/sorter.h"
#include "rebate/strbuf.h"
#include "rebate/uscc.h"

/* A row, as encoded or decoded. Text pointers point into the caller's
 * buffers (encoding) or into the record (decoding). */
typedef struct rb_row {
    int64_t line;
    char code[RB_USCC_LEN + 1];                  /* the valid code (values[0]) */
    rb_value values[RB_EXTRACT_MAX_STORED];      /* every stored value, key slots included */
    const char *raw[RB_EXTRACT_MAX_COLUMNS];     /* the field as read when it prints otherwise, else NULL */
    size_t raw_len[RB_EXTRACT_MAX_COLUMNS];
} rb_row;

/* The sort key of a row: its code, its period (contributions), its line.
 * The code is k[0] and the bits of k[1] in RB_ROW_KEY_CODE_MASK: the rows
 * of one firm are the group of rb_sorter_group. */
rb_sort_key rb_row_key(const rb_extract *x, const rb_row *row);
#define RB_ROW_KEY_CODE_MASK (~(uint64_t)0x3fffff)

/* Appends the record of row (its key not included) to out. */
bool rb_row_encode(const rb_extract *x, const rb_row *row, rb_strbuf *out);

/* Decodes a record made by rb_row_encode with its key. False when the bytes
 * are not such a record (a bug). */
bool rb_row_decode(const rb_extract *x, const rb_sort_key *key, const void *data, size_t len, rb_row *row);

/* The column that made stored value `slot`, and the first stored value of
 * a column. */
size_t rb_slot_column(const rb_extract *x, size_t slot);
size_t rb_column_first_slot(const rb_extract *x, size_t column);

/* How the stored value of slot prints where a message quotes the loaded
 * row (money as yuan, NULL as nothing). */
bool rb_row_value_text(const rb_extract *x, const rb_value *v, size_t slot, rb_strbuf *out);

/* A rejected row on its way to row_errors; the uscc_prefix is derived from
 * uscc_field where it is written. */
typedef struct rb_error_row {
    int64_t line;
    int column;                /* index in x->columns, -1 for none */
    const char *value;         /* NULL for SQL NULL */
    size_t value_len;
    const char *rule;
    size_t rule_len;
    const char *message;
    size_t message_len;
    const char *uscc_field;    /* NULL when absent or empty */
    size_t uscc_field_len;
    const char *code;          /* the valid code, or NULL (RB_USCC_LEN bytes) */
} rb_error_row;

bool rb_error_row_encode(const rb_error_row *e, rb_strbuf *out);

/* Decodes one error record at *p (advanced past it) before end. */
bool rb_error_row_decode(const unsigned char **p, const unsigned char *end, rb_error_row *e);

#endif
