/* The option tables of the commands (opts.h): parsing over getopt_long,
 * --help from the same table, lock-then-open, the run log. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "rebate/ledger.h"

/* Options past this many in one table are a programming error. */
#define MAX_OPTIONS 16
#define HELP_INDEX MAX_OPTIONS

static size_t count_options(const rb_option *options)
{
    size_t n = 0;
    while (options != NULL && options[n].name != NULL)
        n++;
    return n;
}

/* "--name ARG" as --help shows it, into buf. */
static int option_label(const rb_option *o, char *buf, size_t size)
{
    return o->arg != NULL ? snprintf(buf, size, "--%s %s", o->name, o->arg) : snprintf(buf, size, "--%s", o->name);
}

void rb_opts_help(const rb_command_line *line, FILE *out)
{
    size_t n = count_options(line->options);
    int width = (int)strlen("-h, --help");
    char label[128];
    for (size_t i = 0; i < n; i++) {
        int len = option_label(&line->options[i], label, sizeof label);
        if (len > width)
            width = len;
    }
    width += 3;
    fprintf(out, "usage: rebate %s %s\n", line->name, line->synopsis);
    /* One blank line between the parts, however the description ends. */
    const char *desc = line->description != NULL ? line->description : "";
    size_t len = strlen(desc);
    while (len > 0 && desc[len - 1] == '\n')
        len--;
    if (len > 0)
        fprintf(out, "\n%.*s\n", (int)len, desc);
    fprintf(out, "\n");
    for (size_t i = 0; i < n; i++) {
        option_label(&line->options[i], label, sizeof label);
        fprintf(out, "  %-*s", width, label);
        for (const char *h = line->options[i].help; *h != '\0'; h++) {
            fputc(*h, out);
            if (*h == '\n')
                fprintf(out, "  %-*s", width, "");
        }
        fputc('\n', out);
    }
    fprintf(out, "  %-*sshow this help\n", width, "-h, --help");
    if (line->footer != NULL)
        fprintf(out, "\n%s", line->footer);
}

static int take(const rb_option *o, const char *arg)
{
    switch (o->kind) {
    case RB_OPT_STRING: *(const char **)o->value = arg; return 0;
    case RB_OPT_FLAG: *(bool *)o->value = true; return 0;
    case RB_OPT_CALL: return o->call(o->value, arg);
    }
    return RB_E_INTERNAL;
}

/* Whether the option was given (a RB_OPT_CALL counts as given). */
static bool given(const rb_option *o)
{
    return o->kind == RB_OPT_STRING ? *(const char **)o->value != NULL : true;
}

int rb_opts_parse(const rb_command_line *line, int argc, char **argv, int *first_operand)
{
    size_t n = count_options(line->options);
    struct option long_options[MAX_OPTIONS + 2];
    if (n > MAX_OPTIONS) {
        fprintf(stderr, "rebate %s: too many options in the table\n", line->name);
        return RB_E_INTERNAL;
    }
    for (size_t i = 0; i < n; i++) {
        const rb_option *o = &line->options[i];
        long_options[i] = (struct option){o->name, o->arg != NULL ? required_argument : no_argument, NULL, (int)i};
    }
    long_options[n] = (struct option){"help", no_argument, NULL, HELP_INDEX};
    long_options[n + 1] = (struct option){NULL, 0, NULL, 0};
    optind = 0; /* GNU getopt: start afresh for each command */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        if (c == HELP_INDEX || c == 'h') {
            rb_opts_help(line, stdout);
            return 0;
        }
        if (c == ':')
            return rb_usage_error(line->name, "option '%s' needs a value", argv[optind - 1]);
        if (c < 0 || (size_t)c >= n)
            return rb_usage_error(line->name, "unknown option '%s'", argv[optind - 1]);
        int status = take(&line->options[c], optarg);
        if (status != 0)
            return status;
    }
    int operands = argc - optind;
    if (operands > line->max_operands)
        return rb_usage_error(line->name, line->extra_operand ? line->extra_operand : "unexpected argument '%s'",
                              argv[optind + line->max_operands]);
    for (size_t i = 0; i < n; i++) {
        const rb_option *o = &line->options[i];
        if (o->required && !given(o)) {
            char label[128];
            option_label(o, label, sizeof label);
            return rb_usage_error(line->name, "%s is required", label);
        }
    }
    if (line->db_path != NULL && *line->db_path == NULL && *line->config_path == NULL)
        return rb_usage_error(line->name, "--db DB is required (or --config FILE)");
    if (operands < line->min_operands)
        return rb_usage_error(line->name, "%s", line->missing_operand ? line->missing_operand : "an argument is missing");
    *first_operand = optind;
    return -1;
}

int rb_opts_database(const rb_command_line *line, rb_config *config)
{
    memset(config, 0, sizeof *config);
    if (*line->config_path != NULL) {
        rb_error err = {0};
        rb_status st = rb_config_load(*line->config_path, config, &err);
        if (st != RB_OK)
            return rb_exit(st, &err);
        if (*line->db_path == NULL)
            *line->db_path = config->database;
    }
    if ((*line->db_path)[0] == '\0')
        return rb_usage_error(line->name, "--db DB is required (or --config FILE)");
    return 0;
}

int rb_opts_year(const rb_command_line *line, const char *text, const rb_config *config, int32_t *year)
{
    if (text == NULL) {
        if (config->database == NULL)
            return rb_usage_error(line->name, "--year Y is required (or --config FILE with policy_year)");
        *year = config->policy_year;
        return 0;
    }
    if (rb_parse_year(text, year) != 0)
        return rb_usage_error(line->name, "--year '%s' is not a year such as 2022", text);
    return 0;
}

rb_status rb_opts_open(const char *db_path, rb_db_mode mode, rb_lock **lock, sqlite3 **db, rb_error *err)
{
    *db = NULL;
    struct stat sb;
    /* A database that must exist and does not: refused as the open refuses
     * it, before a lock file appears beside a database that is not there. */
    if (mode == RB_DB_EXISTING && stat(db_path, &sb) != 0)
        return rb_db_open(db_path, mode, db, err);
    rb_status st = RB_OK;
    if (lock != NULL && (st = rb_lock_database(db_path, lock, err)) != RB_OK)
        return st;
    if ((st = rb_db_open(db_path, mode, db, err)) != RB_OK && lock != NULL) {
        rb_lock_release(*lock);
        *lock = NULL;
    }
    return st;
}

void rb_opts_close(rb_lock *lock, sqlite3 *db)
{
    rb_db_close(db);
    rb_lock_release(lock);
}

void rb_run_log_start(rb_run_log *log, sqlite3 *db, const char *command, const char *by)
{
    log->db = db;
    log->run_id = 0;
    /* Best effort: a run that cannot be logged still runs (and fails on the
     * database soon enough if it is unwritable). */
    rb_runs_start(db, command, by, &log->run_id, NULL);
}

int rb_run_log_finish(rb_run_log *log, rb_status st, const rb_error *err, const char *detail)
{
    int status = rb_exit(st, err);
    rb_runs_finish(log->db, log->run_id, status, st == RB_OK ? detail : err->message);
    return status;
}
