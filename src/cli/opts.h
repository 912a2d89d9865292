/* The command line of every `rebate` command, after git's parse-options: a
 * command describes its options once, in a table, and the same table
 * parses argv (getopt_long underneath), checks the required ones and prints
 * --help. Also the steps every command that touches the database takes in
 * the same order: the lock, then the database; the run log started and
 * finished; and --config FILE read in place of --db DB. */
#ifndef REBATE_CLI_OPTS_H
#define REBATE_CLI_OPTS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rebate/config.h"
#include "rebate/db.h"
#include "rebate/error.h"
#include "rebate/lock.h"

typedef enum rb_opt_kind {
    RB_OPT_STRING, /* --name VALUE: value is a const char ** (the last one given wins) */
    RB_OPT_FLAG,   /* --name: value is a bool * */
    RB_OPT_CALL    /* --name VALUE, repeatable: call(value, arg) for each */
} rb_opt_kind;

typedef struct rb_option {
    const char *name;  /* the long name without "--"; NULL ends a table */
    const char *arg;   /* the value's name in --help ("DB"); NULL for a flag */
    rb_opt_kind kind;
    void *value;
    bool required;     /* the command refuses to run without it */
    const char *help;  /* what it is, for --help; '\n' starts another line */
    /* RB_OPT_CALL: takes one value; returns 0, or the exit status after
     * printing why the value is refused. */
    int (*call)(void *value, const char *arg);
} rb_option;

/* The end of a table. */
#define RB_OPT_END {NULL, NULL, 0, NULL, false, NULL, NULL}

/* A command's line: its table and the texts around it in --help. */
typedef struct rb_command_line {
    const char *name;        /* "approve" */
    const char *synopsis;    /* after "usage: rebate <name> " */
    const char *description; /* paragraphs between the usage line and the options */
    const rb_option *options;
    const char *operand;     /* the operands' name ("FILE", "DIR"), NULL for none */
    int min_operands, max_operands;
    const char *missing_operand; /* the sentence when fewer are given */
    const char *extra_operand;   /* printf format for one too many (default "unexpected argument '%s'") */
    const char *footer;      /* after the options: exit statuses, formats */
    /* A command on the database: what --db DB must be (its --help line);
     * the table then takes --db DB and --config FILE, one of them required.
     * NULL for a command without a database. */
    const char *db_help;
    bool config_only;        /* --config FILE only, required (nightly) */
} rb_command_line;

/* Parses argv[1..] against the table. Returns -1 when the command should go
 * on (its operands are argv[*first_operand..argc-1]); otherwise the exit
 * status to return at once: 0 after --help, 64 after a usage error
 * (printed), or what a RB_OPT_CALL returned. With db_path (for a line with
 * db_help) --db and --config land in db_path[0] and db_path[1]. */
int rb_opts_parse(const rb_command_line *line, int argc, char **argv, const char *db_path[2], int *first_operand);

/* Prints --help for the command: usage line, description, the options of
 * the table with -h, --help, footer. */
void rb_opts_help(const rb_command_line *line, FILE *out);

/* One command's time on the database, from its command line to its exit
 * status: --db or --config read (the config loaded; what the command line
 * gives wins), the lock taken, then the database opened, the run logged
 * and, at the end, all of it closed in reverse. */
typedef struct rb_session {
    const char *db_path;     /* --db, or the config's database */
    const char *config_path; /* --config, or NULL */
    rb_config config;        /* loaded from config_path (zeroed without one) */
    int first_operand;       /* argv index of the first operand */
    rb_lock *lock;
    sqlite3 *db;
    sqlite3 *logged;         /* the connection of the run log, or NULL */
    int64_t run_id;          /* the runs row (0: none) */
    rb_error err;            /* the command's first error */
} rb_session;

/* Parses the command line into s and loads --config. Returns -1 when the
 * command should go on, else the exit status to return at once (s then
 * holds nothing). */
int rb_session_start(rb_session *s, const rb_command_line *line, int argc, char **argv);

/* The policy year: --year Y when given (text), else the config's
 * policy_year, else a usage error. Returns 0, or the exit status after
 * printing why. */
int rb_session_year(const rb_session *s, const rb_command_line *line, const char *text, int32_t *year);

/* Opens the database: the lock first (when lock), then the database (a
 * database that must exist and does not is refused before a lock file
 * appears beside it); with log_as, a runs row for the command by `by`.
 * Failures are in s->err. */
rb_status rb_session_open(rb_session *s, rb_db_mode mode, bool lock, const char *log_as, const char *by);

/* Ends the command: st becomes the exit status (printing s->err when it
 * failed), the run log is finished with detail (or the error), the
 * database closed, the lock released, the config freed. Returns the exit
 * status. */
int rb_session_end(rb_session *s, rb_status st, const char *detail);

#endif
