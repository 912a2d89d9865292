/* rb_crash_point: the tests' way to stop a process at a named step, for
 * good (a kill, as a power cut would) or for a while (a pause, to change
 * what the process wrote before it goes on). */
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
    const char *pause_at = getenv("REBATE_PAUSE_AT");
    if (pause_at != NULL && strcmp(pause_at, step) == 0)
        kill(getpid(), SIGSTOP); /* every thread stops; SIGCONT goes on */
}
