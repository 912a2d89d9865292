/* `rebate void --db DB --batch ID --by NAME --reason TEXT`: refusing a batch
 * before sign-off (docs/batch-life.md). The work is rb_batch_void's; this
 * file parses the options, takes the lock, logs the run and maps the status. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "rebate/db.h"
#include "rebate/ledger.h"
#include "rebate/lock.h"
#include "rebate/money.h"

static const char void_usage[] =
    "usage: rebate void --db DB --batch ID --by NAME --reason TEXT\n"
    "\n"
    "Refuses a published batch before it is approved: the batch becomes\n"
    "'voided' with who, when and why, and its payments 'voided', so that a\n"
    "later run can pay those firms again (with the next attempt number in the\n"
    "reference). The batch folder stays as published; a note VOIDED.txt is\n"
    "added beside its files. An approved batch cannot be voided.\n"
    "\n"
    "  --db DB         the rebate database (must exist)\n"
    "  --batch ID      the batch, e.g. 2022-20261127-001\n"
    "  --by NAME       who voids it\n"
    "  --reason TEXT   why (one line; kept in the ledger and in VOIDED.txt)\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exit status: 0 voided; 64 bad option, or the batch is approved or voided\n"
    "already; 66 no such database or batch; 73 the note could not be written;\n"
    "75 another run holds the lock.\n";

int cmd_void(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"batch", required_argument, NULL, 'B'},
        {"by", required_argument, NULL, 'b'},
        {"reason", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_path = NULL, *batch_id = NULL, *by = NULL, *reason = NULL;
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
        case 'r': reason = optarg; break;
        case 'h':
            fputs(void_usage, stdout);
            goto out;
        case ':':
            status = rb_usage_error("void", "option '%s' needs a value", argv[optind - 1]);
            goto out;
        default:
            status = rb_usage_error("void", "unknown option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (optind < argc) {
        status = rb_usage_error("void", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (db_path == NULL || batch_id == NULL || by == NULL || reason == NULL) {
        status = rb_usage_error("void", "--db, --batch, --by and --reason are required");
        goto out;
    }

    rb_status st = rb_db_open(db_path, RB_DB_EXISTING, &db, &err);
    if (st == RB_OK)
        st = rb_lock_database(db_path, &lock, &err);
    if (st != RB_OK) {
        status = rb_exit(st, &err);
        goto out;
    }
    rb_runs_start(db, "void", by, &run_id, NULL);
    rb_void_result result = {0};
    if ((st = rb_cli_check_typed("--by", by, RB_LIFE_BY_MAX, &err)) == RB_OK &&
        (st = rb_cli_check_typed("--reason", reason, RB_LIFE_REASON_MAX, &err)) == RB_OK)
        st = rb_batch_void(db, &rb_cli_life_steps, batch_id, by, reason, &result, &err);
    char detail[512] = "";
    if (st == RB_OK) {
        char total[RB_MONEY_BUFSZ];
        rb_money_format(result.total, total);
        snprintf(detail, sizeof detail, "batch %s %s at %s: %lld payments totalling %s yuan voided", batch_id,
                 result.finished ? "was voided" : "voided", result.voided_at, (long long)result.payments, total);
        printf("%s%s\n", detail, result.finished ? " (finished: its VOIDED.txt is now in place)" : "");
        if (result.folder_missing)
            fprintf(stderr, "rebate: warning: the folder of batch %s is missing; no VOIDED.txt was written\n",
                    batch_id);
    }
    rb_void_result_free(&result);
    status = rb_exit(st, &err);
    rb_runs_finish(db, run_id, status, st == RB_OK ? detail : err.message);

out:
    rb_db_close(db);
    rb_lock_release(lock);
    return status;
}
