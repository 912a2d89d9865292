/* Crash points for the kill tests: named instants of a protocol (the run's
 * publication, an approval, a void, the nightly's archive) where a test can
 * make the process die as a power cut would, or stop it while it changes
 * what the process wrote (a file damaged between its writing and its
 * reading back). */
#ifndef REBATE_CRASH_H
#define REBATE_CRASH_H

/* When the environment variable REBATE_CRASH_AT names `step`, the process
 * kills itself with SIGKILL right there; when REBATE_PAUSE_AT does, it
 * stops itself with SIGSTOP and goes on when sent SIGCONT. */
void rb_crash_point(const char *step);

#endif
