/* Exit statuses and error printing: the only place a status becomes an
 * exit code, so that every command reports failures the same way. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

int rb_exit(rb_status st, const rb_error *err)
{
    if (st == RB_OK)
        return 0;
    if (err != NULL && err->message[0] != '\0')
        fprintf(stderr, "rebate: %s\n", err->message);
    else
        fprintf(stderr, "rebate: failed with status %d\n", (int)st);
    switch (st) {
    case RB_E_USAGE:
    case RB_E_DATA:
    case RB_E_NOINPUT:
    case RB_E_INTERNAL:
    case RB_E_CANTWRITE:
    case RB_E_LOCKED:
    case RB_E_NOPERM:
    case RB_E_CONFIG:
        return (int)st;
    default:
        return RB_E_INTERNAL;
    }
}

int rb_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "rebate %s: ", command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "; see 'rebate %s --help'\n", command);
    return RB_E_USAGE;
}

int rb_finish_stdout(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "rebate: cannot write to standard output: %s\n", strerror(errno));
        return status ? status : RB_E_CANTWRITE;
    }
    return status;
}

const char *rb_login_name(void)
{
    const char *name = getenv("LOGNAME");
    if (name && *name)
        return name;
    name = getenv("USER");
    if (name && *name)
        return name;
    struct passwd *pw = getpwuid(getuid());
    return pw && pw->pw_name ? pw->pw_name : "unknown";
}
