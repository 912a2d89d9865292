/* The fingerprints of src/import/line_prints.h, with xxHash's XXH3. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <xxhash.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "import/line_prints.h"
#include "rebate/alloc.h"
#include "rebate/text.h"

#define SCAN_BLOCK ((size_t)1024 * 1024)

void rb_line_prints_init(rb_line_prints *p)
{
    memset(p, 0, sizeof *p);
    rb_strbuf_init(&p->header);
}

void rb_line_prints_header_line(rb_line_prints *p, int64_t line)
{
    p->header_line = line;
    rb_strbuf_reset(&p->header);
}

bool rb_line_prints_header_field(rb_strbuf *header, const char *text, size_t len)
{
    return rb_strbuf_add(header, text, len) && rb_strbuf_add(header, "", 1);
}

void rb_line_prints_free(rb_line_prints *p)
{
    rb_strbuf_release(&p->header);
    free(p->hashes);
    free(p->offsets);
    free(p->starts);
    if (p->state != NULL)
        XXH3_freeState(p->state);
    rb_line_prints_init(p);
}

void rb_line_prints_reset(rb_line_prints *p)
{
    p->lines = 0;
    p->runs = 0;
    p->size = 0;
    p->in_run = 0;
    p->open = false;
    p->failed = false;
    if (p->starts != NULL)
        memset(p->starts, 0, (p->cap + 7) / 8);
}

bool rb_line_prints_reserve(rb_line_prints *p, size_t runs)
{
    if (runs <= p->cap)
        return true;
    size_t cap = p->cap ? p->cap : 1024;
    while (cap < runs)
        cap *= 2;
    unsigned char *hashes = rb_realloc(p->hashes, cap * RB_PRINT_HASH);
    if (hashes == NULL)
        return false;
    p->hashes = hashes;
    uint64_t *offsets = rb_realloc(p->offsets, (cap + 1) * sizeof *offsets);
    if (offsets == NULL)
        return false;
    p->offsets = offsets;
    unsigned char *starts = rb_realloc(p->starts, (cap + 7) / 8);
    if (starts == NULL)
        return false;
    memset(starts + (p->cap + 7) / 8, 0, (cap + 7) / 8 - (p->cap + 7) / 8);
    p->starts = starts;
    p->cap = cap;
    return true;
}

/* The run being hashed ends here. */
static void close_run(rb_line_prints *p)
{
    XXH128_hash_t h = XXH3_128bits_digest(p->state);
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, h);
    memcpy(p->hashes + (p->runs - 1) * RB_PRINT_HASH, c.digest, RB_PRINT_HASH);
    p->open = false;
}

/* Where the bytes from data stop: after the \n that makes *in_run lines
 * RB_PRINT_LINES, or at end (counted into *in_run). Lines are about 30
 * bytes, so the line ends are counted 16 bytes at a time where SSE2 is
 * there (every x86-64), instead of a call to memchr a line. */
static const unsigned char *after_lines(const unsigned char *at, const unsigned char *end, int *in_run)
{
#ifdef __SSE2__
    const __m128i newline = _mm_set1_epi8('\n');
    while (end - at >= 16) {
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)at), newline));
        int found = __builtin_popcount(mask);
        if (*in_run + found < RB_PRINT_LINES) {
            *in_run += found;
            at += 16;
            continue;
        }
        for (;;) { /* the run's last \n is in these 16 bytes */
            int bit = __builtin_ctz(mask);
            if (++*in_run == RB_PRINT_LINES)
                return at + bit + 1;
            mask &= mask - 1;
        }
    }
#endif
    while (*in_run < RB_PRINT_LINES) {
        const unsigned char *nl = memchr(at, '\n', (size_t)(end - at));
        if (nl == NULL)
            return end;
        at = nl + 1;
        ++*in_run;
    }
    return at;
}

void rb_line_prints_add(rb_line_prints *p, const unsigned char *data, size_t len)
{
    if (p->failed || len == 0)
        return;
    p->last_byte = data[len - 1];
    const unsigned char *end = data + len;
    while (data < end) {
        if (!p->open) {
            if (p->state == NULL && (p->state = XXH3_createState()) == NULL) {
                p->failed = true;
                return;
            }
            if (!rb_line_prints_reserve(p, p->runs + 1)) {
                p->failed = true;
                return;
            }
            p->offsets[p->runs++] = p->size;
            XXH3_128bits_reset(p->state);
            p->open = true;
            p->in_run = 0;
        }
        /* Up to the run's last \n, or the end of the bytes; one update. */
        const unsigned char *at = after_lines(data, end, &p->in_run);
        XXH3_128bits_update(p->state, data, (size_t)(at - data));
        p->size += (uint64_t)(at - data);
        data = at;
        if (p->in_run == RB_PRINT_LINES) {
            close_run(p);
            p->lines += RB_PRINT_LINES;
        }
    }
}

bool rb_line_prints_finish(rb_line_prints *p)
{
    if (p->failed)
        return false;
    if (p->open) {
        close_run(p);
        p->lines += p->in_run;
        if (p->last_byte != '\n')
            p->lines++; /* bytes after the last \n: one more line */
    }
    if (!rb_line_prints_reserve(p, p->runs + 1))
        return false;
    p->offsets[p->runs] = p->size;
    return true;
}

/* The SHA-256 of a file, computed by a thread of its own beside the prints. */
typedef struct sha_job {
    int fd;
    const char *path;
    char hex[RB_SHA256_HEX];
    rb_status status;
    rb_error error;
} sha_job;

static void *sha_main(void *arg)
{
    sha_job *job = arg;
    prctl(PR_SET_NAME, "rebate-sha256");
    job->status = rb_sha256_fd(job->fd, job->path, job->hex, &job->error);
    return NULL;
}

/* The offset after the last \n of len bytes, or 0 when there is none. */
static size_t after_last_newline(const unsigned char *buf, size_t len)
{
    while (len > 0 && buf[len - 1] != '\n')
        len--;
    return len;
}

rb_status rb_line_prints_scan(const char *path, rb_line_prints *p, char sha256[RB_SHA256_HEX], bool *utf8,
                              rb_error *err)
{
    bool valid = true, unsure = false;
    rb_line_prints_reset(p);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return rb_fail(err, RB_E_NOINPUT, "cannot read '%s': %s", path, strerror(errno));
    sha_job job = {.fd = fd, .path = path};
    pthread_t hasher;
    bool hashing = pthread_create(&hasher, NULL, sha_main, &job) == 0;
    unsigned char *buf = rb_malloc(SCAN_BLOCK);
    rb_status st = RB_OK;
    if (!hashing || buf == NULL) {
        st = rb_fail(err, RB_E_INTERNAL, "cannot start reading '%s'", path);
        goto out;
    }
    for (off_t at = 0;;) {
        ssize_t n = pread(fd, buf, SCAN_BLOCK, at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = rb_fail(err, RB_E_NOINPUT, "cannot read '%s': %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        size_t use = (size_t)n;
        if (utf8 != NULL && valid && !unsure) {
            /* Checked up to a line end, where no character is cut; the
             * rest is read again with the next block. A block without a
             * line end (a line over 1 MiB) is not judged: "UTF-8", which
             * makes the caller read the file whole. */
            size_t cut = after_last_newline(buf, use);
            if (cut == 0 && use == SCAN_BLOCK)
                unsure = true;
            else if (use == SCAN_BLOCK)
                use = cut;
            if (!unsure && !rb_utf8_valid((const char *)buf, use, NULL))
                valid = false;
        }
        rb_line_prints_add(p, buf, use);
        at += (off_t)use;
    }
    if (utf8 != NULL)
        *utf8 = valid || unsure;
    if (!rb_line_prints_finish(p))
        st = rb_fail(err, RB_E_INTERNAL, "out of memory reading '%s'", path);
out:
    if (hashing) {
        pthread_join(hasher, NULL);
        if (st == RB_OK && job.status != RB_OK)
            st = rb_fail(err, job.status, "%s", job.error.message);
        else if (st == RB_OK)
            memcpy(sha256, job.hex, RB_SHA256_HEX);
    }
    free(buf);
    close(fd);
    return st;
}
