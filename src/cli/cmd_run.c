/* `rebate run`: evaluate every firm (or the firms named) for a policy year,
 * record the payments and publish one batch under OUT. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rebate/batch.h"
#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/ledger.h"
#include "rebate/lock.h"
#include "rebate/money.h"
#include "rebate/rules.h"
#include "rebate/uscc.h"

static const char run_usage[] =
    "usage: rebate run --db DB --year Y --out OUT [--as-of YYYY-MM-DD] [--uscc CODE]... [--dry-run] [--by NAME]\n"
    "\n"
    "Evaluates every insured firm for policy year Y (data year Y-1), records the\n"
    "payments in the ledger and publishes one batch in OUT/<Y>-<YYYYMMDD>-<NNN>/:\n"
    "payout.csv, exceptions.csv, decisions.csv, summary.txt and SHA256SUMS.\n"
    "\n"
    "  --db DB          the database (made by 'rebate import')\n"
    "  --year Y         the policy year; it needs a row in policy_params\n"
    "  --out OUT        the folder batches are published in\n"
    "  --as-of DATE     the date the run counts as (default: today)\n"
    "  --uscc CODE      evaluate only this firm (repeatable): the rerun after a\n"
    "                   data correction; it gets a batch of its own\n"
    "  --dry-run        write the batch as PREVIEW-<id> and record nothing\n"
    "  --by NAME        who runs it (default: the login name)\n";

int cmd_run(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},    {"year", required_argument, NULL, 'y'},
        {"out", required_argument, NULL, 'o'},   {"as-of", required_argument, NULL, 'a'},
        {"uscc", required_argument, NULL, 'u'},  {"dry-run", no_argument, NULL, 'n'},
        {"by", required_argument, NULL, 'b'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_path = NULL, *out_dir = NULL, *by = NULL, *year_text = NULL, *as_of_text = NULL;
    bool dry_run = false;
    char (*codes)[RB_USCC_LEN + 1] = NULL;
    const char **usccs = NULL;
    size_t n_usccs = 0;
    int status = 0, c;
    sqlite3 *db = NULL;
    rb_error err = {0};
    int64_t run_id = 0;
    rb_lock *lock = NULL;

    codes = calloc((size_t)argc + 1, sizeof *codes);
    usccs = calloc((size_t)argc + 1, sizeof *usccs);
    if (codes == NULL || usccs == NULL) {
        status = rb_exit(rb_fail(&err, RB_E_INTERNAL, "out of memory"), &err);
        goto out;
    }
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'd': db_path = optarg; break;
        case 'y': year_text = optarg; break;
        case 'o': out_dir = optarg; break;
        case 'a': as_of_text = optarg; break;
        case 'n': dry_run = true; break;
        case 'b': by = optarg; break;
        case 'u':
            if (rb_uscc_parse(optarg, codes[n_usccs], &err) != RB_OK) {
                status = rb_exit(RB_E_USAGE, &err);
                goto out;
            }
            /* The same code twice is one firm. */
            bool seen = false;
            for (size_t i = 0; i < n_usccs; i++)
                seen = seen || strcmp(codes[i], codes[n_usccs]) == 0;
            if (!seen) {
                usccs[n_usccs] = codes[n_usccs];
                n_usccs++;
            }
            break;
        case 'h':
            fputs(run_usage, stdout);
            goto out;
        case ':':
            status = rb_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
            goto out;
        default:
            status = rb_usage_error("run", "unknown option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (optind < argc) {
        status = rb_usage_error("run", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (db_path == NULL || year_text == NULL || out_dir == NULL) {
        status = rb_usage_error("run", "--db, --year and --out are required");
        goto out;
    }
    int32_t year = 0, as_of = rb_date_today();
    if (rb_parse_year(year_text, &year) != 0) {
        status = rb_usage_error("run", "--year '%s' is not a year such as 2022", year_text);
        goto out;
    }
    if (as_of_text != NULL && !rb_date_parse(as_of_text, strlen(as_of_text), &as_of)) {
        status = rb_usage_error("run", "--as-of '%s' is not a date such as 2022-06-30", as_of_text);
        goto out;
    }
    if (by == NULL)
        by = rb_login_name();
    char out_abs[4096];
    if (rb_absolute_path(out_dir, out_abs, sizeof out_abs) != 0) {
        status = rb_usage_error("run", "--out '%s' is too long a path", out_dir);
        goto out;
    }

    rb_status st = rb_db_open(db_path, RB_DB_EXISTING, &db, &err);
    /* The same lock as nightly: a run by staff while the nightly job works
     * exits 75 at once rather than waiting on the database. */
    if (st == RB_OK)
        st = rb_lock_database(db_path, &lock, &err);
    if (st != RB_OK) {
        status = rb_exit(st, &err);
        goto out;
    }
    if (!dry_run)
        rb_runs_start(db, "run", by, &run_id, NULL);

    rb_run_options opts = {
        .policy_year = year,
        .as_of = as_of,
        .out_dir = out_abs,
        .usccs = usccs,
        .n_usccs = n_usccs,
        .dry_run = dry_run,
        .by = by,
        .run_id = run_id,
        .notify = {rb_cli_notify, NULL},
    };
    rb_run_result result;
    st = rb_run(db, &opts, &result, &err);
    char detail[512] = "";
    if (st == RB_OK && result.published) {
        char total[RB_MONEY_BUFSZ];
        rb_money_format(result.total, total);
        snprintf(detail, sizeof detail,
                 "%s %s: %lld firms: PAY %lld, REVIEW %lld, REJECT %lld, SKIP %lld; %lld payments totalling %s yuan",
                 dry_run ? "preview" : "batch", result.batch_id, (long long)result.firms,
                 (long long)result.by_outcome[RB_OUTCOME_PAY], (long long)result.by_outcome[RB_OUTCOME_REVIEW],
                 (long long)result.by_outcome[RB_OUTCOME_REJECT], (long long)result.by_outcome[RB_OUTCOME_SKIP],
                 (long long)result.payments, total);
        printf("%s\n%s%s\n", detail, result.folder, dry_run ? "  (dry run: nothing recorded in the ledger)" : "");
    } else if (st == RB_OK) {
        snprintf(detail, sizeof detail, "no firm to decide: no batch published");
        printf("%s\n", detail);
    }
    status = rb_exit(st, &err);
    rb_runs_finish(db, run_id, status, st == RB_OK ? detail : err.message);

out:
    rb_db_close(db);
    rb_lock_release(lock);
    free(codes);
    free(usccs);
    return status;
}
