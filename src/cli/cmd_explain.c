/* `rebate explain --db DB --year Y --uscc CODE`: prints one firm's decision,
 * measure by measure, for the clerk answering the firm's call (cli.md). The
 * work is rb_explain's; this file parses the options and maps the status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "rebate/db.h"
#include "rebate/rules.h"
#include "rebate/uscc.h"

static const char explain_description[] =
    "Explains the decision of one firm for policy year Y, as a run would make it\n"
    "from the current snapshot and ledger: the rows each measure came from, every\n"
    "measure, every rule with its verdict and the parameter it was compared\n"
    "against, then the outcome and the amount. Output is Chinese, for clerks,\n"
    "with the reason codes beside. Nothing is written to the database.\n"
    "\n";

static const char explain_footer[] =
    "Exit status: 0 done; 64 bad option, invalid code or a year without\n"
    "parameters; 66 no such database, or the code is not an insured unit of\n"
    "the snapshot.\n";

int cmd_explain(int argc, char **argv)
{
    const char *db_path = NULL, *config_path = NULL, *year_text = NULL, *uscc_text = NULL;
    const rb_option options[] = {
        RB_OPTS_DATABASE(&db_path, &config_path, "the rebate database (must exist)"),
        {"year", "Y", RB_OPT_STRING, &year_text, false,
         "the policy year (the year the rebate is paid in;\ndefault with --config: its policy_year)", NULL},
        {"uscc", "CODE", RB_OPT_STRING, &uscc_text, true, "the firm's unified social credit code (18 characters)",
         NULL},
        {NULL, NULL, 0, NULL, false, NULL, NULL},
    };
    const rb_command_line line = {
        .name = "explain",
        .synopsis = "--db DB --year Y --uscc CODE",
        .description = explain_description,
        .options = options,
        .footer = explain_footer,
        .db_path = &db_path,
        .config_path = &config_path,
    };
    rb_config config = {0};
    int32_t year = 0;
    int first, status = rb_opts_parse(&line, argc, argv, &first);
    if (status >= 0 || (status = rb_opts_database(&line, &config)) != 0 ||
        (status = rb_opts_year(&line, year_text, &config, &year)) != 0)
        goto done;
    rb_error err = {0};
    char uscc[RB_USCC_LEN + 1];
    rb_status st = rb_uscc_parse(uscc_text, uscc, &err);
    sqlite3 *db = NULL;
    rb_params params;
    if (st == RB_OK && (st = rb_opts_open(db_path, RB_DB_EXISTING, NULL, &db, &err)) == RB_OK &&
        (st = rb_params_load(db, year, &params, &err)) == RB_OK)
        st = rb_explain(db, &params, uscc, stdout, &err);
    rb_opts_close(NULL, db);
    status = rb_exit(st, &err);
done:
    rb_config_free(&config);
    return status < 0 ? 0 : status;
}
