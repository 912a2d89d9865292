/* rb_fail and friends: the one way library code records what went wrong. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rebate/error.h"

rb_status rb_fail(rb_error *err, rb_status status, const char *fmt, ...)
{
    if (err != NULL && err->status == RB_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

void rb_error_clear(rb_error *err)
{
    if (err != NULL) {
        err->status = RB_OK;
        err->message[0] = '\0';
    }
}

void rb_notify_f(const rb_notify *notify, const char *fmt, ...)
{
    if (notify == NULL || notify->fn == NULL)
        return;
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    notify->fn(notify->ctx, message);
}
