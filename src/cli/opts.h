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

/* The --db DB and --config FILE pair of a table (db_help says what the
 * database must be), and where the config's settings go for the command. */
#define RB_OPTS_DATABASE(db, config, db_help)                                                               \
    {"db", "DB", RB_OPT_STRING, (db), false, (db_help), NULL},                                              \
    {"config", "FILE", RB_OPT_STRING, (config), false,                                                      \
     "read the database (and the defaults named below)\nfrom the nightly config FILE; options given win", NULL}

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
    /* For a command with --db DB and --config FILE in its table: where they
     * land, so that one of the two is required. NULL otherwise. */
    const char **db_path, **config_path;
} rb_command_line;

/* Parses argv[1..] against the table. Returns -1 when the command should go
 * on (its operands are argv[*first_operand..argc-1]); otherwise the exit
 * status to return at once: 0 after --help, 64 after a usage error
 * (printed), or what a RB_OPT_CALL returned. */
int rb_opts_parse(const rb_command_line *line, int argc, char **argv, int *first_operand);

/* Prints --help for the command: usage line, description, the options of
 * the table with -h, --help, footer. */
void rb_opts_help(const rb_command_line *line, FILE *out);

/* --config FILE in place of --db DB: when --config was given, loads the
 * file into *config (zeroed otherwise; free with rb_config_free) and fills
 * *db_path from its `database` unless --db was given too (the command line
 * wins). Returns 0, or the exit status after printing the config's error. */
int rb_opts_database(const rb_command_line *line, rb_config *config);

/* The policy year of a command: --year Y when given (text), else the
 * config's policy_year (config_loaded), else a usage error. Returns 0, or
 * the exit status after printing why. */
int rb_opts_year(const rb_command_line *line, const char *text, const rb_config *config, int32_t *year);

/* The database of a command, in the one order every command uses: the
 * lock first (when lock is not NULL), then the database. A database that
 * must exist and does not is refused before any lock file is made. On
 * failure nothing is held. */
rb_status rb_opts_open(const char *db_path, rb_db_mode mode, rb_lock **lock, sqlite3 **db, rb_error *err);

/* Closes what rb_opts_open opened (NULLs are fine). */
void rb_opts_close(rb_lock *lock, sqlite3 *db);

/* The run log of a command: a row when it starts ... */
typedef struct rb_run_log {
    sqlite3 *db;
    int64_t run_id; /* 0 when nothing is logged */
} rb_run_log;

void rb_run_log_start(rb_run_log *log, sqlite3 *db, const char *command, const char *by);

/* ... and its end: the exit status of st (printing err when it failed, as
 * rb_exit does) and detail, or err's message, kept in the row. Returns the
 * exit status. */
int rb_run_log_finish(rb_run_log *log, rb_status st, const rb_error *err, const char *detail);

#endif
