/* rb_firm_prefetch: a firm reader run on a thread of its own, a few hundred
 * firms ahead of the caller. Reading a firm (SQLite's cursors) is about a
 * third of a run's work on one firm; with it beside the deciding and the
 * writing, a night on which few firms changed uses both cores instead of
 * one. The months stay packed on that thread and are unpacked on the
 * caller's, as the firm is taken: reading was still the slower half.
 *
 * The reader's firm points into the reader's buffers, which the next firm
 * reuses, so each firm is copied whole into a batch: the struct, then its
 * strings and packed months into the batch's arena, the pointers set once
 * the arena no longer moves. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "rebate/alloc.h"
#include "rebate/rules.h"
#include "rebate/snapshot.h"
#include "rebate/strbuf.h"
#include "rules_internal.h"

#define BATCHES 4
#define BATCH_FIRMS 512

typedef struct batch {
    struct batch *next;
    rb_firm_input firms[BATCH_FIRMS];
    size_t packed_at[BATCH_FIRMS], packed_len[BATCH_FIRMS]; /* each firm's packed months in the arena */
    size_t n;
    bool last;            /* the reader has no firm after these */
    rb_status status;     /* the reader failed after these firms */
    rb_error error;
    rb_strbuf arena;      /* the firms' strings and packed months */
} batch;

struct rb_firm_prefetch {
    rb_firm_reader *reader;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t changed;
    batch *free, *full, *full_tail;
    bool quit;
    batch *current;       /* the caller's */
    size_t next;          /* its next firm */
    rb_month *months;     /* the months of the firm taken last, unpacked */
    size_t months_cap;
    batch batches[BATCHES];
};

/* The text pointers of a firm, in one list for copying and for fixing up. */
static const char **text_field(rb_firm_input *f, int i)
{
    switch (i) {
    case 0: return &f->reg_name;
    case 1: return &f->reg_status;
    case 2: return &f->industry_code;
    case 3: return &f->unit_name;
    case 4: return &f->ui_status;
    case 5: return &f->account_name;
    case 6: return &f->bank_name;
    case 7: return &f->bank_account;
    case 8: return &f->bank_code;
    case 9: return &f->paid_reference;
    case 10: return &f->verdict.by;
    case 11: return &f->verdict.at;
    default: return &f->verdict.note;
    }
}
#define TEXT_FIELDS 13

/* Offsets into the arena stand in the pointers until the batch is full:
 * 0 for NULL, else offset + 1. */
static bool copy_firm(batch *b, const rb_firm_input *from, const rb_firm_reader *reader)
{
    rb_firm_input *to = &b->firms[b->n];
    *to = *from;
    for (int i = 0; i < TEXT_FIELDS; i++) {
        const char **field = text_field(to, i);
        if (*field == NULL)
            continue;
        size_t at = b->arena.len;
        if (!rb_strbuf_add(&b->arena, *field, strlen(*field) + 1))
            return false;
        *field = (const char *)(uintptr_t)(at + 1);
    }
    const void *packed;
    rb_firm_reader_packed(reader, &packed, &b->packed_len[b->n]);
    b->packed_at[b->n] = b->arena.len;
    if (!rb_strbuf_add(&b->arena, packed, b->packed_len[b->n]))
        return false;
    to->months = NULL;
    b->n++;
    return true;
}

static void fix_pointers(batch *b)
{
    char *base = b->arena.buf;
    for (size_t k = 0; k < b->n; k++) {
        rb_firm_input *f = &b->firms[k];
        for (int i = 0; i < TEXT_FIELDS; i++) {
            const char **field = text_field(f, i);
            uintptr_t off = (uintptr_t)*field;
            *field = off ? base + off - 1 : NULL;
        }
    }
}

static void *prefetch_main(void *arg)
{
    rb_firm_prefetch *p = arg;
    prctl(PR_SET_NAME, "rebate-firms"); /* as top -H and perf show it */
    for (bool done = false; !done;) {
        pthread_mutex_lock(&p->mu);
        while (p->free == NULL && !p->quit)
            pthread_cond_wait(&p->changed, &p->mu);
        batch *b = p->quit ? NULL : p->free;
        if (b != NULL)
            p->free = b->next;
        pthread_mutex_unlock(&p->mu);
        if (b == NULL)
            break;
        b->n = 0;
        b->last = false;
        b->status = RB_OK;
        rb_strbuf_reset(&b->arena);
        while (b->n < BATCH_FIRMS) {
            const rb_firm_input *firm = NULL;
            b->status = rb_firm_reader_next(p->reader, &firm, &b->error);
            if (b->status == RB_OK && firm != NULL && !copy_firm(b, firm, p->reader))
                b->status = rb_fail(&b->error, RB_E_INTERNAL, "out of memory reading the firms");
            if (b->status != RB_OK || firm == NULL) {
                b->last = done = true;
                break;
            }
        }
        fix_pointers(b);
        pthread_mutex_lock(&p->mu);
        b->next = NULL;
        if (p->full_tail)
            p->full_tail->next = b;
        else
            p->full = b;
        p->full_tail = b;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

rb_status rb_firm_prefetch_open(rb_firm_reader *reader, rb_firm_prefetch **out, rb_error *err)
{
    *out = NULL;
    rb_firm_prefetch *p = rb_calloc(1, sizeof *p);
    if (p == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading the firms");
    p->reader = reader;
    for (int i = BATCHES; i-- > 0;) {
        rb_strbuf_init(&p->batches[i].arena);
        p->batches[i].next = p->free;
        p->free = &p->batches[i];
    }
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p);
        return rb_fail(err, RB_E_INTERNAL, "cannot start reading the firms");
    }
    if (pthread_cond_init(&p->changed, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return rb_fail(err, RB_E_INTERNAL, "cannot start reading the firms");
    }
    rb_firm_reader_keep_packed(reader, true);
    if (pthread_create(&p->thread, NULL, prefetch_main, p) != 0) {
        rb_firm_reader_keep_packed(reader, false);
        pthread_cond_destroy(&p->changed);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return rb_fail(err, RB_E_INTERNAL, "cannot start the thread reading the firms");
    }
    *out = p;
    return RB_OK;
}

rb_status rb_firm_prefetch_next(rb_firm_prefetch *p, const rb_firm_input **firm, rb_error *err)
{
    *firm = NULL;
    batch *b = p->current;
    if (b != NULL && p->next < b->n) {
        size_t k = p->next++;
        rb_firm_input *f = &b->firms[k];
        if (f->n_months > 0) {
            bool oom = false;
            if (!rb_months_unpack(b->arena.buf + b->packed_at[k], b->packed_len[k], f->n_months, &p->months,
                                  &p->months_cap, &oom))
                return rb_months_unreadable(f->uscc, oom, err);
            f->months = p->months;
        }
        *firm = f;
        return RB_OK;
    }
    if (b != NULL && b->last) {
        if (b->status != RB_OK)
            return rb_fail(err, b->status, "%s", b->error.message);
        return RB_OK; /* the end, said again */
    }
    pthread_mutex_lock(&p->mu);
    if (b != NULL) { /* read: back to the thread */
        b->next = p->free;
        p->free = b;
        pthread_cond_broadcast(&p->changed);
    }
    while (p->full == NULL)
        pthread_cond_wait(&p->changed, &p->mu);
    b = p->full;
    p->full = b->next;
    if (p->full == NULL)
        p->full_tail = NULL;
    pthread_mutex_unlock(&p->mu);
    p->current = b;
    p->next = 0;
    return rb_firm_prefetch_next(p, firm, err);
}

void rb_firm_prefetch_close(rb_firm_prefetch *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    rb_firm_reader_keep_packed(p->reader, false);
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->mu);
    for (int i = 0; i < BATCHES; i++)
        rb_strbuf_release(&p->batches[i].arena);
    free(p->months);
    free(p);
}
