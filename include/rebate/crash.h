/* Crash points for the kill tests: named instants of a protocol (the run's
 * publication, an approval, a void, the nightly's archive) where a test can
 * make the process die as a power cut would. */
#ifndef REBATE_CRASH_H
#define REBATE_CRASH_H

/* When the environment variable REBATE_CRASH_AT names `step`, the process
 * kills itself with SIGKILL right there. */
void rb_crash_point(const char *step);

#endif
