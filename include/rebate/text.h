/* UTF-8 text helpers: trimming as docs/formats.md defines it, validation, and
 * the name folding of docs/rules.md. */
#ifndef REBATE_TEXT_H
#define REBATE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "rebate/error.h"
#include "rebate/strbuf.h"

/* Narrows [*text, *text + *len) past leading and trailing ASCII spaces, tabs
 * and U+3000 IDEOGRAPHIC SPACE (the trimming of every extract field). */
void rb_text_trim(const char **text, size_t *len);

/* True when the len bytes at text are well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF). With bad_offset non-NULL, the offset
 * of the first bad byte is stored there on false. */
bool rb_utf8_valid(const char *text, size_t len, size_t *bad_offset);

/* Appends to out the name folded for comparison: full-width ASCII forms
 * (U+FF01-U+FF5E) become ASCII, Unicode white space is removed. Input must
 * be valid UTF-8. Returns false when memory ran out. */
bool rb_name_fold(const char *name, size_t len, rb_strbuf *out);

/* A name or reason a person typed (it is written into files and the
 * ledger): given, valid UTF-8, one line without control characters, at most
 * max bytes. Returns NULL when it is, else what is wrong as the end of a
 * sentence whose subject the caller names ("is empty", "is longer than 128
 * bytes"), in why (64 bytes). */
const char *rb_text_typed_problem(const char *text, size_t max, char why[64]);

/* True when two names are equal after rb_name_fold; the second also
 * ignores ASCII case. Both compare as they fold, without allocating, so
 * they cannot fail (a failure here once turned into a false "differ"). */
bool rb_names_equal(const char *a, const char *b);
bool rb_names_equal_ignoring_case(const char *a, const char *b);

/* Checks and trims a name or a note typed on the command line: non-empty
 * after trimming spaces, tabs and U+3000, valid UTF-8, no control
 * character, at most max bytes. what names the value in the message ("the
 * name", "the note"); the trimmed text is written to out (max + 1 bytes). */
rb_status rb_text_typed(const char *what, const char *text, size_t max, char *out, rb_error *err);

#endif
