/* Who runs a command (docs/batch-life.md, "Who may do what"): the --by name a
 * person gives, trimmed and never empty, and the login of the process,
 * recorded beside it for the audit. */
#ifndef REBATE_CLI_PEOPLE_H
#define REBATE_CLI_PEOPLE_H

#include <stddef.h>

/* The login of the process's effective user, from the password database
 * (not from the environment, which the caller controls); "uid N" when the
 * user has no entry. The string is static. */
const char *rb_process_login(void);

/* Checks --by for command: trimmed of spaces, tabs and U+3000 into out
 * (size bytes); an empty, blank, multi-line or over-long name is a usage
 * error. Returns 0, or the exit status (64) after printing the message. */
int rb_cli_by(const char *command, const char *text, char *out, size_t size);

#endif
