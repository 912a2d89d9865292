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
    const char *year_text = NULL, *uscc_text = NULL;
    const rb_option options[] = {
        {"year", "Y", RB_OPT_STRING, &year_text, false,
         "the policy year (the year the rebate is paid in;\ndefault with --config: its policy_year)", NULL},
        {"uscc", "CODE", RB_OPT_STRING, &uscc_text, true, "the firm's unified social credit code (18 characters)",
         NULL},
        RB_OPT_END,
    };
    const rb_command_line line = {.name = "explain", .synopsis = "--db DB --year Y --uscc CODE",
                                  .description = explain_description, .footer = explain_footer, .options = options,
                                  .db_help = "the rebate database (must exist)"};
    rb_session s;
    int32_t year = 0;
    int status = rb_session_start(&s, &line, argc, argv);
    if (status >= 0)
        return status;
    if ((status = rb_session_year(&s, &line, year_text, &year)) != 0) {
        rb_session_end(&s, RB_OK, NULL);
        return status;
    }
    char uscc[RB_USCC_LEN + 1];
    rb_params params;
    rb_status st = rb_uscc_parse(uscc_text, uscc, &s.err);
    if (st == RB_OK && (st = rb_session_open(&s, RB_DB_EXISTING, false, NULL, NULL)) == RB_OK &&
        (st = rb_params_load(s.db, year, &params, &s.err)) == RB_OK)
        st = rb_explain(s.db, &params, uscc, stdout, &s.err);
    return rb_session_end(&s, st, NULL);
}
