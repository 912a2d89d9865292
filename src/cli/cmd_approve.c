/* `rebate approve --db DB --batch ID --by NAME`: finance's sign-off of a
 * published batch, which writes its bank file (docs/batch-life.md). The work
 * is rb_batch_approve's; this file parses the options, takes the lock, logs
 * the run and maps the status. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "rebate/db.h"
#include "rebate/ledger.h"
#include "rebate/lock.h"
#include "rebate/money.h"

static const char approve_usage[] =
    "usage: rebate approve --db DB --batch ID --by NAME\n"
    "\n"
    "Finance's sign-off of a published batch, by someone other than the person\n"
    "who ran it. First the batch folder is checked: payout.csv must be the file\n"
    "the ledger recorded and every file must match SHA256SUMS. Then bank/ is\n"
    "added to the batch folder (payout.xml: the payments as an ISO 20022\n"
    "pain.001.001.03 credit-transfer initiation; approval.txt; SHA256SUMS) and\n"
    "the batch and its payments become 'approved'. Run it again after a crash:\n"
    "it finishes an approval that was recorded but not yet in place.\n"
    "\n"
    "  --db DB       the rebate database (must exist)\n"
    "  --batch ID    the batch, e.g. 2022-20261127-001\n"
    "  --by NAME     who approves (not the person who ran the batch)\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit status: 0 approved; 64 bad option, the batch is not 'published', the\n"
    "same person ran it, or it has no payments; 65 a file of the batch was\n"
    "changed after publication; 66 no such database, batch or batch folder;\n"
    "73 bank/ could not be written; 75 another run holds the lock.\n";

int cmd_approve(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"batch", required_argument, NULL, 'B'},
        {"by", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_path = NULL, *batch_id = NULL, *by = NULL;
    int status = 0, c;
    sqlite3 *db = NULL;
    rb_lock *lock = NULL;
    rb_error err = {0};
    int64_t run_id = 0;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'd': db_path = optarg; break;
        case 'B': batch_id = optarg; break;
        case 'b': by = optarg; break;
        case 'h':
            fputs(approve_usage, stdout);
            goto out;
        case ':':
            status = rb_usage_error("approve", "option '%s' needs a value", argv[optind - 1]);
            goto out;
        default:
            status = rb_usage_error("approve", "unknown option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (optind < argc) {
        status = rb_usage_error("approve", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (db_path == NULL || batch_id == NULL || by == NULL) {
        status = rb_usage_error("approve", "--db, --batch and --by are required");
        goto out;
    }

    rb_status st = rb_db_open(db_path, RB_DB_EXISTING, &db, &err);
    if (st == RB_OK)
        st = rb_lock_database(db_path, &lock, &err);
    if (st != RB_OK) {
        status = rb_exit(st, &err);
        goto out;
    }
    rb_runs_start(db, "approve", by, &run_id, NULL);
    rb_approve_result result = {0};
    if ((st = rb_cli_check_typed("--by", by, RB_LIFE_BY_MAX, &err)) == RB_OK)
        st = rb_batch_approve(db, &rb_cli_life_steps, batch_id, by, &result, &err);
    char detail[1600] = "";
    if (st == RB_OK) {
        char total[RB_MONEY_BUFSZ];
        rb_money_format(result.total, total);
        if (result.finished)
            snprintf(detail, sizeof detail,
                     "batch %s: finished the approval by %s at %s, which a crash had kept from its place; "
                     "%lld payments totalling %s yuan",
                     batch_id, result.approved_by, result.approved_at, (long long)result.payments, total);
        else
            snprintf(detail, sizeof detail, "batch %s approved by %s at %s: %lld payments totalling %s yuan",
                     batch_id, result.approved_by, result.approved_at, (long long)result.payments, total);
        printf("%s\n%s/payout.xml\n", detail, result.bank_dir);
    }
    rb_approve_result_free(&result);
    status = rb_exit(st, &err);
    rb_runs_finish(db, run_id, status, st == RB_OK ? detail : err.message);

out:
    rb_db_close(db);
    rb_lock_release(lock);
    return status;
}
