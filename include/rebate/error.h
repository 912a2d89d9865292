/* Error reporting for the core library: a status code that becomes the exit
 * status in one place (src/cli/exit.c) and one plain sentence saying what
 * went wrong, naming the file, line, field or setting at fault. */
#ifndef REBATE_ERROR_H
#define REBATE_ERROR_H

#include <stddef.h>

/* Status codes; their values are the exit statuses of docs/formats.md. */
typedef enum rb_status {
    RB_OK = 0,
    RB_E_USAGE = 64,    /* bad command line or argument value */
    RB_E_DATA = 65,     /* an input file is unusable; nothing was changed */
    RB_E_NOINPUT = 66,  /* an input file, the database or a firm is missing */
    RB_E_INTERNAL = 70, /* a bug or an unexpected library failure */
    RB_E_CANTWRITE = 73,/* an output could not be written; nothing published */
    RB_E_LOCKED = 75,   /* another run holds the lock */
    RB_E_NOPERM = 77,   /* permission denied: the file and the access missing are named */
    RB_E_CONFIG = 78    /* the nightly config file is wrong */
} rb_status;

/* The first error of an operation. Library functions take an `rb_error *`
 * (may be NULL) and return an rb_status; they never exit. */
typedef struct rb_error {
    rb_status status;  /* RB_OK while nothing failed */
    char message[1024];/* one sentence, no trailing newline */
} rb_error;

/* Records status and message in err (if err is non-NULL and holds no error
 * yet: the first error is the one worth telling) and returns status. */
rb_status rb_fail(rb_error *err, rb_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Where library code sends what is worth telling but is no failure (a
 * batch whose publication was finished, a folder left for a person): the
 * caller decides whether and how it is shown. fn may be NULL. */
typedef struct rb_notify {
    void (*fn)(void *ctx, const char *message);
    void *ctx;
} rb_notify;

/* Formats a message and hands it to notify (NULL, or one without fn: dropped). */
void rb_notify_f(const rb_notify *notify, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears err back to RB_OK. */
void rb_error_clear(rb_error *err);

#endif
