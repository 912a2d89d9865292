/* The CSV writer of the batch files (docs/formats.md): a UTF-8 BOM so that Excel
 * on a Chinese Windows reads the file as UTF-8, CRLF line ends, RFC 4180
 * quoting, and the formula guard on text cells. Written by hand rather than
 * with libcsv's csv_fwrite, which quotes every field: quoting only where
 * needed keeps the files readable and is a few lines. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rebate/csv_writer.h"

/* Writes len bytes, latching the first failure. */
static void put(rb_csv_writer *w, const char *data, size_t len)
{
    if (w->failed || len == 0)
        return;
    errno = 0;
    if (fwrite(data, 1, len, w->file) != len) {
        w->failed = true;
        w->error_number = errno ? errno : EIO;
    }
}

static void put_str(rb_csv_writer *w, const char *s)
{
    put(w, s, strlen(s));
}

/* The field separator before every field but the first of a row. */
static void start_field(rb_csv_writer *w)
{
    if (w->row_started)
        put(w, ",", 1);
    w->row_started = true;
}

/* One field with RFC 4180 quoting: quoted when it holds a comma, a quote, CR
 * or LF, inner quotes doubled. guard prefixes the ' of the formula guard
 * (inside the quotes when the field is quoted). */
static void put_field(rb_csv_writer *w, const char *text, bool guard)
{
    start_field(w);
    if (text == NULL)
        return;
    bool quote = strpbrk(text, ",\"\r\n") != NULL;
    if (quote)
        put(w, "\"", 1);
    if (guard)
        put(w, "'", 1);
    if (!quote) {
        put_str(w, text);
        return;
    }
    for (const char *p = text; *p != '\0';) {
        const char *q = strchr(p, '"');
        if (q == NULL) {
            put_str(w, p);
            break;
        }
        put(w, p, (size_t)(q - p) + 1);
        put(w, "\"", 1);
        p = q + 1;
    }
    put(w, "\"", 1);
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
    if (file == NULL || (header == NULL && n > 0))
        return rb_fail(err, RB_E_INTERNAL, "CSV file '%s' started without a stream or header",
                       path ? path : "(unnamed)");
    put(w, "\xEF\xBB\xBF", 3);
    /* Header names are ours: quoted if need be, never guarded. */
    for (size_t i = 0; i < n; i++)
        put_field(w, header[i], false);
    rb_csv_end_row(w);
    if (w->failed)
        return rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': %s", path ? path : "(unnamed)",
                       strerror(w->error_number));
    return RB_OK;
}

void rb_csv_text(rb_csv_writer *w, const char *text)
{
    put_field(w, text, needs_formula_guard(text));
}

void rb_csv_money(rb_csv_writer *w, rb_fen fen)
{
    char buf[RB_MONEY_BUFSZ];
    put_field(w, rb_money_format(fen, buf), false);
}

void rb_csv_int(rb_csv_writer *w, long long value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", value);
    put_field(w, buf, false);
}

void rb_csv_end_row(rb_csv_writer *w)
{
    put(w, "\r\n", 2);
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
