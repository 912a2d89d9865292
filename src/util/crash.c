/* rb_crash_point: the kill tests' way to stop a process at a named step. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rebate/crash.h"

void rb_crash_point(const char *step)
{
    const char *at = getenv("REBATE_CRASH_AT");
    if (at != NULL && strcmp(at, step) == 0)
        kill(getpid(), SIGKILL);
}
