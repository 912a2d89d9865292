/* `rebate explain --db DB --year Y --uscc CODE`: prints one firm's decision,
 * measure by measure, for the clerk answering the firm's call (cli.md). The
 * work is rb_explain's; this file parses the options and maps the status. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rebate/db.h"
#include "rebate/rules.h"

static const char explain_usage[] =
    "usage: rebate explain --db DB --year Y --uscc CODE\n"
    "\n"
    "Explains the decision of one firm for policy year Y, as a run would make it\n"
    "from the current snapshot and ledger: the rows each measure came from, every\n"
    "measure, every rule with its verdict and the parameter it was compared\n"
    "against, then the outcome and the amount. Output is Chinese, for clerks,\n"
    "with the reason codes beside. Nothing is written to the database.\n"
    "\n"
    "  --db DB       the rebate database (must exist)\n"
    "  --year Y      the policy year (the year the rebate is paid in)\n"
    "  --uscc CODE   the firm's unified social credit code (18 characters)\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit status: 0 done; 64 bad option, invalid code or a year without\n"
    "parameters; 66 no such database, or the code is not an insured unit of\n"
    "the snapshot.\n";

/* A policy year: four digits, nothing else. */
static bool parse_year(const char *text, int32_t *out)
{
    if (strlen(text) != 4)
        return false;
    for (int i = 0; i < 4; i++)
        if (text[i] < '0' || text[i] > '9')
            return false;
    *out = (int32_t)atoi(text);
    return *out >= 1000;
}

int cmd_explain(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"year", required_argument, NULL, 'y'},
        {"uscc", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_path = NULL, *year_text = NULL, *uscc_text = NULL;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        switch (opt) {
        case 'd':
            db_path = optarg;
            break;
        case 'y':
            year_text = optarg;
            break;
        case 'u':
            uscc_text = optarg;
            break;
        case 'h':
            fputs(explain_usage, stdout);
            return 0;
        default:
            return rb_usage_error("explain", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return rb_usage_error("explain", "unexpected argument '%s'", argv[optind]);
    if (db_path == NULL || year_text == NULL || uscc_text == NULL)
        return rb_usage_error("explain", "--db, --year and --uscc are all required");

    rb_error err = {0};
    int32_t year = 0;
    char uscc[RB_USCC_LEN + 1];
    if (!parse_year(year_text, &year))
        return rb_usage_error("explain", "--year '%s' is not a four-digit year", year_text);
    rb_status st = rb_uscc_parse(uscc_text, uscc, &err);
    if (st != RB_OK)
        return rb_exit(st, &err);

    sqlite3 *db = NULL;
    rb_params params;
    if ((st = rb_db_open(db_path, RB_DB_EXISTING, &db, &err)) == RB_OK &&
        (st = rb_params_load(db, year, &params, &err)) == RB_OK)
        st = rb_explain(db, &params, uscc, stdout, &err);
    rb_db_close(db);
    return rb_exit(st, &err);
}
