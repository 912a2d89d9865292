/* The external merge sort of src/import/sorter.h: an introsort of each
 * buffer's index, runs written sequentially to one unlinked temporary
 * file, and a k-way merge over a binary heap.
 *
 * The memory is two blocks: while one is sorted and written by a thread of
 * its own, records go into the other, so that the thread adding them never
 * waits for a whole run to be written (it did, for about a third of a
 * second per run, and the parsing waited behind it). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import/sorter.h"
#include "rebate/alloc.h"
#include "rebate/varint.h"

/* A record in a run: a flag byte, its key as differences from the previous
 * record's (the keys of a run ascend, and neighbours share the code), its
 * length, its bytes; at most this many bytes before the record's own. */
#define RUN_HEADER_MAX (1 + 8 + 2 * RB_VARINT_MAX + 5)
#define SAME_K0 1
#define WRITE_BUFFER (1024 * 1024)
#define MERGE_MEMORY (32u * 1024 * 1024) /* read buffers of all runs together */
#define MERGE_MIN_BUFFER (32u * 1024)

/* A record of the memory buffer: its key and where its bytes are. */
typedef struct entry {
    rb_sort_key key;
    uint64_t offset;         /* from the start of the arena */
} entry;

/* The length of a record is stored just before its bytes in the arena. */
static uint32_t entry_len(const unsigned char *arena, const entry *e)
{
    uint32_t len;
    memcpy(&len, arena + e->offset - sizeof len, sizeof len);
    return len;
}

/* A run being merged: the memory buffer's sorted entries, or a stretch of
 * the temporary file read through a buffer. */
typedef struct source {
    bool in_memory;
    size_t next_entry;       /* in memory */
    uint64_t file_pos, file_end;
    unsigned char *buf;      /* from the file: bytes [pos, fill) not consumed yet */
    size_t cap, pos, fill;
    rb_sort_key key;         /* the current record */
    const unsigned char *data;
    size_t len;
} source;

struct rb_sorter {
    char *temp_path;           /* the template, then the file made from it (heap) */
    int fd;                  /* -1 until the first run is written */
    uint64_t file_size;
    /* The block being filled: the index grows from its start, the records'
     * bytes from its end, and a run is written when they meet. */
    unsigned char *arena;
    size_t arena_size;
    entry *entries;          /* = arena */
    size_t n_entries;
    size_t data_len;         /* bytes used at the end of the arena */
    uint64_t count;
    /* The other block: being written as a run by the spilling thread (then
     * the temporary file, the runs and write_buf are that thread's), or
     * free. */
    unsigned char *spare;
    size_t spare_size;
    size_t spare_entries;
    pthread_t spiller;
    bool spilling;
    rb_status spill_status;
    rb_error spill_error;
    /* runs in the temporary file: [start, end) */
    uint64_t *run_start, *run_end;
    int n_runs, runs_cap;
    unsigned char *write_buf;
    size_t write_len;
    /* the merge */
    bool finished;
    source *sources;
    int n_sources;
    int *heap;               /* source indices, smallest key first */
    int heap_len;
    int last;                /* the source of the record returned last, -1 */
    bool grouped;            /* rb_sorter_group: records come in groups */
    uint64_t group_mask;
    int sorted_runs;         /* runs sorted entry by entry (the others were put in order by stretches) */
};

static int key_cmp(const rb_sort_key *a, const rb_sort_key *b)
{
    for (int i = 0; i < 3; i++)
        if (a->k[i] != b->k[i])
            return a->k[i] < b->k[i] ? -1 : 1;
    return 0;
}

static bool entry_less(const entry *a, const entry *b)
{
    return key_cmp(&a->key, &b->key) < 0;
}

/* ------------------------------------------------------------- sorting */

static void swap_entries(entry *a, entry *b)
{
    entry t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(entry *e, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        entry x = e[i];
        size_t j = i;
        while (j > 0 && entry_less(&x, &e[j - 1])) {
            e[j] = e[j - 1];
            j--;
        }
        e[j] = x;
    }
}

static void sift_down(entry *e, size_t n, size_t i)
{
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            return;
        if (child + 1 < n && entry_less(&e[child], &e[child + 1]))
            child++;
        if (!entry_less(&e[i], &e[child]))
            return;
        swap_entries(&e[i], &e[child]);
        i = child;
    }
}

static void heap_sort(entry *e, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(e, n, i);
    for (size_t end = n; end > 1; end--) {
        swap_entries(&e[0], &e[end - 1]);
        sift_down(e, end - 1, 0);
    }
}

/* Quicksort with a median of three, insertion sort for small ranges and
 * heapsort when the recursion gets too deep: O(n log n) whatever the
 * input. Recurses on the smaller side only, so the stack stays small. */
static void intro_sort(entry *e, size_t n, int depth)
{
    while (n > 16) {
        if (depth-- == 0) {
            heap_sort(e, n);
            return;
        }
        size_t mid = n / 2;
        if (entry_less(&e[mid], &e[0]))
            swap_entries(&e[mid], &e[0]);
        if (entry_less(&e[n - 1], &e[0]))
            swap_entries(&e[n - 1], &e[0]);
        if (entry_less(&e[n - 1], &e[mid]))
            swap_entries(&e[n - 1], &e[mid]);
        entry pivot = e[mid];
        size_t i = 0, j = n - 1;
        for (;;) {
            while (entry_less(&e[i], &pivot))
                i++;
            while (entry_less(&pivot, &e[j]))
                j--;
            if (i >= j)
                break;
            swap_entries(&e[i], &e[j]);
            i++;
            j--;
        }
        /* [0, j] <= pivot <= [j + 1, n) */
        size_t left = j + 1, right = n - left;
        if (right == 0) { /* no progress (cannot happen with a median of three; a safety net) */
            heap_sort(e, n);
            return;
        }
        if (left < right) {
            intro_sort(e, left, depth);
            e += left;
            n = right;
        } else {
            intro_sort(e + left, right, depth);
            n = left;
        }
    }
    insertion_sort(e, n);
}

/* Extracts usually come sorted by code (and period): a block already in
 * order, found in one pass that stops at the first record out of order,
 * is left as it is. */
static void sort_entries(entry *e, size_t n)
{
    size_t in_order = 1;
    while (in_order < n && !entry_less(&e[in_order], &e[in_order - 1]))
        in_order++;
    if (in_order >= n)
        return;
    int depth = 0;
    for (size_t m = n; m > 1; m >>= 1)
        depth += 2;
    intro_sort(e, n, depth);
}

/* Extracts usually hold each firm's rows together, in period order, with
 * the firms in no order: a block is then a few thousand stretches already
 * in order that do not overlap one another, and putting the stretches in
 * order sorts the block without moving an entry (sorting it was about a
 * tenth of an import at a million firms). */
typedef struct stretch {
    rb_sort_key first;       /* the key of its first entry */
    size_t start, count;     /* its entries */
} stretch;

static int stretch_cmp(const void *a, const void *b)
{
    return key_cmp(&((const stretch *)a)->first, &((const stretch *)b)->first);
}

/* Whether entry i starts a stretch: it is smaller than the one before,
 * or of another group. */
static bool starts_stretch(const entry *e, size_t i, uint64_t group_mask)
{
    return i == 0 || entry_less(&e[i], &e[i - 1]) || e[i].key.k[0] != e[i - 1].key.k[0] ||
           (e[i].key.k[1] & group_mask) != (e[i - 1].key.k[1] & group_mask);
}

/* The block's stretches (ascending, each within one group) in key order,
 * when there are at most n / 4 of them and none overlaps the next (the
 * caller frees them); else NULL, and the entries must be sorted
 * themselves. */
static stretch *stretches_in_order(const entry *e, size_t n, uint64_t group_mask)
{
    size_t g = 0;
    for (size_t i = 0; i < n; i++)
        g += starts_stretch(e, i, group_mask);
    if (n == 0 || g > n / 4)
        return NULL;
    stretch *st = rb_malloc(g * sizeof *st);
    if (st == NULL)
        return NULL; /* sorted the other way, in place */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (starts_stretch(e, i, group_mask)) {
            if (k > 0)
                st[k - 1].count = i - st[k - 1].start;
            st[k].first = e[i].key;
            st[k].start = i;
            k++;
        }
    st[g - 1].count = n - st[g - 1].start;
    qsort(st, g, sizeof *st, stretch_cmp);
    for (size_t j = 1; j < g; j++) {
        const entry *last = &e[st[j - 1].start + st[j - 1].count - 1];
        if (key_cmp(&last->key, &st[j].first) >= 0) {
            free(st);
            return NULL;
        }
    }
    return st;
}

/* ------------------------------------------------------------ the runs */

static rb_status temp_failed(rb_sorter *s, const char *what, rb_error *err)
{
    return rb_fail(err, RB_E_CANTWRITE, "cannot %s the temporary file of the import '%s': %s", what, s->temp_path,
                   strerror(errno));
}

static rb_status write_all(rb_sorter *s, const void *data, size_t len, rb_error *err)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = pwrite(s->fd, p, len, (off_t)s->file_size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            return temp_failed(s, "write", err);
        }
        p += n;
        len -= (size_t)n;
        s->file_size += (uint64_t)n;
    }
    return RB_OK;
}

static rb_status buffered_write(rb_sorter *s, const void *data, size_t len, rb_error *err)
{
    if (s->write_len + len > WRITE_BUFFER) {
        rb_status st = write_all(s, s->write_buf, s->write_len, err);
        s->write_len = 0;
        if (st != RB_OK)
            return st;
    }
    if (len > WRITE_BUFFER)
        return write_all(s, data, len, err);
    memcpy(s->write_buf + s->write_len, data, len);
    s->write_len += len;
    return RB_OK;
}

/* The header of a record with key after one with key previous (the first
 * of a run: after zeros): k0 only when it changed; k1 and k2 as their rise
 * from the previous record's when the higher words are the same, else
 * whole; then the length. */
static size_t encode_header(const rb_sort_key *previous, const rb_sort_key *key, uint32_t len,
                            unsigned char out[RUN_HEADER_MAX])
{
    unsigned char *p = out + 1;
    bool same0 = key->k[0] == previous->k[0];
    out[0] = same0 ? SAME_K0 : 0;
    if (!same0) {
        memcpy(p, &key->k[0], 8);
        p += 8;
    }
    p = rb_varint_put(p, same0 ? key->k[1] - previous->k[1] : key->k[1]);
    bool same1 = same0 && key->k[1] == previous->k[1];
    p = rb_varint_put(p, same1 ? key->k[2] - previous->k[2] : key->k[2]);
    p = rb_varint_put(p, len);
    return (size_t)(p - out);
}

/* The reverse of encode_header; *used is the header's length. */
static bool decode_header(const rb_sort_key *previous, const unsigned char *in, size_t avail, rb_sort_key *key,
                          uint32_t *len, size_t *used)
{
    const unsigned char *p = in + 1, *end = in + avail;
    if (avail < 1)
        return false;
    bool same0 = in[0] & SAME_K0;
    if (same0) {
        key->k[0] = previous->k[0];
    } else {
        if (end - p < 8)
            return false;
        memcpy(&key->k[0], p, 8);
        p += 8;
    }
    uint64_t v, length;
    if (!rb_varint_get(&p, end, &v))
        return false;
    key->k[1] = same0 ? previous->k[1] + v : v;
    bool same1 = same0 && key->k[1] == previous->k[1];
    if (!rb_varint_get(&p, end, &v))
        return false;
    key->k[2] = same1 ? previous->k[2] + v : v;
    if (!rb_varint_get(&p, end, &length) || length > UINT32_MAX)
        return false;
    *len = (uint32_t)length;
    *used = (size_t)(p - in);
    return true;
}

/* Sorts a block's n records and writes them as one run. */
static rb_status write_run(rb_sorter *s, unsigned char *arena, size_t n_entries, rb_error *err)
{
    entry *entries = (entry *)arena;
    rb_status st = RB_OK;
    if (s->fd < 0) {
        s->fd = mkstemp(s->temp_path);
        if (s->fd < 0)
            return temp_failed(s, "create", err);
        /* Nobody else needs its name, and a crash then leaves nothing. */
        unlink(s->temp_path);
        s->write_buf = rb_malloc(WRITE_BUFFER);
        if (s->write_buf == NULL)
            return rb_fail(err, RB_E_INTERNAL, "out of memory sorting the import");
    }
    if (s->n_runs == s->runs_cap) {
        int cap = s->runs_cap ? s->runs_cap * 2 : 16;
        uint64_t *starts = rb_realloc(s->run_start, (size_t)cap * sizeof *starts);
        if (starts == NULL)
            return rb_fail(err, RB_E_INTERNAL, "out of memory sorting the import");
        s->run_start = starts;
        uint64_t *ends = rb_realloc(s->run_end, (size_t)cap * sizeof *ends);
        if (ends == NULL)
            return rb_fail(err, RB_E_INTERNAL, "out of memory sorting the import");
        s->run_end = ends;
        s->runs_cap = cap;
    }
    stretch *stretches = s->grouped ? stretches_in_order(entries, n_entries, s->group_mask) : NULL;
    if (stretches == NULL) {
        sort_entries(entries, n_entries);
        s->sorted_runs++;
    }
    uint64_t start = s->file_size;
    rb_sort_key previous = {{0, 0, 0}};
    /* The entries in key order: stretch by stretch, or as sorted. */
    size_t stretch_at = 0, stretch_left = stretches ? stretches[0].count : 0;
    for (size_t i = 0; i < n_entries && st == RB_OK; i++) {
        const entry *e = &entries[i];
        if (stretches != NULL) {
            if (stretch_left == 0) {
                stretch_at++;
                stretch_left = stretches[stretch_at].count;
            }
            e = &entries[stretches[stretch_at].start + stretches[stretch_at].count - stretch_left];
            stretch_left--;
        }
        uint32_t len = entry_len(arena, e);
        unsigned char header[RUN_HEADER_MAX];
        size_t n = encode_header(&previous, &e->key, len, header);
        previous = e->key;
        if (s->write_len + n + len <= WRITE_BUFFER) {
            /* The usual small record: straight into the buffer. */
            memcpy(s->write_buf + s->write_len, header, n);
            memcpy(s->write_buf + s->write_len + n, arena + e->offset, len);
            s->write_len += n + len;
            continue;
        }
        if ((st = buffered_write(s, header, n, err)) == RB_OK)
            st = buffered_write(s, arena + e->offset, len, err);
    }
    free(stretches);
    if (st == RB_OK && s->write_len > 0) {
        st = write_all(s, s->write_buf, s->write_len, err);
        s->write_len = 0;
    }
    if (st != RB_OK)
        return st;
    s->run_start[s->n_runs] = start;
    s->run_end[s->n_runs] = start + (s->file_size - start);
    s->n_runs++;
    return RB_OK;
}

static void *spiller_main(void *arg)
{
    rb_sorter *s = arg;
    s->spill_status = write_run(s, s->spare, s->spare_entries, &s->spill_error);
    return NULL;
}

/* Waits for the run being written, if any; its failure becomes err's. */
static rb_status spill_wait(rb_sorter *s, rb_error *err)
{
    if (!s->spilling)
        return RB_OK;
    pthread_join(s->spiller, NULL);
    s->spilling = false;
    s->spare_entries = 0;
    if (s->spill_status != RB_OK)
        return rb_fail(err, s->spill_error.status, "%s", s->spill_error.message);
    return RB_OK;
}

/* Hands the full block to the spilling thread (once the run before is
 * written) and goes on in the other one; written here when no thread can
 * be started. */
static rb_status spill(rb_sorter *s, rb_error *err)
{
    rb_status st = spill_wait(s, err);
    if (st != RB_OK)
        return st;
    unsigned char *full = s->arena;
    size_t full_size = s->arena_size, full_entries = s->n_entries;
    if (s->spare == NULL) {
        s->spare = rb_malloc(full_size);
        if (s->spare == NULL)
            return rb_fail(err, RB_E_INTERNAL, "out of memory sorting the import");
        s->spare_size = full_size;
    }
    s->arena = s->spare;
    s->arena_size = s->spare_size;
    s->entries = (entry *)s->arena;
    s->n_entries = 0;
    s->data_len = 0;
    s->spare = full;
    s->spare_size = full_size;
    s->spare_entries = full_entries;
    rb_error_clear(&s->spill_error);
    s->spill_status = RB_OK;
    if (pthread_create(&s->spiller, NULL, spiller_main, s) == 0) {
        s->spilling = true;
        return RB_OK;
    }
    st = write_run(s, s->spare, s->spare_entries, err);
    s->spare_entries = 0;
    return st;
}

rb_status rb_sorter_open(const char *temp_template, size_t buffer_bytes, rb_sorter **out, rb_error *err)
{
    *out = NULL;
    rb_sorter *s = rb_calloc(1, sizeof *s);
    if (s == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory sorting the import");
    s->fd = -1;
    s->last = -1;
    if ((s->temp_path = strdup(temp_template)) == NULL) {
        free(s);
        return rb_fail(err, RB_E_INTERNAL, "out of memory sorting the import");
    }
    /* Two blocks share the memory. */
    s->arena_size = buffer_bytes / 2 < 4096 ? 4096 : buffer_bytes / 2;
    *out = s;
    return RB_OK;
}

/* Bytes a record takes in the arena: its entry, its length, its bytes. */
static size_t arena_need(size_t len)
{
    return sizeof(entry) + sizeof(uint32_t) + len;
}

rb_status rb_sorter_add(rb_sorter *s, const rb_sort_key *key, const void *data, size_t len, rb_error *err)
{
    if (len > UINT32_MAX - 64)
        return rb_fail(err, RB_E_INTERNAL, "a record of %zu bytes is too long to sort", len);
    rb_status st;
    size_t used = s->n_entries * sizeof(entry) + s->data_len;
    if (s->arena != NULL && used + arena_need(len) > s->arena_size && s->n_entries > 0 &&
        (st = spill(s, err)) != RB_OK)
        return st;
    if (s->arena == NULL || arena_need(len) > s->arena_size) {
        /* The first record, or one larger than the whole arena (a row of
         * many long fields): make room. The arena is empty here. */
        size_t size = arena_need(len) > s->arena_size ? arena_need(len) : s->arena_size;
        free(s->arena);
        s->arena = rb_malloc(size);
        if (s->arena == NULL)
            return rb_fail(err, RB_E_INTERNAL, "out of memory sorting the import");
        s->arena_size = size;
        s->entries = (entry *)s->arena;
    }
    s->data_len += len + sizeof(uint32_t);
    uint64_t offset = s->arena_size - s->data_len + sizeof(uint32_t);
    uint32_t len32 = (uint32_t)len;
    memcpy(s->arena + offset - sizeof len32, &len32, sizeof len32);
    if (len > 0)
        memcpy(s->arena + offset, data, len);
    entry *e = &s->entries[s->n_entries++];
    e->key = *key;
    e->offset = offset;
    s->count++;
    return RB_OK;
}

/* ------------------------------------------------------------ the merge */

static rb_status temp_read_failed(rb_sorter *s, rb_error *err)
{
    return rb_fail(err, RB_E_CANTWRITE, "cannot read back the temporary file of the import '%s': %s", s->temp_path,
                   errno ? strerror(errno) : "it is shorter than written");
}

/* Makes at least `need` bytes available at src->buf + src->pos. */
static rb_status fill(rb_sorter *s, source *src, size_t need, rb_error *err)
{
    if (src->fill - src->pos >= need)
        return RB_OK;
    memmove(src->buf, src->buf + src->pos, src->fill - src->pos);
    src->fill -= src->pos;
    src->pos = 0;
    if (need > src->cap) {
        unsigned char *grown = rb_realloc(src->buf, need);
        if (grown == NULL)
            return rb_fail(err, RB_E_INTERNAL, "out of memory merging the import");
        src->buf = grown;
        src->cap = need;
    }
    while (src->fill < need) {
        uint64_t left = src->file_end - src->file_pos;
        size_t want = src->cap - src->fill;
        if (want > left)
            want = (size_t)left;
        if (want == 0) {
            errno = 0;
            return temp_read_failed(s, err);
        }
        ssize_t n = pread(s->fd, src->buf + src->fill, want, (off_t)src->file_pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = 0;
            return temp_read_failed(s, err);
        }
        src->fill += (size_t)n;
        src->file_pos += (uint64_t)n;
    }
    return RB_OK;
}

/* Moves the source to its next record; *more is false when it has none. */
static rb_status advance(rb_sorter *s, source *src, bool *more, rb_error *err)
{
    if (src->in_memory) {
        *more = src->next_entry < s->n_entries;
        if (*more) {
            const entry *e = &s->entries[src->next_entry++];
            src->key = e->key;
            src->data = s->arena + e->offset;
            src->len = entry_len(s->arena, e);
        }
        return RB_OK;
    }
    src->pos += src->len; /* past the record returned last (0 at the start) */
    src->len = 0;
    uint64_t left = (uint64_t)(src->fill - src->pos) + (src->file_end - src->file_pos);
    *more = left > 0;
    if (!*more)
        return RB_OK;
    rb_status st = fill(s, src, left < RUN_HEADER_MAX ? (size_t)left : RUN_HEADER_MAX, err);
    if (st != RB_OK)
        return st;
    uint32_t len;
    size_t used;
    rb_sort_key previous = src->key;
    if (!decode_header(&previous, src->buf + src->pos, src->fill - src->pos, &src->key, &len, &used)) {
        errno = 0;
        return rb_fail(err, RB_E_INTERNAL, "the temporary file of the import '%s' reads back damaged (a bug)",
                       s->temp_path);
    }
    src->pos += used;
    if ((st = fill(s, src, len, err)) != RB_OK)
        return st;
    src->data = src->buf + src->pos;
    src->len = len;
    return RB_OK;
}

static bool source_less(const rb_sorter *s, int a, int b)
{
    return key_cmp(&s->sources[a].key, &s->sources[b].key) < 0;
}

static void heap_down(rb_sorter *s, int i)
{
    for (;;) {
        int child = 2 * i + 1;
        if (child >= s->heap_len)
            return;
        if (child + 1 < s->heap_len && source_less(s, s->heap[child + 1], s->heap[child]))
            child++;
        if (!source_less(s, s->heap[child], s->heap[i]))
            return;
        int t = s->heap[i];
        s->heap[i] = s->heap[child];
        s->heap[child] = t;
        i = child;
    }
}

rb_status rb_sorter_finish(rb_sorter *s, rb_error *err)
{
    rb_status st = RB_OK;
    s->finished = true;
    bool spilled = s->spilling || s->n_runs > 0;
    if (spilled && s->n_entries > 0 && (st = spill(s, err)) != RB_OK)
        return st;
    if ((st = spill_wait(s, err)) != RB_OK)
        return st;
    free(s->spare);
    s->spare = NULL;
    if (spilled) {
        /* Everything is on disk: the merge needs only its read buffers,
         * and the next extract's sorter the memory. */
        free(s->arena);
        s->arena = NULL;
        s->entries = NULL;
        s->n_entries = 0;
    } else {
        /* It all fitted in memory: merged from there, never written. */
        sort_entries(s->entries, s->n_entries);
    }
    free(s->write_buf);
    s->write_buf = NULL;
    int n = s->n_runs + 1;
    s->sources = rb_calloc((size_t)n, sizeof *s->sources);
    s->heap = rb_calloc((size_t)n, sizeof *s->heap);
    if (s->sources == NULL || s->heap == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory merging the import");
    size_t each = s->n_runs > 0 ? MERGE_MEMORY / (size_t)s->n_runs : 0;
    if (each < MERGE_MIN_BUFFER)
        each = MERGE_MIN_BUFFER;
    for (int i = 0; i < s->n_runs; i++) {
        source *src = &s->sources[i];
        src->file_pos = s->run_start[i];
        src->file_end = s->run_end[i];
        src->cap = each;
        src->buf = rb_malloc(each);
        if (src->buf == NULL)
            return rb_fail(err, RB_E_INTERNAL, "out of memory merging the import");
    }
    s->sources[s->n_runs].in_memory = true;
    s->n_sources = n;
    for (int i = 0; i < n && st == RB_OK; i++) {
        bool more = false;
        if ((st = advance(s, &s->sources[i], &more, err)) == RB_OK && more)
            s->heap[s->heap_len++] = i;
    }
    for (int i = s->heap_len / 2; i-- > 0;)
        heap_down(s, i);
    return st;
}

rb_status rb_sorter_next(rb_sorter *s, rb_sort_key *key, const void **data, size_t *len, bool *got, rb_error *err)
{
    *got = false;
    if (s->last >= 0) {
        bool more = false;
        rb_status st = advance(s, &s->sources[s->last], &more, err);
        if (st != RB_OK)
            return st;
        if (!more)
            s->heap[0] = s->heap[--s->heap_len];
        if (s->heap_len > 0)
            heap_down(s, 0);
        s->last = -1;
    }
    if (s->heap_len == 0)
        return RB_OK;
    source *top = &s->sources[s->heap[0]];
    s->last = s->heap[0];
    *key = top->key;
    *data = top->data;
    *len = top->len;
    *got = true;
    return RB_OK;
}

void rb_sorter_group(rb_sorter *s, uint64_t group_mask)
{
    s->grouped = true;
    s->group_mask = group_mask;
}

uint64_t rb_sorter_count(const rb_sorter *s)
{
    return s->count;
}

int rb_sorter_runs(const rb_sorter *s)
{
    return s->n_runs;
}

int rb_sorter_sorted_runs(const rb_sorter *s)
{
    return s->sorted_runs;
}

void rb_sorter_close(rb_sorter *s)
{
    if (s == NULL)
        return;
    rb_error ignored;
    spill_wait(s, &ignored);
    free(s->spare);
    if (s->fd >= 0)
        close(s->fd);
    for (int i = 0; i < s->n_sources; i++)
        free(s->sources[i].buf);
    free(s->sources);
    free(s->heap);
    free(s->arena);
    free(s->run_start);
    free(s->run_end);
    free(s->write_buf);
    free(s->temp_path);
    free(s);
}
