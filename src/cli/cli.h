/* The sub-commands of `rebate`: each `cmd_<name>` parses its own options and
 * returns the exit status (docs/formats.md), which main() returns unchanged. */
#ifndef REBATE_CLI_H
#define REBATE_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "rebate/error.h"
#include "rebate/life.h"

/* The steps of output/ and import/ that the batch's life runs (wiring.c). */
extern const rb_life_steps rb_cli_life_steps;

/* Prints what the library tells (rb_notify) on standard error, after
 * "rebate: ". */
void rb_cli_notify(void *ctx, const char *message);

/* A name or reason typed for option (e.g. "--by"): RB_E_USAGE naming the
 * option when it is empty, not UTF-8, not one line or longer than max. */
rb_status rb_cli_check_typed(const char *option, const char *text, size_t max, rb_error *err);

int cmd_import(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_nightly(int argc, char **argv);
int cmd_words(int argc, char **argv);
int cmd_approve(int argc, char **argv);
int cmd_void(int argc, char **argv);
int cmd_reconcile(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_params(int argc, char **argv);
int cmd_review(int argc, char **argv);

/* The one place where a status becomes an exit status: prints err's
 * sentence (prefixed "rebate: ") on standard error when it failed, and
 * returns the exit status for st. */
int rb_exit(rb_status st, const rb_error *err);

/* Prints "rebate <command>: <message>" for a usage error plus a hint to use
 * --help, and returns 64. */
int rb_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Flushes and checks stdout (a full disk or closed pipe is noticed, as git
 * does after every command); returns st, or 73 when stdout failed. */
int rb_finish_stdout(int status);

/* Parses a --year value (four digits); 0 on success, -1 otherwise. */
int rb_parse_year(const char *text, int32_t *year);

/* path made absolute (against the working folder), so that what the ledger
 * records (a batch's folder) means the same from anywhere: a heap string
 * (free() it), or NULL when the working folder is unknown or memory ran out. */
char *rb_absolute_path(const char *path);

/* The login name of whoever runs the program (for --by defaults). */
const char *rb_login_name(void);

#endif
