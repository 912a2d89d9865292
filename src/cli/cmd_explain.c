/* `rebate explain --db DB --year Y --uscc CODE`: prints one firm's decision,
 * measure by measure, for the clerk answering the firm's call (docs/operations.md). The
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
    "parameters; 65 the database needs rebate migrate; 66 no such database,\n"
    "or the code is not an insured unit of the snapshot; 77 no read access.\n";

/* The --uscc codes, in the order given: each is explained, none dropped. */
typedef struct uscc_list {
    const char **codes;
    size_t n;
} uscc_list;

static int take_uscc(void *value, const char *arg)
{
    uscc_list *l = value;
    const char **codes = realloc(l->codes, (l->n + 1) * sizeof *codes);
    if (codes == NULL) {
        fprintf(stderr, "rebate: out of memory\n");
        return 70;
    }
    codes[l->n++] = arg;
    l->codes = codes;
    return 0;
}

int cmd_explain(int argc, char **argv)
{
    const char *year_text = NULL;
    uscc_list list = {NULL, 0};
    const rb_option options[] = {
        {"year", "Y", RB_OPT_STRING, &year_text, false,
         "the policy year (the year the rebate is paid in;\ndefault with --config: its policy_year)", NULL},
        {"uscc", "CODE", RB_OPT_CALL, &list, true,
         "the firm's unified social credit code (18 characters;\nspaces and full-width forms are ignored); repeatable:\n"
         "each firm is explained in turn",
         take_uscc},
        RB_OPT_END,
    };
    const rb_command_line line = {.name = "explain", .synopsis = "--db DB --year Y --uscc CODE [--uscc CODE]...",
                                  .description = explain_description, .footer = explain_footer, .options = options,
                                  .db_help = "the rebate database (must exist)"};
    rb_session s;
    int32_t year = 0;
    int status = rb_session_start(&s, &line, argc, argv);
    if (status >= 0) {
        free(list.codes);
        return status;
    }
    if (list.n == 0)
        status = rb_usage_error("explain", "--uscc CODE is required");
    else
        status = rb_session_year(&s, &line, year_text, &year);
    if (status != 0) {
        rb_session_end(&s, RB_OK, NULL);
        free(list.codes);
        return status;
    }
    rb_params params;
    rb_status st = RB_OK;
    /* Every code is checked before anything is printed. */
    char(*usccs)[RB_USCC_LEN + 1] = calloc(list.n, sizeof *usccs);
    if (usccs == NULL)
        st = rb_fail(&s.err, RB_E_INTERNAL, "out of memory");
    for (size_t i = 0; st == RB_OK && i < list.n; i++)
        st = rb_uscc_parse(list.codes[i], usccs[i], &s.err);
    if (st == RB_OK && (st = rb_session_open(&s, RB_DB_READONLY, false, NULL, NULL)) == RB_OK &&
        (st = rb_params_load(s.db, year, &params, &s.err)) == RB_OK)
        for (size_t i = 0; st == RB_OK && i < list.n; i++) {
            if (list.n > 1)
                printf("%s==== %s（%zu/%zu）====\n", i ? "\n" : "", usccs[i], i + 1, list.n);
            st = rb_explain(s.db, &params, usccs[i], stdout, &s.err);
        }
    free(usccs);
    free(list.codes);
    return rb_session_end(&s, st, NULL);
}
