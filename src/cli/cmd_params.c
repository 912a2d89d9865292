/* `rebate params (--db DB | --config FILE) list | show Y | add FILE
 * [--replace] --by NAME`: the policy parameters of each year, kept as data
 * so that a new year's notice is added by the bureau without a rebuild.
 * list and show only read; add writes one row with its event, under the
 * lock of the nightly job. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "rebate/db.h"
#include "rebate/lock.h"
#include "rebate/money.h"
#include "rebate/params_file.h"
#include "rebate/params_store.h"

static const char params_usage[] =
    "usage: rebate params (--db DB | --config FILE) list\n"
    "       rebate params (--db DB | --config FILE) show YEAR\n"
    "       rebate params (--db DB | --config FILE) add FILE [--replace] --by NAME\n"
    "\n"
    "The policy parameters, one row per policy year, with the notice each rests\n"
    "on. list prints every row and how many batches used it; show prints one\n"
    "row as a parameter file; add stores the row of FILE (an INI file with\n"
    "every key of [policy_params]; data/params/example-2026.ini is a complete\n"
    "one), checked whole before anything is stored, and records it in the\n"
    "event log. A year that has a row is refused unless --replace is given and\n"
    "no batch has used that row: a used row never changes.\n"
    "\n"
    "  --db DB         the database\n"
    "  --config FILE   the config file whose `database` to use\n"
    "  --replace       replace the year's row (only if no batch used it)\n"
    "  --by NAME       who adds the row (recorded in the event log)\n"
    "  -h, --help      show this help\n"
    "\n"
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

int cmd_params(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},     {"config", required_argument, NULL, 'c'},
        {"by", required_argument, NULL, 'b'},     {"replace", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *db_option = NULL, *config_option = NULL, *by = NULL;
    bool replace = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'd': db_option = optarg; break;
        case 'c': config_option = optarg; break;
        case 'b': by = optarg; break;
        case 'r': replace = true; break;
        case 'h': fputs(params_usage, stdout); return 0;
        case ':': return rb_usage_error("params", "option '%s' needs a value", argv[optind - 1]);
        default: return rb_usage_error("params", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return rb_usage_error("params", "say list, show YEAR or add FILE");
    const char *action = argv[optind];
    int want_args = strcmp(action, "list") == 0 ? 0 : strcmp(action, "show") == 0 || strcmp(action, "add") == 0 ? 1 : -1;
    if (want_args < 0)
        return rb_usage_error("params", "'%s' is not list, show or add", action);
    if (argc - optind - 1 != want_args)
        return rb_usage_error("params", want_args ? "%s takes one argument" : "%s takes no argument", action);
    bool add = strcmp(action, "add") == 0;
    if (add && (by == NULL || by[0] == '\0'))
        return rb_usage_error("params", "add needs --by NAME (who adds the row)");
    if (!add && (by != NULL || replace))
        return rb_usage_error("params", "--by and --replace belong to add");
    int32_t year = 0;
    if (strcmp(action, "show") == 0 && rb_parse_year(argv[optind + 1], &year) != 0)
        return rb_usage_error("params", "'%s' is not a year", argv[optind + 1]);

    rb_error err = {0};
    rb_config config = {0};
    const char *path = NULL;
    int status = rb_cli_database("params", db_option, config_option, &config, &path, &err);
    if (status != 0)
        return status;
    sqlite3 *db = NULL;
    rb_lock *lock = NULL;
    rb_status st = RB_OK;
    if (add) {
        /* The file is checked whole before the database is touched. */
        rb_params_row row;
        bool replaced = false;
        const char *file = argv[optind + 1];
        if ((st = rb_params_file_read(file, &row, &err)) == RB_OK &&
            (st = rb_lock_database(path, &lock, &err)) == RB_OK &&
            (st = rb_db_open(path, RB_DB_EXISTING, &db, &err)) == RB_OK &&
            (st = rb_params_row_add(db, &row, replace, file, by, rb_login_name(), &replaced, &err)) == RB_OK)
            printf("%s the parameters of policy year %d from %s\n", replaced ? "replaced" : "added", row.policy_year,
                   file);
    } else if ((st = rb_db_open(path, RB_DB_READONLY, &db, &err)) == RB_OK) {
        if (year == 0) {
            st = rb_params_rows_each(db, list_row, NULL, &err);
        } else {
            rb_params_row row;
            int64_t batches = 0;
            bool found = false;
            if ((st = rb_params_row_get(db, year, &row, &batches, &found, &err)) == RB_OK && !found)
                st = rb_fail(&err, RB_E_NOINPUT, "database '%s' has no parameter row for policy year %d", path,
                             (int)year);
            if (st == RB_OK) {
                printf("; policy year %d, used by %" PRId64 " batch(es)%s\n", row.policy_year, batches,
                       batches ? ": this row never changes" : "");
                rb_params_file_write(&row, stdout);
            }
        }
    }
    rb_db_close(db);
    rb_lock_release(lock);
    rb_config_free(&config);
    return rb_exit(st, &err);
}
