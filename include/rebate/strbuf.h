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
void rb_strbuf_release(rb_strbuf *sb);

#endif
