/* Reading one extract as CSV records: bytes -> SHA-256 -> decoding to
 * UTF-8 -> libcsv, fed one physical line at a time so that the line where
 * each record starts is known exactly (docs/formats.md, "row errors"). The
 * bytes are read and hashed by a thread of their own (byte_source), a few
 * chunks ahead of the parsing. */
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import/csv_reader.h"
#include "import/line_prints.h"
#include "rebate/alloc.h"
#include "rebate/strbuf.h"
#include "rebate/text.h"

#define CHUNK (64 * 1024)
#define CARRY_MAX 8 /* bytes of an incomplete character kept for the next chunk */

/* libcsv's state while no record has begun (its ROW_NOT_BEGUN, which csv.h
 * does not name). */
#define PARSER_IDLE 0

/* A field of the current record, as a place in reader.record_text (which
 * may move when it grows). */
typedef struct field_span {
    size_t start;
    size_t len;
} field_span;

typedef struct reader {
    const char *name;          /* the file as messages name it */
    struct csv_parser parser;
    rb_csv_record_fn fn;
    void *ctx;
    rb_error *err;
    rb_status status;          /* first failure seen inside a libcsv callback */

    int64_t line;              /* physical line being fed (1-based) */
    uint64_t fed;              /* decoded bytes fed so far */
    uint64_t line_start;       /* value of fed where `line` began */
    bool in_record;            /* a record began and has not ended yet */
    int64_t record_line;       /* ... on this line */
    uint64_t record_start;     /* ... at this offset (its line's start) */
    bool stream_started;       /* past the first decoded bytes (BOM check done) */
    bool had_bom;
    bool after_cr;             /* a \r just ended a record: a \n must follow */

    /* Whether a record may begin on the first line of each run of lines of
     * the prints (the bytes' thread hashes the runs; these are this
     * thread's), a bit a run; NULL when not wanted. */
    bool track_starts;
    unsigned char *starts;
    size_t starts_bytes;
    bool starts_borrowed;      /* the caller's array: neither grown nor freed */
    bool starts_failed;

    rb_strbuf record_text;     /* the current record's fields, back to back */
    field_span *spans;         /* the current record's fields */
    size_t n_spans, spans_cap;
    rb_csv_field *fields;      /* handed to fn; grown like spans */
    size_t fields_cap;
} reader;

static void on_field(void *data, size_t len, void *vr)
{
    reader *r = vr;
    if (r->status != RB_OK)
        return;
    if (r->n_spans == r->spans_cap) {
        size_t cap = r->spans_cap ? r->spans_cap * 2 : 32;
        field_span *grown = rb_realloc(r->spans, cap * sizeof *grown);
        if (grown == NULL) {
            r->status = rb_fail(r->err, RB_E_INTERNAL, "out of memory reading '%s'", r->name);
            return;
        }
        r->spans = grown;
        r->spans_cap = cap;
    }
    /* Called for every field of every row: the copy is inlined and grows
     * the buffer only when it must. */
    rb_strbuf *text = &r->record_text;
    size_t start = text->len;
    if (start + len + 1 > text->alloc && !rb_strbuf_grow(text, len)) {
        r->status = rb_fail(r->err, RB_E_INTERNAL, "out of memory reading '%s'", r->name);
        return;
    }
    if (len > 0) {
        memcpy(text->buf + start, data, len);
        text->len += len;
        text->buf[text->len] = '\0';
    }
    r->spans[r->n_spans].start = start;
    r->spans[r->n_spans].len = len;
    r->n_spans++;
}

static void on_record(int terminator, void *vr)
{
    (void)terminator;
    reader *r = vr;
    int64_t line = r->in_record ? r->record_line : r->line;
    r->in_record = false;
    if (r->status != RB_OK)
        return;
    if (r->n_spans > r->fields_cap) {
        rb_csv_field *grown = rb_realloc(r->fields, r->spans_cap * sizeof *grown);
        if (grown == NULL) {
            r->status = rb_fail(r->err, RB_E_INTERNAL, "out of memory reading '%s'", r->name);
            return;
        }
        r->fields = grown;
        r->fields_cap = r->spans_cap;
    }
    for (size_t i = 0; i < r->n_spans; i++) {
        r->fields[i].text = r->record_text.buf + r->spans[i].start;
        r->fields[i].len = r->spans[i].len;
    }
    rb_status st = r->fn(r->ctx, line, r->fields, r->n_spans, r->err);
    if (st != RB_OK)
        r->status = st;
    rb_strbuf_reset(&r->record_text);
    r->n_spans = 0;
}

/* Hands len bytes of one physical line (or a piece of one) to libcsv. */
static rb_status parse_piece(reader *r, const char *data, size_t len)
{
    size_t used = csv_parse(&r->parser, data, len, on_field, on_record, r);
    if (r->status != RB_OK)
        return r->status;
    if (used != len) {
        if (csv_error(&r->parser) == CSV_EPARSE)
            return rb_fail(r->err, RB_E_DATA,
                           "cannot read '%s' line %lld: a quote inside an unquoted field or text after a "
                           "closing quote (RFC 4180: a field with quotes is quoted whole and its quotes doubled)",
                           r->name, (long long)r->line);
        return rb_fail(r->err, RB_E_INTERNAL, "cannot parse '%s' line %lld: %s", r->name, (long long)r->line,
                       csv_strerror(csv_error(&r->parser)));
    }
    r->fed += len;
    if (!r->in_record && r->parser.pstate != PARSER_IDLE) {
        r->in_record = true;
        r->record_line = r->line;
        r->record_start = r->line_start;
    }
    if (len > 0 && data[len - 1] == '\n') {
        r->line++;
        r->line_start = r->fed;
    }
    if (r->in_record && r->fed - r->record_start > RB_CSV_MAX_RECORD)
        return rb_fail(r->err, RB_E_DATA,
                       "cannot read '%s' line %lld: the record starting there is longer than %d bytes "
                       "(is a quote left open?)",
                       r->name, (long long)r->record_line, RB_CSV_MAX_RECORD);
    return RB_OK;
}

/* A whole line read between two records, when it holds no quote and no
 * carriage return but its last: its fields are what libcsv would hand over
 * (split at commas, spaces and tabs around each dropped, a line of only
 * spaces and tabs no record), pointing into data instead of copied. libcsv
 * reads byte by byte through callbacks; nearly every line of an extract
 * has no quote, and this reads it in one pass (docs/import.md, "Parsing").
 * *plain is false, and nothing done, for a line libcsv must read.
 * tests/import/test_csv_reader.c compares both on random files. */
static rb_status parse_plain_line(reader *r, const char *data, size_t len, bool *plain)
{
    const char *stop = data + len - 1; /* the \n */
    if (stop > data && stop[-1] == '\r')
        stop--;
    size_t n = 0;
    const char *p = data;
    *plain = false;
    for (;;) {
        if (n == r->fields_cap) {
            size_t cap = r->fields_cap ? r->fields_cap * 2 : 32;
            rb_csv_field *grown = rb_realloc(r->fields, cap * sizeof *grown);
            if (grown == NULL)
                return rb_fail(r->err, RB_E_INTERNAL, "out of memory reading '%s'", r->name);
            r->fields = grown;
            r->fields_cap = cap;
        }
        const char *end = p; /* fields are short: a loop beats a memchr call each */
        for (; end < stop && *end != ','; end++)
            if (*end == '"' || *end == '\r')
                return RB_OK;
        const char *comma = end < stop ? end : NULL;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        r->fields[n].text = p;
        r->fields[n].len = (size_t)(end - p);
        n++;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    *plain = true;
    rb_status st = RB_OK;
    if (n > 1 || r->fields[0].len > 0)
        st = r->fn(r->ctx, r->line, r->fields, n, r->err);
    r->fed += len;
    r->line++;
    r->line_start = r->fed;
    return st;
}

/* A run of lines of the prints begins on this line: whether a record may
 * begin on it, which a reading of the run alone needs. */
static void mark_run_start(reader *r)
{
    size_t run = (size_t)((r->line - 1) / RB_PRINT_LINES);
    if (run / 8 >= r->starts_bytes && r->starts_borrowed) {
        r->starts_failed = true;
        return;
    }
    if (run / 8 >= r->starts_bytes) {
        size_t bytes = r->starts_bytes ? r->starts_bytes * 2 : 1024;
        while (run / 8 >= bytes)
            bytes *= 2;
        unsigned char *grown = rb_realloc(r->starts, bytes);
        if (grown == NULL) {
            r->starts_failed = true;
            return;
        }
        memset(grown + r->starts_bytes, 0, bytes - r->starts_bytes);
        r->starts = grown;
        r->starts_bytes = bytes;
    }
    rb_line_prints_set_start(r->starts, run, r->parser.pstate == PARSER_IDLE && !r->after_cr);
}

/* Feeds decoded UTF-8 to the parser, one physical line at a time. A line
 * ends with \n or \r\n (docs/formats.md); libcsv also ends a record at a lone
 * \r, which would put every record of a CR-only file on line 1, so a \r
 * outside quotes that is not followed by \n refuses the file. */
static rb_status feed(reader *r, const char *data, size_t len)
{
    if (!r->stream_started && len > 0) {
        r->stream_started = true;
        if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
            r->had_bom = true;
            data += 3;
            len -= 3;
        }
    }
    while (len > 0) {
        if (r->track_starts && r->fed == r->line_start && ((r->line - 1) % RB_PRINT_LINES) == 0)
            mark_run_start(r);
        if (r->after_cr && data[0] != '\n')
            return rb_fail(r->err, RB_E_DATA,
                           "cannot read '%s' line %lld: a carriage return without a line feed ends a record "
                           "(line ends must be \\n or \\r\\n)",
                           r->name, (long long)r->line);
        r->after_cr = false;
        const char *newline = memchr(data, '\n', len);
        size_t line_len = newline ? (size_t)(newline - data) + 1 : len;
        if (newline != NULL && r->parser.pstate == PARSER_IDLE) {
            bool plain;
            rb_status st = parse_plain_line(r, data, line_len, &plain);
            if (st != RB_OK)
                return st;
            if (plain) {
                data += line_len;
                len -= line_len;
                continue;
            }
        }
        const char *cr = memchr(data, '\r', line_len);
        size_t piece = cr && cr + 1 != newline ? (size_t)(cr - data) + 1 : line_len;
        rb_status st = parse_piece(r, data, piece);
        if (st != RB_OK)
            return st;
        if (data[piece - 1] == '\r' && r->parser.pstate == PARSER_IDLE)
            r->after_cr = true;
        data += piece;
        len -= piece;
    }
    return RB_OK;
}

static int64_t count_newlines(const unsigned char *data, size_t len)
{
    int64_t n = 0;
    const unsigned char *end = data + len;
    while (data < end && (data = memchr(data, '\n', (size_t)(end - data))) != NULL) {
        n++;
        data++;
    }
    return n;
}

/* Bytes at the end of buf that begin a UTF-8 character not complete yet
 * (to be carried over to the next chunk). */
static size_t utf8_incomplete_tail(const unsigned char *buf, size_t len)
{
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        unsigned char c = buf[len - back];
        if ((c & 0xC0) == 0x80)
            continue; /* continuation byte: look further back */
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > back ? back : 0;
    }
    return 0;
}

/* ------------------------------------------------------------ byte source */

#define SOURCE_BUFFERS 4

/* The file's bytes in order, read (and hashed) by a thread a few chunks
 * ahead; source_read hands them out as fread would. */
typedef struct byte_source {
    int fd;
    const char *path;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t changed;
    unsigned char *buf[SOURCE_BUFFERS];
    size_t len[SOURCE_BUFFERS];
    int head, count;          /* filled buffers, in file order */
    bool eof;                 /* the last byte is in a buffer */
    int error_number;         /* a read failed: its errno */
    bool quit;
    uint64_t offset;          /* where the thread reads next */
    int restarts_asked, restarts_done;
    bool hash;                /* hash what is read (not during the `auto` check) */
    rb_sha256 *sha;           /* of every byte read since the last restart */
    bool sha_failed;
    rb_line_prints *prints;   /* NULL, or the hashes of the runs of lines, as sha */
} byte_source;

static void *source_main(void *arg)
{
    byte_source *src = arg;
    prctl(PR_SET_NAME, "rebate-read"); /* as top -H and perf show it */
    pthread_mutex_lock(&src->mu);
    for (;;) {
        if (src->quit)
            break;
        if (src->restarts_asked != src->restarts_done) {
            src->head = src->count = 0;
            src->eof = false;
            src->error_number = 0;
            src->offset = 0;
            if (src->sha != NULL)
                rb_sha256_free(src->sha);
            src->sha = src->hash ? rb_sha256_new() : NULL;
            src->sha_failed = src->hash && src->sha == NULL;
            if (src->prints != NULL)
                rb_line_prints_reset(src->prints);
            src->restarts_done = src->restarts_asked;
            pthread_cond_broadcast(&src->changed);
            continue;
        }
        if (src->eof || src->error_number != 0 || src->count == SOURCE_BUFFERS) {
            pthread_cond_wait(&src->changed, &src->mu);
            continue;
        }
        int slot = (src->head + src->count) % SOURCE_BUFFERS;
        uint64_t offset = src->offset;
        pthread_mutex_unlock(&src->mu);
        ssize_t n;
        do
            n = pread(src->fd, src->buf[slot], CHUNK, (off_t)offset);
        while (n < 0 && errno == EINTR);
        int error_number = n < 0 ? errno : 0;
        /* Only this thread touches the hash, outside the lock. */
        if (n > 0 && src->sha != NULL && !rb_sha256_update(src->sha, src->buf[slot], (size_t)n))
            src->sha_failed = true;
        if (n > 0 && src->prints != NULL && src->hash)
            rb_line_prints_add(src->prints, src->buf[slot], (size_t)n);
        pthread_mutex_lock(&src->mu);
        if (src->restarts_asked != src->restarts_done)
            continue; /* read for a reading that was abandoned */
        if (n < 0)
            src->error_number = error_number ? error_number : EIO;
        else if (n == 0)
            src->eof = true;
        else {
            src->len[slot] = (size_t)n;
            src->count++;
            src->offset += (uint64_t)n;
        }
        pthread_cond_broadcast(&src->changed);
    }
    pthread_mutex_unlock(&src->mu);
    return NULL;
}

/* Starts reading fd from its first byte, hashing when hash is set. */
static bool source_open(byte_source *src, int fd, const char *path, bool hash, rb_line_prints *prints)
{
    memset(src, 0, sizeof *src);
    src->prints = prints;
    src->fd = fd;
    src->path = path;
    src->hash = hash;
    src->restarts_asked = 1; /* the thread sets itself up as for a restart */
    for (int i = 0; i < SOURCE_BUFFERS; i++)
        if ((src->buf[i] = rb_malloc(CHUNK)) == NULL)
            return false;
    if (pthread_mutex_init(&src->mu, NULL) != 0)
        return false;
    if (pthread_cond_init(&src->changed, NULL) != 0) {
        pthread_mutex_destroy(&src->mu);
        return false;
    }
    src->started = pthread_create(&src->thread, NULL, source_main, src) == 0;
    if (!src->started) {
        pthread_cond_destroy(&src->changed);
        pthread_mutex_destroy(&src->mu);
    }
    return src->started;
}

/* Like fread(dest, 1, CHUNK, f): the next bytes of the file, 0 at its end
 * or on a failure (source_error then says which). */
static size_t source_read(byte_source *src, unsigned char *dest)
{
    pthread_mutex_lock(&src->mu);
    while (src->count == 0 && !src->eof && src->error_number == 0)
        pthread_cond_wait(&src->changed, &src->mu);
    if (src->count == 0) {
        pthread_mutex_unlock(&src->mu);
        return 0;
    }
    int slot = src->head;
    size_t n = src->len[slot];
    pthread_mutex_unlock(&src->mu);
    memcpy(dest, src->buf[slot], n); /* the slot stays filled until released */
    pthread_mutex_lock(&src->mu);
    src->head = (src->head + 1) % SOURCE_BUFFERS;
    src->count--;
    pthread_cond_broadcast(&src->changed);
    pthread_mutex_unlock(&src->mu);
    return n;
}

/* The errno of a failed read, or 0. */
static int source_error(byte_source *src)
{
    pthread_mutex_lock(&src->mu);
    int e = src->error_number;
    pthread_mutex_unlock(&src->mu);
    return e;
}

/* Back to the first byte, with a new hash. */
static void source_restart(byte_source *src, bool hash)
{
    pthread_mutex_lock(&src->mu);
    src->hash = hash;
    src->restarts_asked++;
    pthread_cond_broadcast(&src->changed);
    while (src->restarts_done != src->restarts_asked)
        pthread_cond_wait(&src->changed, &src->mu);
    pthread_mutex_unlock(&src->mu);
}

/* Stops the thread and frees everything; with hex non-NULL, first writes
 * the hash of the bytes read (all of them: called at the end). */
static bool source_close(byte_source *src, char hex[RB_SHA256_HEX])
{
    bool ok = true;
    if (src->started) {
        pthread_mutex_lock(&src->mu);
        src->quit = true;
        pthread_cond_broadcast(&src->changed);
        pthread_mutex_unlock(&src->mu);
        pthread_join(src->thread, NULL);
        pthread_cond_destroy(&src->changed);
        pthread_mutex_destroy(&src->mu);
        src->started = false;
    }
    if (hex != NULL) {
        ok = !src->sha_failed && src->sha != NULL && rb_sha256_finish(src->sha, hex);
        src->sha = NULL; /* rb_sha256_finish frees it */
    }
    if (src->sha != NULL)
        rb_sha256_free(src->sha);
    src->sha = NULL;
    for (int i = 0; i < SOURCE_BUFFERS; i++) {
        free(src->buf[i]);
        src->buf[i] = NULL;
    }
    return ok;
}

static rb_status read_failed(reader *r, const char *path)
{
    return rb_fail(r->err, RB_E_NOINPUT, "cannot read '%s': %s", path, strerror(errno));
}

/* Pass 1 of `auto`: is the whole file UTF-8? If not, *bad_line is the line
 * of the first byte that is not. */
static rb_status file_is_utf8(FILE *f, const char *path, reader *r, bool *is_utf8, int64_t *bad_line)
{
    unsigned char *buf = rb_malloc(CHUNK + CARRY_MAX);
    if (buf == NULL)
        return rb_fail(r->err, RB_E_INTERNAL, "out of memory reading '%s'", path);
    rb_status st = RB_OK;
    size_t carry = 0;
    int64_t line = 1;
    *is_utf8 = true;
    for (;;) {
        size_t got = fread(buf + carry, 1, CHUNK, f);
        if (got == 0) {
            if (ferror(f))
                st = read_failed(r, path);
            else if (carry > 0)
                *is_utf8 = false, *bad_line = line;
            break;
        }
        size_t n = carry + got;
        size_t tail = utf8_incomplete_tail(buf, n);
        size_t bad = 0;
        if (!rb_utf8_valid((const char *)buf, n - tail, &bad)) {
            *is_utf8 = false;
            *bad_line = line + count_newlines(buf, bad);
            break;
        }
        line += count_newlines(buf, n - tail);
        memmove(buf, buf + n - tail, tail);
        carry = tail;
    }
    free(buf);
    return st;
}

/* Reads the file as UTF-8: validates and feeds. In `auto` mode (guess
 * true) the file may turn out not to be UTF-8: then *not_utf8 is set, with
 * *bad_line the line of the first byte that is not, and the caller starts
 * again as GB18030. A failure met before that (a broken quote, a refused
 * header, a NUL) is only the file's failure if the whole file is UTF-8, as
 * when `auto` checked the whole file first: the rest is then read through
 * to find out. */
static rb_status decode_utf8(reader *r, byte_source *src, const char *path, unsigned char *raw, bool guess,
                             bool *not_utf8, int64_t *bad_line)
{
    size_t carry = 0;
    rb_status failed = RB_OK; /* a failure kept until the file is known to be UTF-8 */
    rb_error kept;
    int64_t line = 0;         /* after a kept failure: the line raw[0] is on */
    rb_error_clear(&kept);
    for (;;) {
        size_t got = source_read(src, raw + carry);
        if (got == 0) {
            if ((errno = source_error(src)) != 0)
                return read_failed(r, path);
            if (carry > 0 && guess) {
                *not_utf8 = true;
                *bad_line = failed != RB_OK ? line : r->line;
                return RB_OK;
            }
            if (failed != RB_OK) {
                *r->err = kept;
                return failed;
            }
            if (carry > 0)
                return rb_fail(r->err, RB_E_DATA,
                               "cannot decode '%s' line %lld: the file ends inside a UTF-8 character", r->name,
                               (long long)r->line);
            return RB_OK;
        }
        size_t n = carry + got;
        size_t tail = utf8_incomplete_tail(raw, n);
        size_t bad = 0;
        bool valid = rb_utf8_valid((const char *)raw, n - tail, &bad);
        if (failed != RB_OK) {
            /* Reading through after a failure: only validity matters. */
            if (!valid) {
                *not_utf8 = true;
                *bad_line = line + count_newlines(raw, bad);
                return RB_OK;
            }
            line += count_newlines(raw, n - tail);
            memmove(raw, raw + n - tail, tail);
            carry = tail;
            continue;
        }
        int64_t chunk_line = r->line;
        rb_status st;
        const unsigned char *nul = memchr(raw + carry, '\0', got);
        if (!valid && guess) {
            /* Not UTF-8: whatever else is wrong, it is read again as GB18030. */
            *not_utf8 = true;
            *bad_line = r->line + count_newlines(raw, bad);
            return RB_OK;
        } else if (nul != NULL) {
            st = rb_fail(r->err, RB_E_DATA,
                         "cannot decode '%s' line %lld: it holds a NUL byte, so it is not UTF-8 or GB18030 "
                         "text (UTF-16?)",
                         r->name, (long long)(r->line + count_newlines(raw, (size_t)(nul - raw))));
        } else if (!valid) {
            st = feed(r, (const char *)raw, bad);
            if (st == RB_OK)
                st = rb_fail(r->err, RB_E_DATA,
                             "cannot decode '%s' line %lld: it is not valid UTF-8 (encoding utf-8)", r->name,
                             (long long)r->line);
            return st;
        } else {
            st = feed(r, (const char *)raw, n - tail);
        }
        if (st != RB_OK) {
            if (!guess)
                return st;
            /* Kept: whether it is the file's failure depends on the rest. */
            failed = st;
            kept = *r->err;
            rb_error_clear(r->err);
            line = chunk_line + count_newlines(raw, n - tail);
        }
        memmove(raw, raw + n - tail, tail);
        carry = tail;
    }
}

/* Pass 2 for GB18030: converts to UTF-8 with iconv and feeds. utf8_bad_line
 * (0 when not known) is where the `auto` check found the file not UTF-8. */
static rb_status decode_gb18030(reader *r, byte_source *src, const char *path, unsigned char *raw,
                                int64_t utf8_bad_line)
{
    rb_status st = RB_OK;
    char *out = NULL;
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1) {
        st = rb_fail(r->err, RB_E_INTERNAL, "cannot convert GB18030 to UTF-8 (iconv: %s)", strerror(errno));
        goto out;
    }
    size_t out_size = 2 * CHUNK;
    out = rb_malloc(out_size);
    if (out == NULL) {
        st = rb_fail(r->err, RB_E_INTERNAL, "out of memory reading '%s'", path);
        goto out;
    }
    size_t carry = 0;
    bool bad = false;
    for (;;) {
        size_t got = source_read(src, raw + carry);
        if (got == 0) {
            if ((errno = source_error(src)) != 0)
                st = read_failed(r, path);
            else if (carry > 0)
                bad = true; /* ends inside a character */
            break;
        }
        const unsigned char *nul = memchr(raw + carry, '\0', got);
        if (nul != NULL) {
            st = rb_fail(r->err, RB_E_DATA,
                         "cannot decode '%s' line %lld: it holds a NUL byte, so it is not UTF-8 or GB18030 "
                         "text (UTF-16?)",
                         r->name, (long long)(r->line + count_newlines(raw, (size_t)(nul - raw))));
            goto out;
        }
        char *in = (char *)raw;
        size_t in_left = carry + got;
        while (in_left > 0) {
            char *o = out;
            size_t o_left = out_size;
            size_t rc = iconv(cd, &in, &in_left, &o, &o_left);
            int saved_errno = errno;
            if ((st = feed(r, out, (size_t)(o - out))) != RB_OK)
                goto out;
            if (rc != (size_t)-1)
                continue;
            if (saved_errno == E2BIG)
                continue;
            if (saved_errno == EINVAL && in_left <= CARRY_MAX)
                break; /* an incomplete character at the end: keep it for the next chunk */
            bad = true;
            break;
        }
        if (bad)
            break;
        memmove(raw, in, in_left);
        carry = in_left;
    }
    if (bad && st == RB_OK) {
        if (utf8_bad_line > 0)
            st = rb_fail(r->err, RB_E_DATA,
                         "cannot decode '%s': line %lld is not valid UTF-8 and line %lld is not valid GB18030 "
                         "(encoding auto)",
                         r->name, (long long)utf8_bad_line, (long long)r->line);
        else
            st = rb_fail(r->err, RB_E_DATA,
                         "cannot decode '%s' line %lld: it is not valid GB18030 (encoding gb18030)", r->name,
                         (long long)r->line);
    }
out:
    free(out);
    if (cd != (iconv_t)-1)
        iconv_close(cd);
    return st;
}

/* Back to the state before the first byte, for a second reading. */
static rb_status reader_restart(reader *r, const char *path)
{
    csv_free(&r->parser);
    if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return rb_fail(r->err, RB_E_INTERNAL, "cannot set up the CSV parser for '%s'", path);
    csv_set_blk_size(&r->parser, CHUNK);
    csv_set_realloc_func(&r->parser, rb_realloc);
    r->status = RB_OK;
    r->line = 1;
    r->fed = r->line_start = 0;
    r->in_record = r->stream_started = r->had_bom = r->after_cr = false;
    r->record_line = 0;
    r->record_start = 0;
    if (r->starts != NULL && !r->starts_borrowed)
        memset(r->starts, 0, r->starts_bytes);
    rb_strbuf_reset(&r->record_text);
    r->n_spans = 0;
    return RB_OK;
}

rb_status rb_csv_read(const char *path, const char *name, rb_encoding encoding, rb_csv_record_fn fn,
                      void *ctx, rb_csv_info *info, rb_error *err)
{
    return rb_csv_read_once(path, name, encoding, fn, NULL, ctx, info, NULL, err);
}

rb_status rb_csv_read_once(const char *path, const char *name, rb_encoding encoding, rb_csv_record_fn fn,
                           rb_csv_restart_fn restart, void *ctx, rb_csv_info *info, rb_line_prints *prints,
                           rb_error *err)
{
    rb_status st = RB_OK;
    reader r = {.name = name, .fn = fn, .ctx = ctx, .err = err, .line = 1, .track_starts = prints != NULL};
    if (prints != NULL)
        rb_line_prints_reset(prints); /* before the bytes' thread starts */
    rb_strbuf_init(&r.record_text);
    bool parser_ready = false, source_ready = false;
    byte_source src;
    unsigned char *raw = NULL;

    /* A symlink planted in the inbox is not followed, and a FIFO in place of
     * the file must not block the open: only a regular file is read. */
    FILE *f = NULL;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP)
            st = rb_fail(err, RB_E_NOINPUT, "cannot read '%s': it is a symlink, which is not followed", path);
        else
            st = rb_fail(err, RB_E_NOINPUT, "cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (f = fdopen(fd, "rb")) == NULL) {
        close(fd);
        st = rb_fail(err, RB_E_NOINPUT, "cannot read '%s': not a regular file", path);
        goto out;
    }
    if (csv_init(&r.parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        st = rb_fail(err, RB_E_INTERNAL, "cannot set up the CSV parser for '%s'", path);
        goto out;
    }
    parser_ready = true;
    /* libcsv grows its field buffer by this much at a time (128 bytes by
     * default): a long field would otherwise cost many reallocations. */
    csv_set_blk_size(&r.parser, CHUNK);
    csv_set_realloc_func(&r.parser, rb_realloc); /* under the allocation seam too */
    raw = rb_malloc(CHUNK + CARRY_MAX);
    if (raw == NULL) {
        st = rb_fail(err, RB_E_INTERNAL, "out of memory reading '%s'", path);
        goto out;
    }

    bool utf8 = encoding == RB_ENCODING_UTF8;
    int64_t utf8_bad_line = 0;
    if (encoding == RB_ENCODING_AUTO && restart == NULL) {
        /* rb_csv_read: the whole file checked first. */
        if ((st = file_is_utf8(f, path, &r, &utf8, &utf8_bad_line)) != RB_OK)
            goto out;
    }
    /* The byte source reads with pread from the first byte, whatever the
     * stream's position. */
    if (!(source_ready = source_open(&src, fileno(f), path, true, prints))) {
        source_close(&src, NULL);
        st = rb_fail(err, RB_E_INTERNAL, "cannot start reading '%s'", path);
        goto out;
    }
    if (encoding == RB_ENCODING_AUTO && restart != NULL) {
        /* One reading as UTF-8, and a second as GB18030 only if need be. */
        bool not_utf8 = false;
        if ((st = decode_utf8(&r, &src, path, raw, true, &not_utf8, &utf8_bad_line)) != RB_OK)
            goto out;
        utf8 = !not_utf8;
        if (not_utf8) {
            if ((st = restart(ctx, err)) != RB_OK || (st = reader_restart(&r, path)) != RB_OK)
                goto out;
            source_restart(&src, true);
            if ((st = decode_gb18030(&r, &src, path, raw, utf8_bad_line)) != RB_OK)
                goto out;
        }
    } else {
        bool unused = false;
        st = utf8 ? decode_utf8(&r, &src, path, raw, false, &unused, &utf8_bad_line)
                  : decode_gb18030(&r, &src, path, raw, utf8_bad_line);
        if (st != RB_OK)
            goto out;
    }
    int64_t open_line = r.in_record ? r.record_line : r.line;
    if (csv_fini(&r.parser, on_field, on_record, &r) != 0) {
        if (r.status != RB_OK)
            st = r.status;
        else
            st = rb_fail(err, RB_E_DATA,
                         "cannot read '%s' line %lld: the quoted field of the record starting there is never "
                         "closed",
                         name, (long long)open_line);
        goto out;
    }
    if ((st = r.status) != RB_OK)
        goto out;
    source_ready = false;
    if (!source_close(&src, info->sha256)) {
        st = rb_fail(err, RB_E_INTERNAL, "cannot finish the SHA-256 of '%s'", path);
        goto out;
    }
    if (prints != NULL && (r.starts_failed || !rb_line_prints_finish(prints))) {
        st = rb_fail(err, RB_E_INTERNAL, "out of memory reading '%s'", path);
        goto out;
    }
    if (prints != NULL) /* the bytes' thread has stopped: the prints are this thread's */
        for (size_t run = 0; run < prints->runs; run++)
            rb_line_prints_set_start(prints->starts, run,
                                     run / 8 < r.starts_bytes && rb_line_prints_start(r.starts, run));
    snprintf(info->encoding, sizeof info->encoding, "%s",
             !utf8 ? "gb18030" : r.had_bom ? "utf-8-bom" : "utf-8");
out:
    if (source_ready)
        source_close(&src, NULL);
    free(raw);
    if (parser_ready)
        csv_free(&r.parser);
    if (f != NULL)
        fclose(f);
    rb_strbuf_release(&r.record_text);
    free(r.spans);
    free(r.fields);
    free(r.starts);
    return st;
}

/* ------------------------------------------------------------ ranges */

/* GB18030 bytes as UTF-8 into out; false when they are not GB18030 (or
 * memory ran out: *oom). */
static bool gb18030_to_utf8(iconv_t cd, const unsigned char *raw, size_t len, rb_strbuf *out, bool *oom)
{
    rb_strbuf_reset(out);
    iconv(cd, NULL, NULL, NULL, NULL);
    char *in = (char *)raw;
    size_t in_left = len;
    while (in_left > 0) {
        if (!rb_strbuf_grow(out, in_left * 2 + 16)) {
            *oom = true;
            return false;
        }
        char *o = out->buf + out->len;
        size_t o_left = out->alloc - out->len - 1;
        size_t rc = iconv(cd, &in, &in_left, &o, &o_left);
        int saved_errno = errno;
        out->len = (size_t)(o - out->buf);
        if (rc == (size_t)-1 && saved_errno != E2BIG)
            return false;
    }
    return true;
}

rb_status rb_csv_read_ranges(const char *path, const char *name, bool utf8, const rb_csv_range *ranges, size_t n,
                             rb_csv_record_fn fn, void *ctx, unsigned char *starts, size_t starts_bytes,
                             rb_error *err)
{
    reader r = {.name = name, .fn = fn, .ctx = ctx, .err = err, .line = 1};
    if (starts != NULL) {
        r.track_starts = r.starts_borrowed = true;
        r.starts = starts;
        r.starts_bytes = starts_bytes;
    }
    rb_strbuf_init(&r.record_text);
    rb_strbuf raw = RB_STRBUF_INIT, text = RB_STRBUF_INIT;
    rb_status st = RB_OK;
    bool parser_ready = false;
    iconv_t cd = (iconv_t)-1;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        st = rb_fail(err, RB_E_NOINPUT, "cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    if (!utf8 && (cd = iconv_open("UTF-8", "GB18030")) == (iconv_t)-1) {
        st = rb_fail(err, RB_E_INTERNAL, "cannot convert GB18030 to UTF-8 (iconv: %s)", strerror(errno));
        goto out;
    }
    if (csv_init(&r.parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        st = rb_fail(err, RB_E_INTERNAL, "cannot set up the CSV parser for '%s'", path);
        goto out;
    }
    parser_ready = true;
    for (size_t i = 0; i < n && st == RB_OK; i++) {
        const rb_csv_range *g = &ranges[i];
        if ((st = reader_restart(&r, path)) != RB_OK)
            break;
        r.line = g->first_line;
        r.stream_started = g->offset > 0; /* a BOM only at the first byte */
        rb_strbuf_reset(&raw);
        if (g->length > (uint64_t)SIZE_MAX / 2 || !rb_strbuf_grow(&raw, (size_t)g->length)) {
            st = rb_fail(err, RB_E_INTERNAL, "out of memory reading '%s'", path);
            break;
        }
        size_t got = 0;
        while (got < g->length) {
            ssize_t k = pread(fd, raw.buf + got, (size_t)g->length - got, (off_t)(g->offset + got));
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0) {
                st = rb_fail(err, RB_E_NOINPUT, "cannot read '%s': %s", path, k < 0 ? strerror(errno) : "it got shorter");
                break;
            }
            got += (size_t)k;
        }
        if (st != RB_OK)
            break;
        raw.len = got;
        const unsigned char *bytes = (const unsigned char *)raw.buf;
        size_t bad = 0;
        bool oom = false;
        if (memchr(bytes, '\0', got) != NULL)
            st = rb_fail(err, RB_E_DATA, "cannot decode '%s' from line %lld: it holds a NUL byte", name,
                         (long long)g->first_line);
        else if (utf8 && !rb_utf8_valid((const char *)bytes, got, &bad))
            st = rb_fail(err, RB_E_DATA, "cannot decode '%s' line %lld: it is not valid UTF-8", name,
                         (long long)(g->first_line + count_newlines(bytes, bad)));
        else if (utf8)
            st = feed(&r, raw.buf, got);
        else if (!gb18030_to_utf8(cd, bytes, got, &text, &oom))
            st = oom ? rb_fail(err, RB_E_INTERNAL, "out of memory reading '%s'", path)
                     : rb_fail(err, RB_E_DATA, "cannot decode '%s' from line %lld: it is not valid GB18030", name,
                               (long long)g->first_line);
        else
            st = feed(&r, text.buf, text.len);
        if (st != RB_OK)
            break;
        if (g->offset + g->length >= (uint64_t)sb.st_size) {
            /* The file's end: its last record may lack a line end. */
            int64_t open_line = r.in_record ? r.record_line : r.line;
            if (csv_fini(&r.parser, on_field, on_record, &r) != 0)
                st = r.status != RB_OK ? r.status
                                       : rb_fail(err, RB_E_DATA,
                                                 "cannot read '%s' line %lld: the quoted field of the record "
                                                 "starting there is never closed",
                                                 name, (long long)open_line);
        } else if (r.parser.pstate != PARSER_IDLE || r.in_record || r.after_cr) {
            st = rb_fail(err, RB_E_DATA, "cannot read '%s' line %lld alone: a record goes on past it", name,
                         (long long)(r.line - 1));
        }
        if (st == RB_OK)
            st = r.status;
    }
    if (st == RB_OK && r.starts_failed)
        st = rb_fail(err, RB_E_INTERNAL, "the lines of '%s' read again lie beyond the file's runs (a bug)", name);
out:
    if (parser_ready)
        csv_free(&r.parser);
    if (cd != (iconv_t)-1)
        iconv_close(cd);
    if (fd >= 0)
        close(fd);
    rb_strbuf_release(&raw);
    rb_strbuf_release(&text);
    rb_strbuf_release(&r.record_text);
    free(r.spans);
    free(r.fields);
    return st;
}
