/* The three extracts as data (private to src/import): their columns with
 * canonical names and Chinese aliases, how each field is checked and turned
 * into what the snapshot stores, the header matching, and the Chinese
 * sentences that explain a rejected row to a reviewer. */
#ifndef REBATE_IMPORT_EXTRACTS_H
#define REBATE_IMPORT_EXTRACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "import/csv_reader.h"
#include "rebate/error.h"
#include "rebate/strbuf.h"

#define RB_EXTRACT_MAX_COLUMNS 12 /* spec columns of the widest extract, with room */
#define RB_EXTRACT_MAX_STORED 16  /* stored values of the widest extract, with room */

/* How a column's field is checked and stored (docs/formats.md, per column). */
typedef enum rb_column_kind {
    RB_COL_USCC,           /* GB 32100-2015 code, stored upper-cased */
    RB_COL_TEXT,           /* any text, stored trimmed */
    RB_COL_DATE,           /* date, stored 'YYYY-MM-DD' */
    RB_COL_PERIOD,         /* period, stored as the integer YYYYMM */
    RB_COL_MONEY,          /* yuan, stored as integer fen */
    RB_COL_COUNT,          /* integer 0-1000000; empty optional = 0 */
    RB_COL_REG_STATUS,     /* stored as given plus its class (two values) */
    RB_COL_UI_STATUS,      /* stored as given plus its class (two values) */
    RB_COL_ACCOUNT_SOURCE, /* 对公 or 税务; empty = 对公 */
    RB_COL_DISHONESTY,     /* stored 1 or 0; empty = 0 */
    RB_COL_REGION_CODE,    /* 6 ASCII digits */
    RB_COL_BANK_CODE,      /* 12 ASCII digits */
    RB_COL_BANK_ACCOUNT    /* spaces, U+3000 and '-' removed; empty after that = NULL */
} rb_column_kind;

typedef struct rb_column {
    const char *name;     /* canonical name, e.g. "employer_paid" */
    const char *alias;    /* Chinese alias, e.g. "单位实缴" */
    bool required;
    rb_column_kind kind;
} rb_column;

typedef struct rb_extract {
    const char *file;           /* "registration.csv" */
    const char *table;          /* snapshot table */
    const rb_column *columns;   /* in the order of docs/formats.md */
    size_t n_columns;
    size_t n_key;               /* the first n_key columns form the key */
    size_t n_stored;            /* values stored per row, line not counted */
    const char *insert_sql;     /* ?1..?n_stored the stored values, ?n_stored+1 the line */
    const char *select_sql;     /* the stored values and line of the row with key ?1[, ?2] */
    const char *delete_conflicts_sql; /* removes the rows whose key is in temp.import_conflict_keys */
} rb_extract;

/* Indexed by RB_IMPORT_REGISTRATION, ... */
extern const rb_extract rb_extracts[];

/* Number of stored values a column yields (2 for the status columns). */
static inline size_t rb_column_stored_count(const rb_column *column)
{
    return column->kind == RB_COL_REG_STATUS || column->kind == RB_COL_UI_STATUS ? 2 : 1;
}

/* A value as it is bound to the INSERT and compared for duplicates. */
typedef enum rb_value_type { RB_VALUE_NULL, RB_VALUE_INT, RB_VALUE_TEXT } rb_value_type;

typedef struct rb_value {
    rb_value_type type;
    int64_t integer;  /* RB_VALUE_INT */
    const char *text; /* RB_VALUE_TEXT: not NUL-terminated */
    size_t len;
} rb_value;

/* Room a column needs to hold its converted text (a date, an upper-cased
 * code); the bank account, which can be long, goes to `account` instead. */
typedef struct rb_field_scratch {
    char small[24];
    rb_strbuf *account; /* reset by the caller once per row; one account column per extract */
} rb_field_scratch;

/* Checks the trimmed field text[0..len) of column and writes its stored
 * value(s) to out (rb_column_stored_count of them). Returns NULL when the
 * field is good, else the rule code it breaks (RB_ROW_*), or NULL with
 * *out_of_memory set when the account buffer could not grow. */
const char *rb_field_parse(const rb_column *column, const char *text, size_t len, rb_value *out,
                           rb_field_scratch *scratch, bool *out_of_memory);

/* Matches a header record (fields as read, untrimmed) against extract x:
 * position[c] is the field index of column c, or -1 when an optional column
 * is absent. A missing required column or a column named twice is RB_E_DATA
 * with one sentence naming the file, the line and the column. */
rb_status rb_header_match(const rb_extract *x, const rb_csv_field *fields, size_t count, int64_t line,
                          long position[RB_EXTRACT_MAX_COLUMNS], rb_error *err);

/* Appends to msg the Chinese sentence for a row breaking `rule` in column
 * (NULL for FIELD_COUNT) with the trimmed value; for FIELD_COUNT, fields and
 * header_fields are the two counts. */
bool rb_row_error_message(rb_strbuf *msg, const char *rule, int64_t line, const rb_column *column,
                          const char *value, size_t value_len, size_t fields, size_t header_fields);

/* Appends value to msg, cut (on a character boundary, with "…") when it is
 * longer than a message should quote. */
bool rb_message_quote(rb_strbuf *msg, const char *value, size_t len);

/* Sets out to the uscc_prefix of a uscc field: its first 17 characters,
 * ASCII upper-cased, when it has exactly 18 characters, else to "".
 * Returns false when memory ran out. */
bool rb_uscc_field_prefix(const char *text, size_t len, rb_strbuf *out);

#endif
