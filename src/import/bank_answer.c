/* The reader of a bank's answer (rebate/bank_answer.h): libcsv, strict,
 * one line at a time so that every error names its line. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <csv.h>

#include "rebate/bank_answer.h"
#include "rebate/strbuf.h"
#include "rebate/text.h"

/* A line longer than this is not a bank answer. */
#define MAX_ANSWER_LINE 65536

#define MAX_FIELDS 4

/* One line's fields, as libcsv delivers them. */
typedef struct answer_line {
    rb_strbuf fields[MAX_FIELDS];
    int n_fields; /* may pass MAX_FIELDS: only counted then */
    int rows;     /* records in the line: 1 unless it is broken */
    bool out_of_memory;
} answer_line;

static void take_field(void *data, size_t len, void *ctx)
{
    answer_line *l = ctx;
    if (l->n_fields < MAX_FIELDS) {
        rb_strbuf *f = &l->fields[l->n_fields];
        rb_strbuf_reset(f);
        if (!rb_strbuf_add(f, data ? data : "", data ? len : 0))
            l->out_of_memory = true;
    }
    l->n_fields++;
}

static void take_row(int c, void *ctx)
{
    (void)c;
    ((answer_line *)ctx)->rows++;
}

/* The field trimmed, in place (fields are NUL-terminated strbufs). */
static const char *field(answer_line *l, int i)
{
    if (i >= l->n_fields || i >= MAX_FIELDS)
        return "";
    rb_strbuf *f = &l->fields[i];
    const char *start = f->buf;
    size_t len = f->len;
    rb_text_trim(&start, &len);
    memmove(f->buf, start, len);
    f->buf[len] = '\0';
    f->len = len;
    return f->buf;
}

rb_status rb_bank_answer_read(FILE *f, const char *path, rb_answer_fn fn, void *ctx, rb_error *err)
{
    struct csv_parser parser;
    answer_line l;
    memset(&l, 0, sizeof l);
    for (int i = 0; i < MAX_FIELDS; i++)
        rb_strbuf_init(&l.fields[i]);
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading '%s'", path);
    char *text = NULL;
    size_t cap = 0;
    ssize_t got;
    long line = 0;
    int header_fields = 0;
    rb_status st = RB_OK;
    errno = 0;
    while (st == RB_OK && (got = getline(&text, &cap, f)) >= 0) {
        line++;
        size_t len = (size_t)got;
        if (len > 0 && text[len - 1] == '\n')
            len--;
        if (len > 0 && text[len - 1] == '\r')
            len--;
        char *start = text;
        if (line == 1 && len >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
            start += 3;
            len -= 3;
        }
        if (len > MAX_ANSWER_LINE) {
            st = rb_answer_line_error(path, line, err, "the line is longer than 64 KiB");
            break;
        }
        if (memchr(start, '\0', len) != NULL || memchr(start, '\r', len) != NULL) {
            st = rb_answer_line_error(path, line, err, "a NUL byte or a carriage return inside the line");
            break;
        }
        size_t bad = 0;
        if (!rb_utf8_valid(start, len, &bad)) {
            st = rb_answer_line_error(path, line, err, "byte %zu is not UTF-8", bad + 1);
            break;
        }
        const char *blank = start;
        size_t blank_len = len;
        rb_text_trim(&blank, &blank_len);
        if (blank_len == 0)
            continue; /* empty lines, e.g. at the end, say nothing */
        l.n_fields = 0;
        l.rows = 0;
        if (csv_parse(&parser, start, len, take_field, take_row, &l) != len ||
            csv_fini(&parser, take_field, take_row, &l) != 0) {
            st = rb_answer_line_error(path, line, err, "broken quoting (a quoted field must end on its line)");
            break;
        }
        if (l.out_of_memory) {
            st = rb_fail(err, RB_E_INTERNAL, "out of memory reading '%s'", path);
            break;
        }
        if (header_fields == 0) {
            bool two = l.n_fields == 2, three = l.n_fields == 3;
            if ((!two && !three) || strcmp(field(&l, 0), "reference") != 0 || strcmp(field(&l, 1), "status") != 0 ||
                (three && strcmp(field(&l, 2), "reason") != 0)) {
                st = rb_answer_line_error(path, line, err, "the header must be reference,status,reason");
                break;
            }
            header_fields = l.n_fields;
            continue;
        }
        if (l.n_fields != header_fields && !(header_fields == 3 && l.n_fields == 2)) {
            st = rb_answer_line_error(path, line, err, "%d fields where the header has %d", l.n_fields, header_fields);
            break;
        }
        const char *reference = field(&l, 0), *reason = field(&l, 2);
        char status[16];
        snprintf(status, sizeof status, "%s", field(&l, 1));
        for (char *p = status; *p != '\0'; p++)
            *p = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
        if (reference[0] == '\0') {
            st = rb_answer_line_error(path, line, err, "the reference is empty");
        } else if (strcmp(status, "paid") != 0 && strcmp(status, "returned") != 0) {
            st = rb_answer_line_error(path, line, err, "status '%s' is neither paid nor returned", field(&l, 1));
        } else {
            st = fn(ctx, line, reference, status, reason, err);
        }
    }
    if (st == RB_OK && ferror(f))
        st = rb_fail(err, RB_E_DATA, "cannot read bank answer '%s': %s; nothing was recorded", path,
                     strerror(errno ? errno : EIO));
    if (st == RB_OK && header_fields == 0)
        st = rb_fail(err, RB_E_DATA, "bank answer '%s' is empty: it needs the header reference,status,reason", path);
    free(text);
    csv_free(&parser);
    for (int i = 0; i < MAX_FIELDS; i++)
        rb_strbuf_release(&l.fields[i]);
    return st;
}
