/* rb_strbuf: growable strings for messages, SQL fragments and output rows. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/alloc.h"
#include "rebate/strbuf.h"

char rb_strbuf_empty[1];

void rb_strbuf_init(rb_strbuf *sb)
{
    sb->buf = rb_strbuf_empty;
    sb->len = 0;
    sb->alloc = 0;
}

bool rb_strbuf_grow(rb_strbuf *sb, size_t extra)
{
    if (sb->len + extra + 1 <= sb->alloc)
        return true;
    if (extra > ((size_t)-1) / 2 - sb->len)
        return false;
    size_t want = sb->alloc ? sb->alloc : 64;
    while (want < sb->len + extra + 1)
        want *= 2;
    char *p = rb_realloc(sb->alloc ? sb->buf : NULL, want);
    if (p == NULL)
        return false;
    if (sb->alloc == 0)
        p[0] = '\0';
    sb->buf = p;
    sb->alloc = want;
    return true;
}

bool rb_strbuf_add(rb_strbuf *sb, const void *data, size_t len)
{
    if (!rb_strbuf_grow(sb, len))
        return false;
    memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
    return true;
}

bool rb_strbuf_adds(rb_strbuf *sb, const char *s)
{
    return rb_strbuf_add(sb, s, strlen(s));
}

bool rb_strbuf_addch(rb_strbuf *sb, char c)
{
    return rb_strbuf_add(sb, &c, 1);
}

/* Formatted straight into the room the buffer has left, which is nearly
 * always enough (buffers are reused from row to row); only text that does
 * not fit is formatted a second time, after growing. On failure the string
 * is what it was. */
bool rb_strbuf_addf(rb_strbuf *sb, const char *fmt, ...)
{
    size_t room = sb->alloc - sb->len; /* 0 for the shared empty string */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(room > 0 ? sb->buf + sb->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < room) {
        sb->len += (size_t)n;
        return true;
    }
    if (room > 0)
        sb->buf[sb->len] = '\0'; /* undo a cut-off piece */
    if (n < 0 || !rb_strbuf_grow(sb, (size_t)n))
        return false;
    va_start(ap, fmt);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
    return true;
}

void rb_strbuf_reset(rb_strbuf *sb)
{
    sb->len = 0;
    if (sb->alloc)
        sb->buf[0] = '\0';
}

void rb_strbuf_release(rb_strbuf *sb)
{
    if (sb->alloc)
        free(sb->buf);
    rb_strbuf_init(sb);
}

bool rb_path_join(rb_strbuf *out, const char *dir, const char *name)
{
    size_t dir_len = strlen(dir), name_len = strlen(name);
    bool slash = dir_len > 0 && dir[dir_len - 1] == '/';
    rb_strbuf_reset(out);
    if (dir_len > SIZE_MAX / 2 || name_len > SIZE_MAX / 2 - 2 ||
        !rb_strbuf_grow(out, dir_len + name_len + 1) || !rb_strbuf_add(out, dir, dir_len) ||
        (!slash && !rb_strbuf_addch(out, '/')) || !rb_strbuf_add(out, name, name_len)) {
        rb_strbuf_reset(out);
        return false;
    }
    return true;
}

char *rb_path_joined(const char *dir, const char *name)
{
    rb_strbuf sb = RB_STRBUF_INIT;
    if (!rb_path_join(&sb, dir, name) || !rb_strbuf_grow(&sb, 1)) {
        rb_strbuf_release(&sb);
        return NULL;
    }
    return sb.buf; /* grown, so heap-allocated even when empty */
}
