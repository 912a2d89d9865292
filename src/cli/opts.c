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

/* --db DB and --config FILE of a command on the database. */
enum { DB_INDEX = MAX_OPTIONS + 1, CONFIG_INDEX };

static const char config_help[] = "read the database (and the defaults named below)\nfrom the nightly config FILE; "
                                  "options given win";

/* One option of --help: its label, and its help with every line after the
 * first indented to the column. */
static void print_option(FILE *out, int width, const char *label, const char *help)
{
    fprintf(out, "  %-*s", width, label);
    for (const char *h = help; *h != '\0'; h++) {
        fputc(*h, out);
        if (*h == '\n')
            fprintf(out, "  %-*s", width, "");
    }
    fputc('\n', out);
}

void rb_opts_help(const rb_command_line *line, FILE *out)
{
    size_t n = count_options(line->options);
    int width = (int)strlen(line->db_help != NULL || line->config_only ? "--config FILE" : "-h, --help");
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
    if (line->db_help != NULL)
        print_option(out, width, "--db DB", line->db_help);
    if (line->db_help != NULL || line->config_only)
        print_option(out, width, "--config FILE", line->config_only ? "the nightly config (docs/operations.md)" : config_help);
    for (size_t i = 0; i < n; i++) {
        option_label(&line->options[i], label, sizeof label);
        print_option(out, width, label, line->options[i].help);
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

int rb_opts_parse(const rb_command_line *line, int argc, char **argv, const char *db_path[2], int *first_operand)
{
    size_t n = count_options(line->options);
    struct option long_options[MAX_OPTIONS + 4];
    if (n > MAX_OPTIONS) {
        fprintf(stderr, "rebate %s: too many options in the table\n", line->name);
        return RB_E_INTERNAL;
    }
    for (size_t i = 0; i < n; i++) {
        const rb_option *o = &line->options[i];
        long_options[i] = (struct option){o->name, o->arg != NULL ? required_argument : no_argument, NULL, (int)i};
    }
    size_t k = n;
    long_options[k++] = (struct option){"help", no_argument, NULL, HELP_INDEX};
    if (line->db_help != NULL)
        long_options[k++] = (struct option){"db", required_argument, NULL, DB_INDEX};
    if (line->db_help != NULL || line->config_only)
        long_options[k++] = (struct option){"config", required_argument, NULL, CONFIG_INDEX};
    long_options[k] = (struct option){NULL, 0, NULL, 0};
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
        if (c == DB_INDEX || c == CONFIG_INDEX) {
            db_path[c - DB_INDEX] = optarg;
            continue;
        }
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
    if (line->db_help != NULL && db_path[0] == NULL && db_path[1] == NULL)
        return rb_usage_error(line->name, "--db DB is required (or --config FILE)");
    if (line->config_only && db_path[1] == NULL)
        return rb_usage_error(line->name, "--config FILE is required");
    if (operands < line->min_operands)
        return rb_usage_error(line->name, "%s", line->missing_operand ? line->missing_operand : "an argument is missing");
    *first_operand = optind;
    return -1;
}

int rb_session_start(rb_session *s, const rb_command_line *line, int argc, char **argv)
{
    memset(s, 0, sizeof *s);
    const char *db_path[2] = {NULL, NULL};
    int status = rb_opts_parse(line, argc, argv, db_path, &s->first_operand);
    if (status >= 0)
        return status;
    s->db_path = db_path[0];
    s->config_path = db_path[1];
    if (s->config_path != NULL) {
        rb_status st = rb_config_load(s->config_path, &s->config, &s->err);
        if (st != RB_OK)
            return rb_exit(st, &s->err);
        if (s->db_path == NULL)
            s->db_path = s->config.database;
    }
    if (line->db_help != NULL && s->db_path[0] == '\0') {
        rb_config_free(&s->config);
        return rb_usage_error(line->name, "--db DB is required (or --config FILE)");
    }
    return -1;
}

int rb_session_year(const rb_session *s, const rb_command_line *line, const char *text, int32_t *year)
{
    if (text == NULL) {
        if (s->config_path == NULL)
            return rb_usage_error(line->name, "--year Y is required (or --config FILE with policy_year)");
        *year = s->config.policy_year;
        return 0;
    }
    if (rb_parse_year(text, year) != 0)
        return rb_usage_error(line->name, "--year '%s' is not a year such as 2022", text);
    return 0;
}

rb_status rb_session_open(rb_session *s, rb_db_mode mode, bool lock, const char *log_as, const char *by)
{
    struct stat sb;
    /* A database that must exist and does not: refused as the open refuses
     * it, before a lock file appears beside a database that is not there. */
    if (mode == RB_DB_EXISTING && stat(s->db_path, &sb) != 0)
        return rb_db_open(s->db_path, mode, &s->db, &s->err);
    rb_status st = RB_OK;
    if ((lock && (st = rb_lock_database(s->db_path, &s->lock, &s->err)) != RB_OK) ||
        (st = rb_db_open(s->db_path, mode, &s->db, &s->err)) != RB_OK)
        return st;
    if (log_as != NULL) {
        /* Best effort: a run that cannot be logged still runs (and fails on
         * the database soon enough when it is unwritable). */
        s->logged = s->db;
        rb_runs_start(s->db, log_as, by, &s->run_id, NULL);
    }
    return RB_OK;
}

int rb_session_end(rb_session *s, rb_status st, const char *detail)
{
    int status = rb_exit(st, &s->err);
    rb_runs_finish(s->logged, s->run_id, status, st == RB_OK ? detail : s->err.message);
    rb_db_close(s->db);
    rb_lock_release(s->lock);
    rb_config_free(&s->config);
    memset(s, 0, sizeof *s);
    return status;
}
