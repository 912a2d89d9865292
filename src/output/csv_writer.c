/* The CSV writer of the batch files (docs/formats.md): a UTF-8 BOM so that Excel
 * on a Chinese Windows reads the file as UTF-8, CRLF line ends, RFC 4180
 * quoting, and the formula guard on text cells. Written by hand rather than
 * with libcsv's csv_fwrite, which quotes every field: quoting only where
 * needed keeps the files readable and is a few lines. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rebate/csv_writer.h"

/* Hands the gathered bytes to the stream, latching the first failure. */
static void flush_row(rb_csv_writer *w)
{
    if (w->row_len == 0)
        return;
    size_t len = w->row_len;
    w->row_len = 0;
    if (w->failed)
        return;
    errno = 0;
    if (fwrite(w->row, 1, len, w->file) != len) {
        w->failed = true;
        w->error_number = errno ? errno : EIO;
    }
}

/* Adds len bytes to the row. */
static void put(rb_csv_writer *w, const char *data, size_t len)
{
    while (len > 0) {
        size_t room = sizeof w->row - w->row_len;
        if (room == 0) {
            flush_row(w);
            room = sizeof w->row;
        }
        size_t n = len < room ? len : room;
        memcpy(w->row + w->row_len, data, n);
        w->row_len += n;
        data += n;
        len -= n;
    }
}

static void put_char(rb_csv_writer *w, char c)
{
    if (w->row_len == sizeof w->row)
        flush_row(w);
    w->row[w->row_len++] = c;
}

/* The field separator before every field but the first of a row. */
static void start_field(rb_csv_writer *w)
{
    if (w->row_started)
        put_char(w, ',');
    w->row_started = true;
}

/* One field of len bytes with RFC 4180 quoting: quoted when it holds a
 * comma, a quote, CR or LF, inner quotes doubled. guard prefixes the ' of
 * the formula guard (inside the quotes when the field is quoted). */
static void put_field(rb_csv_writer *w, const char *text, size_t len, bool guard)
{
    start_field(w);
    if (text == NULL)
        return;
    bool quote = false;
    for (size_t i = 0; i < len && !quote; i++)
        quote = text[i] == ',' || text[i] == '"' || text[i] == '\r' || text[i] == '\n';
    if (quote)
        put_char(w, '"');
    if (guard)
        put_char(w, '\'');
    if (!quote) {
        put(w, text, len);
        return;
    }
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (q == NULL) {
            put(w, p, (size_t)(end - p));
            break;
        }
        put(w, p, (size_t)(q - p) + 1);
        put_char(w, '"');
        p = q + 1;
    }
    put_char(w, '"');
}

/* docs/formats.md: a text cell starting with =, +, -, @, a tab or a carriage
 * return would be run by a spreadsheet as a formula (CSV injection). */
static bool needs_formula_guard(const char *text)
{
    return text != NULL && text[0] != '\0' && strchr("=+-@\t\r", text[0]) != NULL;
}

rb_status rb_csv_begin(rb_csv_writer *w, FILE *file, const char *path, const char *const *header, size_t n,
                       rb_error *err)
{
    w->file = file;
    w->path = path;
    w->row_started = false;
    w->failed = false;
    w->error_number = 0;
    w->row_len = 0;
    if (file == NULL || (header == NULL && n > 0))
        return rb_fail(err, RB_E_INTERNAL, "CSV file '%s' started without a stream or header",
                       path ? path : "(unnamed)");
    put(w, "\xEF\xBB\xBF", 3);
    /* Header names are ours: quoted if need be, never guarded. */
    for (size_t i = 0; i < n; i++)
        put_field(w, header[i], strlen(header[i]), false);
    rb_csv_end_row(w);
    if (w->failed)
        return rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': %s", path ? path : "(unnamed)",
                       strerror(w->error_number));
    return RB_OK;
}

void rb_csv_text(rb_csv_writer *w, const char *text)
{
    put_field(w, text, text ? strlen(text) : 0, needs_formula_guard(text));
}

void rb_csv_money(rb_csv_writer *w, rb_fen fen)
{
    char buf[RB_MONEY_BUFSZ];
    const char *text = rb_money_format(fen, buf);
    put_field(w, text, strlen(text), false);
}

void rb_csv_int(rb_csv_writer *w, long long value)
{
    char buf[32];
    unsigned long long mag = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    char *p = rb_decimal_digits(mag, buf + sizeof buf);
    if (value < 0)
        *--p = '-';
    put_field(w, p, (size_t)(buf + sizeof buf - p), false);
}

void rb_csv_end_row(rb_csv_writer *w)
{
    put(w, "\r\n", 2);
    flush_row(w);
    w->row_started = false;
}

rb_status rb_csv_status(const rb_csv_writer *w, rb_error *err)
{
    const char *path = w->path ? w->path : "(unnamed)";
    if (w->failed)
        return rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': %s", path, strerror(w->error_number));
    if (w->file == NULL)
        return rb_fail(err, RB_E_INTERNAL, "CSV file '%s' was never started", path);
    /* Buffered rows reach the file only now: a full disk shows here. */
    errno = 0;
    if (fflush(w->file) != 0 || ferror(w->file))
        return rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': %s", path, strerror(errno ? errno : EIO));
    return RB_OK;
}
