/* Trimming, UTF-8 validation and name folding. Names are compared after
 * folding so that `某某（鞍山）有限公司` equals `某某(鞍山)有限公司` (docs/rules.md). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rebate/text.h"

void rb_text_trim(const char **text, size_t *len)
{
    const char *s = *text;
    size_t n = *len;
    for (;;) {
        if (n >= 1 && (s[0] == ' ' || s[0] == '\t')) {
            s++, n--;
        } else if (n >= 3 && (unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 &&
                   (unsigned char)s[2] == 0x80) {
            s += 3, n -= 3;
        } else {
            break;
        }
    }
    for (;;) {
        if (n >= 1 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
            n--;
        } else if (n >= 3 && (unsigned char)s[n - 3] == 0xE3 && (unsigned char)s[n - 2] == 0x80 &&
                   (unsigned char)s[n - 1] == 0x80) {
            n -= 3;
        } else {
            break;
        }
    }
    *text = s;
    *len = n;
}

/* Decodes one code point at s (n bytes left); returns its length, or 0 when
 * the bytes there are not well-formed UTF-8. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t need;
    uint32_t v, min;
    if ((s[0] & 0xE0) == 0xC0) {
        need = 2, v = s[0] & 0x1F, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        need = 3, v = s[0] & 0x0F, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        need = 4, v = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return need;
}

bool rb_utf8_valid(const char *text, size_t len, size_t *bad_offset)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        /* ASCII, nearly all of an extract, eight bytes at a time. */
        uint64_t w;
        if (i + 8 <= len && (memcpy(&w, s + i, sizeof w), (w & 0x8080808080808080u) == 0)) {
            i += 8;
            continue;
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = utf8_decode(s + i, len - i, &cp);
        if (k == 0) {
            if (bad_offset)
                *bad_offset = i;
            return false;
        }
        i += k;
    }
    return true;
}

static bool is_unicode_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

bool rb_name_fold(const char *name, size_t len, rb_strbuf *out)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t k = utf8_decode(s + i, len - i, &cp);
        if (k == 0) { /* not UTF-8: keep the byte, compare exactly */
            if (!rb_strbuf_addch(out, (char)s[i]))
                return false;
            i++;
            continue;
        }
        if (is_unicode_space(cp)) {
            /* removed */
        } else if (cp >= 0xFF01 && cp <= 0xFF5E) {
            if (!rb_strbuf_addch(out, (char)(cp - 0xFEE0)))
                return false;
        } else if (!rb_strbuf_add(out, s + i, k)) {
            return false;
        }
        i += k;
    }
    return true;
}

/* The bytes of a name as rb_name_fold would write them, one at a time,
 * without writing them anywhere: comparing names then needs no memory. */
typedef struct folded_reader {
    const unsigned char *s;
    size_t len, at;
    unsigned char piece[4];
    size_t piece_len, piece_at;
} folded_reader;

/* The next byte of the folded name, or -1 at its end. */
static int folded_next(folded_reader *r)
{
    while (r->piece_at == r->piece_len) {
        if (r->at >= r->len)
            return -1;
        uint32_t cp;
        size_t k = utf8_decode(r->s + r->at, r->len - r->at, &cp);
        r->piece_at = 0;
        if (k == 0) { /* not UTF-8: the byte as it is */
            r->piece[0] = r->s[r->at++];
            r->piece_len = 1;
        } else if (is_unicode_space(cp)) {
            r->piece_len = 0;
            r->at += k;
        } else if (cp >= 0xFF01 && cp <= 0xFF5E) {
            r->piece[0] = (unsigned char)(cp - 0xFEE0);
            r->piece_len = 1;
            r->at += k;
        } else {
            memcpy(r->piece, r->s + r->at, k);
            r->piece_len = k;
            r->at += k;
        }
    }
    return r->piece[r->piece_at++];
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool folded_equal(const char *a, const char *b, bool ignore_ascii_case)
{
    /* The same bytes fold the same: the usual case (a firm's names as the
     * three extracts give them) needs no folding. */
    if (strcmp(a, b) == 0)
        return true;
    folded_reader ra = {.s = (const unsigned char *)a, .len = strlen(a)};
    folded_reader rb = {.s = (const unsigned char *)b, .len = strlen(b)};
    for (;;) {
        int ca = folded_next(&ra), cb = folded_next(&rb);
        if (ignore_ascii_case)
            ca = ascii_lower(ca), cb = ascii_lower(cb);
        if (ca != cb)
            return false;
        if (ca < 0)
            return true;
    }
}

bool rb_names_equal(const char *a, const char *b)
{
    return folded_equal(a, b, false);
}

bool rb_names_equal_ignoring_case(const char *a, const char *b)
{
    return folded_equal(a, b, true);
}

const char *rb_text_typed_problem(const char *text, size_t max, char why[64])
{
    const char *start = text ? text : "";
    size_t len = strlen(start);
    rb_text_trim(&start, &len);
    if (len == 0)
        return "is empty";
    if (!rb_utf8_valid(text, strlen(text), NULL))
        return "is not valid UTF-8";
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7F)
            return "contains a control character (a line break or tab)";
    if (strlen(text) > max) {
        snprintf(why, 64, "is longer than %zu bytes", max);
        return why;
    }
    return NULL;
}
