/* payout.xlsx and exceptions.xlsx: the workbooks finance prints and signs,
 * written with libxlsxwriter from the bytes of their CSV files (payout.csv's
 * as they are written, through a pipe to a thread of its own;
 * exceptions.csv once closed), so that a workbook holds exactly the rows of
 * its CSV file and is published (or not) with it. Layout and print set-up: docs/batch.md,
 * "The workbooks". Rows are written in order in libxlsxwriter's
 * constant-memory mode; column widths, filter and print set-up, which go
 * into the file only when it is closed, are set after the rows. */
#define _GNU_SOURCE /* RTLD_NEXT: the zip's compression level, below */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>
#include <xlsxwriter.h>

#include "output/workbook.h"
#include "rebate/alloc.h"
#include "rebate/fsutil.h"
#include "rebate/rules.h"
#include "rebate/strbuf.h"
#include "rebate/words.h"

#define MAX_FIELDS 16
#define MAX_COLS 10
#define FIRST_DATA_ROW 3 /* title, batch line, header */
#define LINE_POINTS 15 /* a line of 11-point text, Chinese fonts included */
#define SIGNATURE_LINE "制表人：　　　　复核人：　　　　审批人：　　　　日期："

/* ---- reading a CSV file of the batch back, row by row ---- */

typedef struct csv_row {
    rb_strbuf text;         /* the fields, each ended by a NUL */
    size_t start[MAX_FIELDS];
    size_t n;
} csv_row;

typedef bool (*row_handler)(void *ctx, const csv_row *row);

typedef struct csv_pass {
    csv_row row;
    bool header_done;
    bool failed;            /* out of memory, too many fields, or the handler said stop */
    row_handler handle;
    void *ctx;
} csv_pass;

static const char *field(const csv_row *row, size_t i)
{
    return i < row->n ? row->text.buf + row->start[i] : "";
}

static void pass_field(void *data, size_t len, void *arg)
{
    csv_pass *p = arg;
    if (p->failed)
        return;
    if (p->row.n == MAX_FIELDS) {
        p->failed = true;
        return;
    }
    p->row.start[p->row.n++] = p->row.text.len;
    if (!rb_strbuf_add(&p->row.text, data, len) || !rb_strbuf_addch(&p->row.text, '\0'))
        p->failed = true;
}

static void pass_row(int c, void *arg)
{
    (void)c;
    csv_pass *p = arg;
    if (!p->failed && p->header_done && !p->handle(p->ctx, &p->row))
        p->failed = true;
    p->header_done = true;
    p->row.n = 0;
    rb_strbuf_reset(&p->row.text);
}

/* Calls handle for every data row read from f (what: its name in
 * messages); *stopped when the handler said stop. RB_E_CANTWRITE when the
 * bytes do not read back as CSV. With drain, whatever follows a stop or an
 * error is still read to the end, so that the writer of a pipe never waits
 * for a reader that gave up. */
static rb_status read_stream(FILE *f, const char *what, row_handler handle, void *ctx, bool *stopped, bool drain,
                             rb_error *err)
{
    struct csv_parser parser;
    csv_pass p = {.handle = handle, .ctx = ctx};
    rb_strbuf_init(&p.row.text);
    bool parse_ok = csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) == 0;
    bool first = true;
    char buf[65536];
    size_t got;
    while (parse_ok && !p.failed && (got = fread(buf, 1, sizeof buf, f)) > 0) {
        const char *s = buf;
        if (first && got >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
            s += 3, got -= 3;
        first = false;
        parse_ok = csv_parse(&parser, s, got, pass_field, pass_row, &p) == got;
    }
    while (drain && !ferror(f) && fread(buf, 1, sizeof buf, f) > 0)
        ;
    bool read_error = ferror(f) != 0;
    if (parse_ok && !p.failed)
        parse_ok = csv_fini(&parser, pass_field, pass_row, &p) == 0;
    csv_free(&parser);
    rb_strbuf_release(&p.row.text);
    rb_status st = RB_OK;
    *stopped = p.failed;
    if (read_error || !parse_ok)
        st = rb_fail(err, RB_E_CANTWRITE, "'%s' does not read back as written", what);
    return st;
}

/* Opens dir/name to read it back; its path in *path (released by the
 * caller whatever happens). */
static rb_status open_back(const char *dir, const char *name, rb_strbuf *path, FILE **f, rb_error *err)
{
    *f = NULL;
    if (!rb_strbuf_addf(path, "%s/%s", dir, name))
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading back '%s'", name);
    if ((*f = fopen(path->buf, "rb")) == NULL)
        return rb_fail(err, RB_E_CANTWRITE, "cannot read back '%s': %s", path->buf, strerror(errno));
    return RB_OK;
}

/* read_stream over the file dir/name. */
static rb_status read_csv(const char *dir, const char *name, row_handler handle, void *ctx, bool *stopped,
                          rb_error *err)
{
    rb_strbuf path = RB_STRBUF_INIT;
    FILE *f = NULL;
    rb_status st = open_back(dir, name, &path, &f, err);
    if (st == RB_OK)
        st = read_stream(f, path.buf, handle, ctx, stopped, false, err);
    if (f != NULL)
        fclose(f);
    rb_strbuf_release(&path);
    return st;
}

/* The CSV files put a ' before a text that a spreadsheet would run as a
 * formula; in a workbook a text cell is never a formula, so it goes. */
static const char *unguarded(const char *text)
{
    if (text[0] == '\'' && text[1] != '\0' && strchr("=+-@\t\r", text[1]) != NULL)
        return text + 1;
    return text;
}

/* ---- widths ---- */

size_t rb_display_width(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t width = 0;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (n > len - i)
            n = len - i;
        unsigned cp = n == 1 ? c : c & (0x7F >> n);
        for (size_t k = 1; k < n; k++)
            cp = (cp << 6) | (s[i + k] & 0x3F);
        bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                    (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                    (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
        width += wide ? 2 : 1;
        i += n;
    }
    return width;
}

/* The widest line of text (lines split at \n). */
static size_t text_width(const char *text)
{
    size_t widest = 0;
    for (;;) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        size_t w = rb_display_width(text, len);
        if (w > widest)
            widest = w;
        if (nl == NULL)
            return widest;
        text = nl + 1;
    }
}

/* ---- one sheet ---- */

typedef struct column {
    const char *header;
    size_t cap;             /* widest the column gets; longer text wraps (0: no cap) */
} column;

typedef struct formats {
    lxw_format *title, *info, *header, *text, *wrap, *number, *money, *group, *total_text, *total_money,
        *total_wrap, *signature;
} formats;

typedef struct sheet {
    lxw_worksheet *ws;
    const column *cols;
    size_t ncols;
    size_t width[MAX_COLS];
    lxw_row_t row;          /* the next row to write */
    lxw_error error;        /* the first libxlsxwriter error */
} sheet;

static void note(sheet *s, lxw_error e)
{
    if (s->error == LXW_NO_ERROR)
        s->error = e;
}

static void grow(sheet *s, size_t col, const char *text)
{
    size_t w = text_width(text);
    if (w > s->width[col])
        s->width[col] = w;
}

/* The lines a wrapped cell of the column needs: its text lines, each as
 * wide as the column may get (its cap, less the padding) at most. */
static size_t cell_lines(const sheet *s, size_t col, const char *text)
{
    size_t room = s->cols[col].cap > 4 ? s->cols[col].cap - 3 : 1, lines = 0;
    for (;;) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        size_t w = rb_display_width(text, len);
        lines += w == 0 ? 1 : (w + room - 1) / room;
        if (nl == NULL)
            return lines;
        text = nl + 1;
    }
}

/* Readers do not all grow a row to its wrapped text: a row whose cells
 * take more than one line gets its height, set before its cells are
 * written (constant-memory mode writes rows in order). texts[i] is the text
 * of column cols[i]. */
static void fit_row(sheet *s, const size_t *cols, const char *const *texts, size_t n)
{
    size_t lines = 1;
    for (size_t i = 0; i < n; i++) {
        size_t l = cell_lines(s, cols[i], texts[i]);
        if (l > lines)
            lines = l;
    }
    if (lines > 1)
        note(s, worksheet_set_row(s->ws, s->row, LINE_POINTS * (double)lines + 3, NULL));
}

static void put_text(sheet *s, size_t col, const char *text, lxw_format *f)
{
    grow(s, col, text);
    note(s, worksheet_write_string(s->ws, s->row, (lxw_col_t)col, text, f));
}

/* Money: the exact decimal of the CSV file, converted once to the double
 * the cell stores (the nearest to it; shown with two decimals). */
static void grow_money(sheet *s, size_t col, const char *text)
{
    size_t len = strlen(text);
    size_t digits = len;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '.')
            digits = i;
    /* 1,234,567.89: the commas the format adds */
    size_t shown = len + (digits > 3 ? (digits - 1) / 3 : 0);
    if (shown > s->width[col])
        s->width[col] = shown;
}

static void put_money(sheet *s, size_t col, const char *text, lxw_format *f)
{
    grow_money(s, col, text);
    note(s, worksheet_write_number(s->ws, s->row, (lxw_col_t)col, strtod(text, NULL), f));
}

/* ---- the zip's compression level ----
 *
 * libxlsxwriter zips every part of a workbook through minizip at zlib's
 * default level (6) and has no option for another. At 545,080 payments
 * payout.xlsx's sheet is 435 MB of XML, and deflating it at level 6 was
 * the largest single cost of a first night (about 6 s of CPU of 40); at
 * level 1 it is about 2 s, and the file is about a third larger (53 → 70
 * MB; docs/performance.md). So the one minizip function libxlsxwriter
 * calls to start a part is defined here too: the dynamic linker binds
 * libxlsxwriter's call to the program's definition, which calls
 * minizip's own with level 1 (Z_BEST_SPEED) and every other argument as
 * given. tests/output/test_workbook.c reads the level back from every
 * part of a workbook (minizip marks level 1 in each entry's flags), so a
 * libxlsxwriter that no longer comes through here is seen at once. The
 * prototype is minizip 1.1's (zip.h): zipFile is a pointer, uInt and
 * uLong are unsigned int and unsigned long. */
#define WORKBOOK_ZIP_LEVEL 1
#define MINIZIP_INTERNALERROR (-104)

int zipOpenNewFileInZip4_64(void *file, const char *filename, const void *zipfi, const void *extrafield_local,
                            unsigned int size_extrafield_local, const void *extrafield_global,
                            unsigned int size_extrafield_global, const char *comment, int method, int level,
                            int raw, int window_bits, int mem_level, int strategy, const char *password,
                            unsigned long crc_for_crypting, unsigned long version_made_by, unsigned long flag_base,
                            int zip64);

int zipOpenNewFileInZip4_64(void *file, const char *filename, const void *zipfi, const void *extrafield_local,
                            unsigned int size_extrafield_local, const void *extrafield_global,
                            unsigned int size_extrafield_global, const char *comment, int method, int level,
                            int raw, int window_bits, int mem_level, int strategy, const char *password,
                            unsigned long crc_for_crypting, unsigned long version_made_by, unsigned long flag_base,
                            int zip64)
{
    __typeof__(&zipOpenNewFileInZip4_64) open_part; /* minizip's own, further down the search order */
    *(void **)&open_part = dlsym(RTLD_NEXT, "zipOpenNewFileInZip4_64");
    if (open_part == NULL)
        return MINIZIP_INTERNALERROR; /* libxlsxwriter then fails the workbook, and says so */
    if (level != 0) /* level 0, no compression at all, is left as asked */
        level = WORKBOOK_ZIP_LEVEL;
    return open_part(file, filename, zipfi, extrafield_local, size_extrafield_local, extrafield_global,
                     size_extrafield_global, comment, method, level, raw, window_bits, mem_level, strategy,
                     password, crc_for_crypting, version_made_by, flag_base, zip64);
}

static void sheet_add(sheet *s, lxw_workbook *wb, const char *name, const column *cols, size_t ncols)
{
    memset(s, 0, sizeof *s);
    s->ws = workbook_add_worksheet(wb, name);
    s->cols = cols;
    s->ncols = ncols;
    if (s->ws == NULL)
        s->error = LXW_ERROR_MEMORY_MALLOC_FAILED;
}

/* The filter on the header over data_rows rows (it goes into the file when
 * it is closed, so it may be set after the rows). */
static void sheet_autofilter(sheet *s, size_t data_rows)
{
    if (s->ws != NULL)
        note(s, worksheet_autofilter(s->ws, FIRST_DATA_ROW - 1, 0, (lxw_row_t)(FIRST_DATA_ROW - 1 + data_rows),
                                     (lxw_col_t)(s->ncols - 1)));
}

/* The title, batch and header rows, and the filter over the header and the
 * data_rows under it (SIZE_MAX: not known yet, set by the caller once the
 * rows are written). */
static void sheet_begin(sheet *s, const formats *fm, const char *title, const char *info, size_t data_rows)
{
    if (s->ws == NULL)
        return;
    size_t ncols = s->ncols;
    const column *cols = s->cols;
    if (data_rows != SIZE_MAX) /* SIZE_MAX: not known yet, set later */
        sheet_autofilter(s, data_rows);
    worksheet_freeze_panes(s->ws, FIRST_DATA_ROW, 0);
    note(s, worksheet_repeat_rows(s->ws, 0, FIRST_DATA_ROW - 1));
    /* The title and batch lines are centred across the table's width
     * (merged cells do not go with constant-memory mode). */
    note(s, worksheet_set_row(s->ws, 0, 30, NULL));
    note(s, worksheet_write_string(s->ws, 0, 0, title, fm->title));
    for (size_t c = 1; c < ncols; c++)
        note(s, worksheet_write_blank(s->ws, 0, (lxw_col_t)c, fm->title));
    note(s, worksheet_set_row(s->ws, 1, 20, NULL));
    note(s, worksheet_write_string(s->ws, 1, 0, info, fm->info));
    for (size_t c = 1; c < ncols; c++)
        note(s, worksheet_write_blank(s->ws, 1, (lxw_col_t)c, fm->info));
    for (size_t c = 0; c < ncols; c++) {
        s->width[c] = text_width(cols[c].header);
        note(s, worksheet_write_string(s->ws, 2, (lxw_col_t)c, cols[c].header, fm->header));
    }
    s->row = FIRST_DATA_ROW;
}

/* Widths and the print set-up; then the sheet is done. */
static void sheet_finish(sheet *s)
{
    if (s->ws == NULL)
        return;
    for (size_t c = 0; c < s->ncols; c++) {
        size_t w = s->width[c] + 2;
        if (s->cols[c].cap > 0 && w > s->cols[c].cap)
            w = s->cols[c].cap;
        note(s, worksheet_set_column(s->ws, (lxw_col_t)c, (lxw_col_t)c, (double)w, NULL));
    }
    worksheet_set_landscape(s->ws);
    worksheet_set_paper(s->ws, 9); /* A4 */
    worksheet_set_margins(s->ws, 0.4, 0.4, 0.5, 0.6);
    worksheet_center_horizontally(s->ws);
    worksheet_fit_to_pages(s->ws, 1, 0);
    note(s, worksheet_set_footer(s->ws, "&C第 &P 页，共 &N 页"));
}

/* The signature line, with room above it to sign. */
static void put_signature(sheet *s, const formats *fm)
{
    s->row++;
    note(s, worksheet_set_row(s->ws, s->row, 36, NULL));
    note(s, worksheet_write_string(s->ws, s->row, 0, SIGNATURE_LINE, fm->signature));
    s->row++;
}

/* ---- the workbook ---- */

static const char *xlsx_message(lxw_error e)
{
    return lxw_strerror(e);
}

static lxw_format *new_format(lxw_workbook *wb, int wrap, int bold, const char *num_format)
{
    lxw_format *f = workbook_add_format(wb);
    if (f == NULL)
        return NULL;
    format_set_font_size(f, 11);
    format_set_border(f, LXW_BORDER_THIN);
    format_set_align(f, LXW_ALIGN_VERTICAL_TOP);
    if (wrap)
        format_set_text_wrap(f);
    if (bold)
        format_set_bold(f);
    if (num_format)
        format_set_num_format(f, num_format);
    return f;
}

static bool make_formats(lxw_workbook *wb, formats *fm)
{
    fm->title = workbook_add_format(wb);
    fm->info = workbook_add_format(wb);
    fm->header = new_format(wb, 1, 1, NULL);
    fm->text = new_format(wb, 0, 0, "@");
    fm->wrap = new_format(wb, 1, 0, "@");
    fm->number = new_format(wb, 0, 0, "0");
    fm->money = new_format(wb, 0, 0, "#,##0.00");
    fm->group = workbook_add_format(wb);
    fm->total_text = new_format(wb, 0, 1, "@");
    fm->total_money = new_format(wb, 0, 1, "#,##0.00");
    fm->total_wrap = new_format(wb, 1, 1, "@");
    fm->signature = workbook_add_format(wb);
    lxw_format *all[] = {fm->title, fm->info, fm->header, fm->text, fm->wrap, fm->number, fm->money,
                         fm->group, fm->total_text, fm->total_money, fm->total_wrap, fm->signature};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i] == NULL)
            return false;
    format_set_bold(fm->title);
    format_set_font_size(fm->title, 16);
    format_set_align(fm->title, LXW_ALIGN_CENTER_ACROSS);
    format_set_align(fm->title, LXW_ALIGN_VERTICAL_CENTER);
    format_set_font_size(fm->info, 11);
    format_set_align(fm->info, LXW_ALIGN_CENTER_ACROSS);
    format_set_align(fm->info, LXW_ALIGN_VERTICAL_CENTER);
    format_set_align(fm->header, LXW_ALIGN_CENTER);
    format_set_align(fm->header, LXW_ALIGN_VERTICAL_CENTER);
    format_set_bg_color(fm->header, 0xD9D9D9);
    format_set_align(fm->number, LXW_ALIGN_CENTER);
    format_set_bold(fm->group);
    format_set_font_size(fm->group, 11);
    format_set_font_size(fm->signature, 11);
    format_set_align(fm->signature, LXW_ALIGN_VERTICAL_BOTTOM);
    return true;
}

typedef struct workbook_file {
    lxw_workbook *wb;
    rb_strbuf path;
    formats fm;
} workbook_file;

/* A new workbook dir/name in constant-memory mode. The file is created
 * first as every batch file is (new, owner and group only, no symlink
 * followed); libxlsxwriter then writes over it when it closes. */
static rb_status workbook_open(workbook_file *w, const rb_workbook_batch *batch, const char *name, const char *title,
                               rb_error *err)
{
    memset(w, 0, sizeof *w);
    rb_strbuf_init(&w->path);
    if (!rb_strbuf_addf(&w->path, "%s/%s", batch->dir, name))
        return rb_fail(err, RB_E_INTERNAL, "out of memory writing '%s'", name);
    FILE *f = NULL;
    rb_status st = rb_fs_create(batch->dir, name, &f, err);
    if (st != RB_OK)
        return st;
    fclose(f);
    /* Rows go to a temporary file until the workbook is zipped: made (and
     * unlinked at once) in the batch's own folder, on the disk that holds
     * the batch anyway, not in a /tmp that may be memory. */
    lxw_workbook_options options = {.constant_memory = LXW_TRUE, .tmpdir = (char *)batch->dir, .use_zip64 = LXW_FALSE};
    w->wb = workbook_new_opt(w->path.buf, &options);
    if (w->wb == NULL || !make_formats(w->wb, &w->fm))
        return rb_fail(err, RB_E_INTERNAL, "out of memory writing '%s'", w->path.buf);
    /* The batch's as-of day is the creation time, so that the same batch
     * written again gives the same bytes. */
    int32_t d = batch->as_of;
    struct tm tm = {.tm_year = d / 10000 - 1900, .tm_mon = d / 100 % 100 - 1, .tm_mday = d % 100};
    lxw_doc_properties props = {.title = (char *)title, .author = "rebate", .created = timegm(&tm)};
    lxw_error e = workbook_set_properties(w->wb, &props);
    if (e != LXW_NO_ERROR)
        return rb_fail(err, RB_E_INTERNAL, "cannot set up '%s': %s", w->path.buf, xlsx_message(e));
    return RB_OK;
}

/* Closes (writes) the workbook and makes it durable. */
static rb_status workbook_close_synced(workbook_file *w, rb_error *err)
{
    lxw_error e = workbook_close(w->wb);
    w->wb = NULL;
    if (e != LXW_NO_ERROR)
        return rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': %s", w->path.buf, xlsx_message(e));
    int fd = open(w->path.buf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return rb_fail(err, RB_E_CANTWRITE, "cannot read back '%s': %s", w->path.buf, strerror(errno));
    int synced = fsync(fd);
    int saved = errno;
    close(fd);
    if (synced != 0)
        return rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': %s", w->path.buf, strerror(saved));
    return RB_OK;
}

/* On a failing path: libxlsxwriter frees the workbook only by closing it
 * (which writes the file; the staging folder is removed anyway). */
static void workbook_release(workbook_file *w)
{
    if (w->wb != NULL)
        workbook_close(w->wb);
    w->wb = NULL;
    rb_strbuf_release(&w->path);
}

static rb_status sheet_status(const sheet *s, const workbook_file *w, rb_error *err)
{
    if (s->error != LXW_NO_ERROR)
        return rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': %s", w->path.buf, xlsx_message(s->error));
    return RB_OK;
}

/* A preview's workbooks say so in the title and on the batch line, as its
 * summary.txt does: nobody is to sign one. */
#define PREVIEW_TITLE "【预览】"
#define PREVIEW_LINE "　　*** 预览（DRY RUN）：未记入台账，不得据此拨付 ***"

static void batch_line(const rb_workbook_batch *batch, char *buf, size_t size)
{
    int32_t d = batch->as_of;
    snprintf(buf, size, "批次号：%s　　政策年度：%d　　数据年度：%d　　业务日期：%04d-%02d-%02d%s", batch->batch_id,
             (int)batch->policy_year, (int)batch->policy_year - 1, (int)(d / 10000), (int)(d / 100 % 100),
             (int)(d % 100), batch->dry_run ? PREVIEW_LINE : "");
}

/* The total's stored value: the ledger's exact total as the double nearest
 * to it; refused when that double would not show the same decimal. */
static rb_status total_value(rb_fen total, const char *path, double *out, rb_error *err)
{
    char exact[RB_MONEY_BUFSZ], stored[64];
    rb_money_format(total, exact);
    *out = strtod(exact, NULL);
    snprintf(stored, sizeof stored, "%.2f", *out);
    char shown[64];
    snprintf(shown, sizeof shown, "%.16G", *out); /* as libxlsxwriter stores it */
    if (strcmp(stored, exact) != 0 || strchr(shown, 'E') != NULL)
        return rb_fail(err, RB_E_INTERNAL, "the total %s cannot be stored exactly in '%s'", exact, path);
    return RB_OK;
}

/* ---- payout.xlsx ---- */

static const column payout_cols[] = {
    {"序号", 0},     {"支付编号", 0}, {"统一社会信用代码", 0}, {"单位名称", 30},       {"收款户名", 30},
    {"开户银行", 24}, {"开户行行号", 0}, {"银行账号", 0},         {"返还金额（元）", 0}, {"金额大写", 30},
};
enum { P_SEQ, P_REF, P_USCC, P_NAME, P_ACCOUNT_NAME, P_BANK, P_BANK_CODE, P_ACCOUNT, P_AMOUNT, P_WORDS };

typedef struct payout_pass {
    sheet s;
    const formats *fm;
    int64_t rows;
    rb_fen sum;
    bool bad;               /* an amount or seq that does not parse */
} payout_pass;

/* payout.csv: seq, batch_id, reference, uscc, name, account_name, bank_name,
 * bank_code, bank_account, amount, amount_in_words, policy_year, purpose. */
static bool payout_row(void *ctx, const csv_row *row)
{
    payout_pass *p = ctx;
    sheet *s = &p->s;
    const char *amount = field(row, 9);
    rb_fen fen = 0;
    if (row->n != 13 || rb_money_parse(amount, strlen(amount), &fen) != RB_MONEY_OK || fen > RB_FEN_MAX - p->sum) {
        p->bad = true;
        return false;
    }
    p->sum += fen;
    p->rows++;
    static const size_t wrapped[] = {P_NAME, P_ACCOUNT_NAME, P_BANK, P_WORDS};
    const char *texts[] = {unguarded(field(row, 4)), unguarded(field(row, 5)), unguarded(field(row, 6)),
                           unguarded(field(row, 10))};
    fit_row(s, wrapped, texts, 4);
    grow(s, P_SEQ, field(row, 0));
    note(s, worksheet_write_number(s->ws, s->row, P_SEQ, strtod(field(row, 0), NULL), p->fm->number));
    put_text(s, P_REF, unguarded(field(row, 2)), p->fm->text);
    put_text(s, P_USCC, unguarded(field(row, 3)), p->fm->text);
    put_text(s, P_NAME, unguarded(field(row, 4)), p->fm->wrap);
    put_text(s, P_ACCOUNT_NAME, unguarded(field(row, 5)), p->fm->wrap);
    put_text(s, P_BANK, unguarded(field(row, 6)), p->fm->wrap);
    put_text(s, P_BANK_CODE, unguarded(field(row, 7)), p->fm->text);
    put_text(s, P_ACCOUNT, unguarded(field(row, 8)), p->fm->text);
    put_money(s, P_AMOUNT, amount, p->fm->money);
    put_text(s, P_WORDS, unguarded(field(row, 10)), p->fm->wrap);
    s->row++;
    return s->error == LXW_NO_ERROR;
}

/* payout.xlsx in three steps: opened, its rows added as payout.csv's are
 * read (from the file, or from the pipe the same bytes go through while the
 * file is written), then closed with the ledger's count and total. */
typedef struct payout_book {
    rb_workbook_batch batch;  /* payments and total: set by payout_close's caller */
    char title[256];
    workbook_file w;
    payout_pass p;
} payout_book;

static rb_status payout_open(payout_book *b, const rb_workbook_batch *batch, rb_error *err)
{
    memset(b, 0, sizeof *b);
    b->batch = *batch;
    char info[512];
    snprintf(b->title, sizeof b->title, "%s%d年失业保险稳岗返还（免申即享）拨付明细表",
             batch->dry_run ? PREVIEW_TITLE : "", (int)batch->policy_year);
    batch_line(batch, info, sizeof info);
    rb_status st = workbook_open(&b->w, batch, "payout.xlsx", b->title, err);
    if (st != RB_OK)
        return st;
    b->p.fm = &b->w.fm;
    sheet_add(&b->p.s, b->w.wb, "拨付明细", payout_cols, MAX_COLS);
    sheet_begin(&b->p.s, &b->w.fm, b->title, info, SIZE_MAX);
    return sheet_status(&b->p.s, &b->w, err);
}

/* The rows, from f (what: its name in messages). */
static rb_status payout_rows(payout_book *b, FILE *f, const char *what, bool drain, rb_error *err)
{
    bool stopped = false;
    rb_status st = read_stream(f, what, payout_row, &b->p, &stopped, drain, err);
    if (st == RB_OK && b->p.s.error == LXW_NO_ERROR && (stopped || b->p.bad))
        st = rb_fail(err, RB_E_INTERNAL, "'%s' does not read back as written", what);
    if (st == RB_OK)
        st = sheet_status(&b->p.s, &b->w, err);
    return st;
}

/* The rows must be the ledger's (b->batch.payments, b->batch.total); then
 * the total row, the signature line and the print set-up, and the file is
 * written and synced. */
static rb_status payout_close(payout_book *b, rb_error *err)
{
    const rb_workbook_batch *batch = &b->batch;
    payout_pass *p = &b->p;
    if (p->rows != batch->payments || p->sum != batch->total)
        return rb_fail(err, RB_E_INTERNAL,
                       "'%s/payout.csv' holds %lld payments totalling %lld fen, not the %lld totalling %lld fen of "
                       "the ledger; nothing was published",
                       batch->dir, (long long)p->rows, (long long)p->sum, (long long)batch->payments,
                       (long long)batch->total);
    double total = 0;
    rb_status st = total_value(batch->total, b->w.path.buf, &total, err);
    if (st != RB_OK)
        return st;
    /* The total row: the count, the SUM with the ledger's total stored as
     * its value (what a reader shows without recalculating), the words. */
    sheet *s = &p->s;
    lxw_row_t last = s->row - 1;
    sheet_autofilter(s, (size_t)p->rows);
    char count[64], formula[64], words[RB_WORDS_BUFSZ], total_text[RB_MONEY_BUFSZ];
    snprintf(count, sizeof count, "共 %lld 笔", (long long)p->rows);
    rb_amount_in_words(batch->total, true, words);
    static const size_t total_wrapped[] = {P_WORDS};
    const char *total_texts[] = {words};
    fit_row(s, total_wrapped, total_texts, 1);
    put_text(s, P_SEQ, "合计", b->w.fm.total_text);
    put_text(s, P_REF, count, b->w.fm.total_text);
    for (size_t c = P_USCC; c < P_AMOUNT; c++)
        note(s, worksheet_write_blank(s->ws, s->row, (lxw_col_t)c, b->w.fm.total_text));
    grow_money(s, P_AMOUNT, rb_money_format(batch->total, total_text));
    if (p->rows > 0) {
        snprintf(formula, sizeof formula, "=SUM(I%u:I%u)", (unsigned)FIRST_DATA_ROW + 1, (unsigned)last + 1);
        note(s, worksheet_write_formula_num(s->ws, s->row, P_AMOUNT, formula, b->w.fm.total_money, total));
    } else {
        note(s, worksheet_write_number(s->ws, s->row, P_AMOUNT, 0, b->w.fm.total_money));
    }
    put_text(s, P_WORDS, words, b->w.fm.total_wrap);
    s->row++;
    put_signature(s, &b->w.fm);
    sheet_finish(s);
    st = sheet_status(s, &b->w, err);
    if (st == RB_OK)
        st = workbook_close_synced(&b->w, err);
    return st;
}

static rb_status write_payout(const rb_workbook_batch *batch, rb_error *err)
{
    payout_book b;
    rb_status st = payout_open(&b, batch, err);
    if (st == RB_OK) {
        rb_strbuf path = RB_STRBUF_INIT;
        FILE *f = NULL;
        if ((st = open_back(batch->dir, "payout.csv", &path, &f, err)) == RB_OK)
            st = payout_rows(&b, f, path.buf, false, err);
        if (f != NULL)
            fclose(f);
        rb_strbuf_release(&path);
    }
    if (st == RB_OK)
        st = payout_close(&b, err);
    workbook_release(&b.w);
    return st;
}

/* ---- payout.xlsx on a thread of its own, fed through a pipe ---- */

struct rb_payout_book {
    payout_book b;
    pthread_t thread;
    int read_fd;
    pthread_mutex_t mu;
    pthread_cond_t changed;
    bool rows_done;          /* the thread read the pipe to its end */
    bool decided;            /* the caller said how to end: expected totals, or abandon */
    bool keep;               /* ... write the workbook (rb_payout_book_expect) */
    rb_status status;
    rb_error error;
};

static void *payout_book_main(void *arg)
{
    rb_payout_book *k = arg;
    prctl(PR_SET_NAME, "rebate-xlsx", 0, 0, 0); /* its name in top and perf */
    rb_error err = {0};
    FILE *f = fdopen(k->read_fd, "rb");
    rb_status st;
    if (f == NULL) {
        st = rb_fail(&err, RB_E_INTERNAL, "cannot read the rows of payout.xlsx: %s", strerror(errno));
        char buf[4096]; /* still read the pipe to its end: its writer must never wait */
        while (read(k->read_fd, buf, sizeof buf) > 0)
            ;
        close(k->read_fd);
    } else {
        st = payout_rows(&k->b, f, "payout.csv", true, &err);
        fclose(f);
    }
    pthread_mutex_lock(&k->mu);
    k->rows_done = true;
    while (!k->decided)
        pthread_cond_wait(&k->changed, &k->mu);
    bool keep = k->keep;
    pthread_mutex_unlock(&k->mu);
    if (st == RB_OK && keep)
        st = payout_close(&k->b, &err);
    workbook_release(&k->b.w);
    k->status = st;
    k->error = err;
    return NULL;
}

rb_status rb_payout_book_start(const rb_workbook_batch *batch, rb_payout_book **out, int *rows_fd, rb_error *err)
{
    *out = NULL;
    *rows_fd = -1;
    rb_payout_book *k = rb_calloc(1, sizeof *k);
    if (k == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory starting payout.xlsx");
    rb_status st = payout_open(&k->b, batch, err);
    int fds[2] = {-1, -1};
    if (st == RB_OK && (pipe(fds) != 0 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 ||
                        fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0))
        st = rb_fail(err, RB_E_INTERNAL, "cannot start payout.xlsx: %s", strerror(errno));
    if (st == RB_OK) {
        k->read_fd = fds[0];
        pthread_mutex_init(&k->mu, NULL);
        pthread_cond_init(&k->changed, NULL);
        if (pthread_create(&k->thread, NULL, payout_book_main, k) != 0) {
            pthread_cond_destroy(&k->changed);
            pthread_mutex_destroy(&k->mu);
            st = rb_fail(err, RB_E_INTERNAL, "cannot start the thread writing payout.xlsx");
        }
    }
    if (st != RB_OK) {
        if (fds[0] >= 0)
            close(fds[0]);
        if (fds[1] >= 0)
            close(fds[1]);
        workbook_release(&k->b.w);
        free(k);
        return st;
    }
    *out = k;
    *rows_fd = fds[1];
    return RB_OK;
}

static void decide(rb_payout_book *k, bool keep, int64_t payments, rb_fen total)
{
    pthread_mutex_lock(&k->mu);
    k->b.batch.payments = payments;
    k->b.batch.total = total;
    k->keep = keep;
    k->decided = true;
    pthread_cond_broadcast(&k->changed);
    pthread_mutex_unlock(&k->mu);
}

void rb_payout_book_expect(rb_payout_book *k, int64_t payments, rb_fen total)
{
    decide(k, true, payments, total);
}

rb_status rb_payout_book_join(rb_payout_book *k, rb_error *err)
{
    if (k == NULL)
        return RB_OK;
    pthread_mutex_lock(&k->mu);
    bool decided = k->decided;
    pthread_mutex_unlock(&k->mu);
    if (!decided) /* never told the totals: the workbook is abandoned */
        decide(k, false, 0, 0);
    pthread_join(k->thread, NULL);
    pthread_cond_destroy(&k->changed);
    pthread_mutex_destroy(&k->mu);
    rb_status st = k->status;
    if (st != RB_OK)
        rb_fail(err, st, "%s", k->error.message);
    else if (!decided)
        st = rb_fail(err, RB_E_INTERNAL, "payout.xlsx was abandoned");
    free(k);
    return st;
}

/* ---- exceptions.xlsx ---- */

static const column review_cols[] = {
    {"序号", 0}, {"统一社会信用代码", 0}, {"单位名称", 30}, {"复核原因", 28}, {"情况说明", 60}, {"测算金额（元）", 0},
};
enum { V_SEQ, V_USCC, V_NAME, V_REASONS, V_DETAIL, V_AMOUNT };

static const column rejected_cols[] = {
    {"序号", 0}, {"文件", 0}, {"行号", 0}, {"统一社会信用代码（原样）", 26}, {"单位名称", 30}, {"规则", 0},
    {"说明", 60},
};
enum { J_SEQ, J_FILE, J_LINE, J_USCC, J_NAME, J_RULE, J_DETAIL };

/* A REVIEW firm held until every one is read, to be grouped by reason. */
typedef struct review_firm {
    int reason;             /* the first reason, index in code order */
    size_t order;           /* its place in exceptions.csv */
    size_t uscc, name, reasons, detail, amount; /* offsets into the text */
} review_firm;

typedef struct exceptions_pass {
    sheet rejected;
    const formats *fm;
    review_firm *firms;
    size_t n, cap;
    rb_strbuf text;
    int64_t rejected_rows;
    bool bad;
} exceptions_pass;

static int reason_index(const char *code, size_t len)
{
    for (int i = 0; i < RB_R_COUNT; i++) {
        const char *c = rb_reason_code((rb_reason)i);
        if (strlen(c) == len && memcmp(c, code, len) == 0)
            return i;
    }
    return RB_R_COUNT; /* not a known code: last */
}

static bool keep_text(exceptions_pass *p, const char *s, size_t *at)
{
    *at = p->text.len;
    return rb_strbuf_adds(&p->text, s) && rb_strbuf_addch(&p->text, '\0');
}

/* exceptions.csv: kind, uscc, name, reasons, detail, file, line, amount. */
static bool exceptions_row(void *ctx, const csv_row *row)
{
    exceptions_pass *p = ctx;
    if (row->n != 8) {
        p->bad = true;
        return false;
    }
    if (strcmp(field(row, 0), "ENTERPRISE") == 0) {
        if (p->n == p->cap) {
            size_t cap = p->cap ? p->cap * 2 : 256;
            review_firm *grown = rb_realloc(p->firms, cap * sizeof *grown);
            if (grown == NULL)
                return false;
            p->firms = grown;
            p->cap = cap;
        }
        review_firm *f = &p->firms[p->n];
        const char *reasons = field(row, 3);
        f->reason = reason_index(reasons, strcspn(reasons, ";"));
        f->order = p->n;
        if (!keep_text(p, unguarded(field(row, 1)), &f->uscc) || !keep_text(p, unguarded(field(row, 2)), &f->name) ||
            !keep_text(p, reasons, &f->reasons) || !keep_text(p, unguarded(field(row, 4)), &f->detail) ||
            !keep_text(p, field(row, 7), &f->amount))
            return false;
        p->n++;
        return true;
    }
    sheet *s = &p->rejected;
    char seq[32];
    snprintf(seq, sizeof seq, "%lld", (long long)++p->rejected_rows);
    static const size_t wrapped[] = {J_USCC, J_NAME, J_DETAIL};
    const char *texts[] = {unguarded(field(row, 1)), unguarded(field(row, 2)), unguarded(field(row, 4))};
    fit_row(s, wrapped, texts, 3);
    grow(s, J_SEQ, seq);
    note(s, worksheet_write_number(s->ws, s->row, J_SEQ, (double)p->rejected_rows, p->fm->number));
    put_text(s, J_FILE, unguarded(field(row, 5)), p->fm->text);
    grow(s, J_LINE, field(row, 6));
    note(s, worksheet_write_number(s->ws, s->row, J_LINE, strtod(field(row, 6), NULL), p->fm->number));
    put_text(s, J_USCC, unguarded(field(row, 1)), p->fm->wrap);
    put_text(s, J_NAME, unguarded(field(row, 2)), p->fm->wrap);
    put_text(s, J_RULE, unguarded(field(row, 3)), p->fm->text);
    put_text(s, J_DETAIL, unguarded(field(row, 4)), p->fm->wrap);
    s->row++;
    return s->error == LXW_NO_ERROR;
}

static int by_reason(const void *a, const void *b)
{
    const review_firm *x = a, *y = b;
    if (x->reason != y->reason)
        return x->reason < y->reason ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* "A;B" as one line per reason, code and label; the detail's sentences
 * ("A …；B …") one per line. */
static bool reasons_lines(const char *codes, rb_strbuf *out)
{
    rb_strbuf_reset(out);
    bool ok = true;
    for (const char *p = codes; *p != '\0';) {
        size_t len = strcspn(p, ";");
        int i = reason_index(p, len);
        if (out->len > 0)
            ok = ok && rb_strbuf_addch(out, '\n');
        ok = ok && rb_strbuf_add(out, p, len);
        if (i < RB_R_COUNT)
            ok = ok && rb_strbuf_addf(out, " %s", rb_reason_label((rb_reason)i));
        p += len;
        if (*p == ';')
            p++;
    }
    return ok;
}

static bool detail_lines(const char *detail, rb_strbuf *out)
{
    rb_strbuf_reset(out);
    bool ok = true;
    static const char sep[] = "；";
    for (const char *p = detail;;) {
        const char *q = strstr(p, sep);
        if (q == NULL)
            return ok && rb_strbuf_adds(out, p);
        ok = ok && rb_strbuf_add(out, p, (size_t)(q - p) + strlen(sep)) && rb_strbuf_addch(out, '\n');
        p = q + strlen(sep);
    }
}

static void write_review_sheet(sheet *s, const formats *fm, exceptions_pass *p, const char *title, const char *info,
                               rb_fen total, double total_value, bool *oom)
{
    if (p->n > 0) /* no firm for review: no array at all */
        qsort(p->firms, p->n, sizeof *p->firms, by_reason);
    size_t groups = 0;
    for (size_t i = 0; i < p->n; i++)
        groups += i == 0 || p->firms[i].reason != p->firms[i - 1].reason;
    sheet_begin(s, fm, title, info, p->n + groups);
    rb_strbuf reasons = RB_STRBUF_INIT, detail = RB_STRBUF_INIT;
    const char *t = p->text.buf;
    for (size_t i = 0; i < p->n && s->error == LXW_NO_ERROR; i++) {
        const review_firm *f = &p->firms[i];
        if (i == 0 || f->reason != p->firms[i - 1].reason) {
            size_t in_group = 0;
            while (i + in_group < p->n && p->firms[i + in_group].reason == f->reason)
                in_group++;
            char heading[256];
            if (f->reason < RB_R_COUNT)
                snprintf(heading, sizeof heading, "%s %s（%zu 家）", rb_reason_code((rb_reason)f->reason),
                         rb_reason_label((rb_reason)f->reason), in_group);
            else
                snprintf(heading, sizeof heading, "%.*s（%zu 家）", (int)strcspn(t + f->reasons, ";"),
                         t + f->reasons, in_group);
            note(s, worksheet_write_string(s->ws, s->row, 0, heading, fm->group));
            s->row++;
        }
        if (!reasons_lines(t + f->reasons, &reasons) || !detail_lines(t + f->detail, &detail)) {
            *oom = true;
            break;
        }
        static const size_t wrapped[] = {V_NAME, V_REASONS, V_DETAIL};
        const char *texts[] = {t + f->name, reasons.buf, detail.buf};
        fit_row(s, wrapped, texts, 3);
        char seq[32];
        snprintf(seq, sizeof seq, "%zu", i + 1);
        grow(s, V_SEQ, seq);
        note(s, worksheet_write_number(s->ws, s->row, V_SEQ, (double)(i + 1), fm->number));
        put_text(s, V_USCC, t + f->uscc, fm->text);
        put_text(s, V_NAME, t + f->name, fm->wrap);
        put_text(s, V_REASONS, reasons.buf, fm->wrap);
        put_text(s, V_DETAIL, detail.buf, fm->wrap);
        put_money(s, V_AMOUNT, t + f->amount, fm->money);
        s->row++;
    }
    rb_strbuf_release(&reasons);
    rb_strbuf_release(&detail);
    lxw_row_t last = s->row - 1;
    char count[64], total_text[RB_MONEY_BUFSZ], formula[64];
    snprintf(count, sizeof count, "共 %zu 家", p->n);
    put_text(s, V_SEQ, "合计", fm->total_text);
    put_text(s, V_USCC, count, fm->total_text);
    for (size_t c = V_NAME; c < V_AMOUNT; c++)
        note(s, worksheet_write_blank(s->ws, s->row, (lxw_col_t)c, fm->total_text));
    grow_money(s, V_AMOUNT, rb_money_format(total, total_text));
    if (p->n > 0) {
        snprintf(formula, sizeof formula, "=SUM(F%u:F%u)", (unsigned)FIRST_DATA_ROW + 1, (unsigned)last + 1);
        note(s, worksheet_write_formula_num(s->ws, s->row, V_AMOUNT, formula, fm->total_money, total_value));
    } else {
        note(s, worksheet_write_number(s->ws, s->row, V_AMOUNT, 0, fm->total_money));
    }
    s->row++;
    put_signature(s, fm);
    sheet_finish(s);
}

static rb_status write_exceptions(const rb_workbook_batch *batch, rb_error *err)
{
    char title[256], review_title[256], rejected_title[256], info[512];
    const char *preview = batch->dry_run ? PREVIEW_TITLE : "";
    snprintf(title, sizeof title, "%s%d年失业保险稳岗返还（免申即享）人工复核与导入拒收清单", preview,
             (int)batch->policy_year);
    snprintf(review_title, sizeof review_title, "%s%d年失业保险稳岗返还（免申即享）人工复核清单", preview,
             (int)batch->policy_year);
    snprintf(rejected_title, sizeof rejected_title, "%s%d年失业保险稳岗返还（免申即享）导入拒收行清单", preview,
             (int)batch->policy_year);
    batch_line(batch, info, sizeof info);
    workbook_file w;
    rb_status st = workbook_open(&w, batch, "exceptions.xlsx", title, err);
    if (st != RB_OK) {
        workbook_release(&w);
        return st;
    }
    /* The review sheet comes first, but its rows are known only once the
     * file is read: the rejected rows stream into the second sheet (each
     * sheet keeps its own rows in order) while the REVIEW firms are held. */
    sheet review;
    exceptions_pass p = {.fm = &w.fm};
    rb_strbuf_init(&p.text);
    sheet_add(&review, w.wb, "人工复核", review_cols, 6);
    sheet_add(&p.rejected, w.wb, "导入拒收行", rejected_cols, 7);
    sheet_begin(&p.rejected, &w.fm, rejected_title, info, (size_t)batch->rejected_rows);
    bool stopped = false, oom = false;
    if (review.error == LXW_NO_ERROR && p.rejected.error == LXW_NO_ERROR)
        st = read_csv(batch->dir, "exceptions.csv", exceptions_row, &p, &stopped, err);
    if (st == RB_OK && stopped && p.rejected.error == LXW_NO_ERROR)
        st = p.bad ? rb_fail(err, RB_E_INTERNAL, "'%s/exceptions.csv' does not read back as written", batch->dir)
                   : rb_fail(err, RB_E_INTERNAL, "out of memory writing '%s'", w.path.buf);
    if (st == RB_OK && ((int64_t)p.n != batch->review_firms || p.rejected_rows != batch->rejected_rows))
        st = rb_fail(err, RB_E_INTERNAL,
                     "'%s/exceptions.csv' holds %zu firms for review and %lld rejected rows, not the %lld and %lld "
                     "of the run; nothing was published",
                     batch->dir, p.n, (long long)p.rejected_rows, (long long)batch->review_firms,
                     (long long)batch->rejected_rows);
    rb_fen total = 0;
    for (size_t i = 0; st == RB_OK && i < p.n; i++) {
        const char *a = p.text.buf + p.firms[i].amount;
        rb_fen fen = 0;
        if (rb_money_parse(a, strlen(a), &fen) != RB_MONEY_OK || fen > RB_FEN_MAX - total)
            st = rb_fail(err, RB_E_INTERNAL, "'%s/exceptions.csv' does not read back as written", batch->dir);
        total += fen;
    }
    double value = 0;
    if (st == RB_OK)
        st = total_value(total, w.path.buf, &value, err);
    if (st == RB_OK) {
        write_review_sheet(&review, &w.fm, &p, review_title, info, total, value, &oom);
        if (oom)
            st = rb_fail(err, RB_E_INTERNAL, "out of memory writing '%s'", w.path.buf);
    }
    if (st == RB_OK) {
        sheet *s = &p.rejected;
        char count[64];
        snprintf(count, sizeof count, "共 %lld 行", (long long)p.rejected_rows);
        put_text(s, J_SEQ, "合计", w.fm.total_text);
        put_text(s, J_FILE, count, w.fm.total_text);
        for (size_t c = J_LINE; c <= J_DETAIL; c++)
            note(s, worksheet_write_blank(s->ws, s->row, (lxw_col_t)c, w.fm.total_text));
        s->row++;
        sheet_finish(s);
    }
    if (st == RB_OK && (st = sheet_status(&review, &w, err)) == RB_OK &&
        (st = sheet_status(&p.rejected, &w, err)) == RB_OK)
        st = workbook_close_synced(&w, err);
    free(p.firms);
    rb_strbuf_release(&p.text);
    workbook_release(&w);
    return st;
}

rb_status rb_workbooks_write(const rb_workbook_batch *batch, rb_error *err)
{
    rb_status st = write_payout(batch, err);
    if (st == RB_OK)
        st = write_exceptions(batch, err);
    return st;
}

rb_status rb_exceptions_book_write(const rb_workbook_batch *batch, rb_error *err)
{
    return write_exceptions(batch, err);
}
