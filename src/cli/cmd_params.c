/* `rebate params (--db DB | --config FILE) list | show Y | add FILE
 * [--replace] --by NAME`: the policy parameters of each year, kept as data
 * so that a new year's notice is added by the bureau without a rebuild.
 * list and show only read; add writes one row with its event, under the
 * lock of the nightly job. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "rebate/db.h"
#include "rebate/lock.h"
#include "rebate/money.h"
#include "rebate/params_file.h"
#include "rebate/params_store.h"

static const char params_description[] =
    "The policy parameters, one row per policy year, with the notice each rests\n"
    "on:\n"
    "  list          every row and how many batches used it\n"
    "  show YEAR     one row, as a parameter file\n"
    "  add FILE      stores the row of FILE (an INI file with every key of\n"
    "                [policy_params]; data/params/example-2026.ini is a\n"
    "                complete one), checked whole before anything is stored,\n"
    "                and records it in the event log\n"
    "A year that has a row is refused unless --replace is given and no batch\n"
    "has used that row: a used row never changes. list and show only read;\n"
    "add runs as the account that owns the database.\n"
    "\n";

static const char params_footer[] =
    "Exit status: 0 done; 64 bad option, or the year has a row already (or a\n"
    "used one); 65 a mistake in FILE (file, line and key named); 66 no such\n"
    "database, year or file; 75 the nightly job runs; 77 no access; 78 a bad\n"
    "config file.\n";

static rb_status list_row(void *ctx, const rb_params_row *r, int64_t batches)
{
    (void)ctx;
    char review[RB_MONEY_BUFSZ];
    printf("%d  rates %" PRId64 "%%/%" PRId64 "%%  layoff %" PRId64 "/%" PRId64 " permille  %s %s %s  tax account %s"
           "  scope <=%" PRId64 "  review >%s yuan  used by %" PRId64 " batch(es)  %s\n",
           r->policy_year, r->rate_smm_pct, r->rate_large_pct, r->layoff_target_permille,
           r->small_unit_layoff_cap_permille, r->full_months_rule, r->layoff_method, r->headcount_basis,
           r->tax_account_allowed ? "yes" : "no", r->scope_max_headcount,
           rb_money_format(r->review_amount_fen, review), batches, r->legal_reference);
    return RB_OK;
}

static rb_status show_row(sqlite3 *db, const char *path, int32_t year, rb_error *err)
{
    rb_params_row row;
    int64_t batches = 0;
    bool found = false;
    rb_status st = rb_params_row_get(db, year, &row, &batches, &found, err);
    if (st == RB_OK && !found)
        st = rb_fail(err, RB_E_NOINPUT, "database '%s' has no parameter row for policy year %d", path, (int)year);
    if (st == RB_OK) {
        printf("; policy year %d, used by %" PRId64 " batch(es)%s\n", row.policy_year, batches,
               batches ? ": this row never changes" : "");
        rb_params_file_write(&row, stdout);
    }
    return st;
}

/* The file is checked whole before the database is touched; then the lock
 * of the nightly job, and the row with its event in one transaction. */
static rb_status add_row(rb_session *s, const char *file, bool replace, const char *by)
{
    rb_params_row row;
    bool replaced = false;
    rb_status st = rb_params_file_read(file, &row, &s->err);
    if (st == RB_OK && (st = rb_session_open(s, RB_DB_EXISTING, true, NULL, NULL)) == RB_OK &&
        (st = rb_params_row_add(s->db, &row, replace, file, by, rb_login_name(), &replaced, &s->err)) == RB_OK)
        printf("%s the parameters of policy year %d from %s\n", replaced ? "replaced" : "added", row.policy_year,
               file);
    return st;
}

int cmd_params(int argc, char **argv)
{
    const char *by = NULL;
    bool replace = false;
    const rb_option options[] = {
        {"replace", NULL, RB_OPT_FLAG, &replace, false, "add: replace the year's row (only if no batch used it)",
         NULL},
        {"by", "NAME", RB_OPT_STRING, &by, false, "add: who adds the row (kept in the event log)", NULL},
        RB_OPT_END,
    };
    const rb_command_line line = {
        .name = "params",
        .synopsis = "(--db DB | --config FILE) list | show YEAR | add FILE [--replace] --by NAME",
        .description = params_description,
        .options = options,
        .operand = "list | show YEAR | add FILE",
        .min_operands = 1,
        .max_operands = 2,
        .missing_operand = "say list, show YEAR or add FILE",
        .footer = params_footer,
        .db_help = "the rebate database (must exist)",
    };
    rb_session s;
    int status = rb_session_start(&s, &line, argc, argv);
    if (status >= 0)
        return status;
    const char *action = argv[s.first_operand];
    int32_t year = 0;
    bool list = strcmp(action, "list") == 0, show = strcmp(action, "show") == 0, add = strcmp(action, "add") == 0;
    if (!list && !show && !add)
        status = rb_usage_error("params", "'%s' is not list, show or add", action);
    else if (argc - s.first_operand - 1 != (list ? 0 : 1))
        status = rb_usage_error("params", list ? "%s takes no argument" : "%s takes one argument", action);
    else if (add && (by == NULL || by[0] == '\0'))
        status = rb_usage_error("params", "add needs --by NAME (who adds the row)");
    else if (!add && (by != NULL || replace))
        status = rb_usage_error("params", "--by and --replace belong to add");
    else if (show && rb_parse_year(argv[s.first_operand + 1], &year) != 0)
        status = rb_usage_error("params", "'%s' is not a year", argv[s.first_operand + 1]);
    if (status >= 0) {
        rb_session_end(&s, RB_OK, NULL);
        return status;
    }
    rb_status st = RB_OK;
    if (add)
        st = add_row(&s, argv[s.first_operand + 1], replace, by);
    else if ((st = rb_session_open(&s, RB_DB_READONLY, false, NULL, NULL)) == RB_OK)
        st = list ? rb_params_rows_each(s.db, list_row, NULL, &s.err) : show_row(s.db, s.db_path, year, &s.err);
    return rb_session_end(&s, st, NULL);
}
