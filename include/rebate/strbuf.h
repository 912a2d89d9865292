/* A growable, always NUL-terminated byte buffer (after git's strbuf). */
#ifndef REBATE_STRBUF_H
#define REBATE_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rb_strbuf {
    char *buf;    /* NUL-terminated contents; "" (static) before first growth */
    size_t len;   /* bytes used, not counting the NUL */
    size_t alloc; /* bytes allocated; 0 while buf points at the static "" */
} rb_strbuf;

#define RB_STRBUF_INIT {rb_strbuf_empty, 0, 0}
extern char rb_strbuf_empty[1];

void rb_strbuf_init(rb_strbuf *sb);
/* Each returns false when memory ran out; the buffer is then unchanged. */
bool rb_strbuf_grow(rb_strbuf *sb, size_t extra);
bool rb_strbuf_add(rb_strbuf *sb, const void *data, size_t len);
bool rb_strbuf_adds(rb_strbuf *sb, const char *s);
bool rb_strbuf_addf(rb_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool rb_strbuf_addch(rb_strbuf *sb, char c);
void rb_strbuf_reset(rb_strbuf *sb);

/* Replaces the contents of out with dir "/" name (with no second slash when
 * dir ends in one). False when memory ran out or the length would overflow;
 * out is then left empty, never holding a cut path. */
bool rb_path_join(rb_strbuf *out, const char *dir, const char *name);

/* As rb_path_join, into a new heap string (free() it); NULL when memory ran
 * out. */
char *rb_path_joined(const char *dir, const char *name);
void rb_strbuf_release(rb_strbuf *sb);

#endif
