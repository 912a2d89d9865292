/* CSV files read back cell by cell with libcsv, independently of the
 * program's writer: the batch files in the reliability runners, and a
 * workbook's sheets as LibreOffice converts them. */
#ifndef REBATE_TEST_CSV_TABLE_H
#define REBATE_TEST_CSV_TABLE_H

#include <csv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define CSV_TABLE_HELPER static __attribute__((unused))

typedef struct csv_table {
    char ***rows;   /* rows[r][c], NUL-terminated cells */
    size_t *widths; /* cells in each row */
    size_t n_rows, cap_rows;
    char **cells;   /* the row being read */
    size_t n_cells, cap_cells;
} csv_table;

CSV_TABLE_HELPER void csv_table_cell(void *data, size_t len, void *table)
{
    csv_table *t = table;
    if (t->n_cells == t->cap_cells) {
        t->cap_cells = t->cap_cells ? 2 * t->cap_cells : 16;
        t->cells = realloc(t->cells, t->cap_cells * sizeof *t->cells);
        ck_assert_ptr_nonnull(t->cells);
    }
    char *cell = malloc(len + 1);
    ck_assert_ptr_nonnull(cell);
    if (len > 0)
        memcpy(cell, data, len);
    cell[len] = '\0';
    t->cells[t->n_cells++] = cell;
}

CSV_TABLE_HELPER void csv_table_row(int terminator, void *table)
{
    (void)terminator;
    csv_table *t = table;
    if (t->n_rows == t->cap_rows) {
        t->cap_rows = t->cap_rows ? 2 * t->cap_rows : 64;
        t->rows = realloc(t->rows, t->cap_rows * sizeof *t->rows);
        t->widths = realloc(t->widths, t->cap_rows * sizeof *t->widths);
        ck_assert(t->rows != NULL && t->widths != NULL);
    }
    t->rows[t->n_rows] = t->cells;
    t->widths[t->n_rows++] = t->n_cells;
    t->cells = NULL;
    t->n_cells = t->cap_cells = 0;
}

/* Reads a CSV file (a BOM skipped) with libcsv's options; false when it
 * cannot be read or parsed. */
CSV_TABLE_HELPER bool csv_table_read_with(const char *path, csv_table *t, unsigned char options)
{
    memset(t, 0, sizeof *t);
    size_t len = 0;
    char *text = ts_read_file(path, &len);
    if (text == NULL)
        return false;
    size_t skip = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    struct csv_parser p;
    bool ok = csv_init(&p, options) == 0 &&
              csv_parse(&p, text + skip, len - skip, csv_table_cell, csv_table_row, t) == len - skip &&
              csv_fini(&p, csv_table_cell, csv_table_row, t) == 0;
    csv_free(&p);
    free(text);
    return ok;
}

/* Reads a CSV file as docs/formats.md writes it (a BOM, then RFC 4180,
 * strictly); false when it cannot be read or parsed. */
CSV_TABLE_HELPER bool csv_table_read(const char *path, csv_table *t)
{
    return csv_table_read_with(path, t, CSV_STRICT | CSV_STRICT_FINI);
}

CSV_TABLE_HELPER void csv_table_free(csv_table *t)
{
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t c = 0; c < t->widths[r]; c++)
            free(t->rows[r][c]);
        free(t->rows[r]);
    }
    for (size_t c = 0; c < t->n_cells; c++)
        free(t->cells[c]);
    free(t->cells);
    free(t->rows);
    free(t->widths);
    memset(t, 0, sizeof *t);
}

#endif
