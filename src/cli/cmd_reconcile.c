/* `rebate reconcile --db DB --batch ID FILE`: reading the bank's answer for
 * an approved batch (docs/batch-life.md has the answer's format). The work is
 * rb_batch_reconcile's; this file parses the options, takes the lock, logs
 * the run and prints the count per status. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "rebate/db.h"
#include "rebate/ledger.h"
#include "rebate/lock.h"

static const char reconcile_usage[] =
    "usage: rebate reconcile --db DB --batch ID FILE\n"
    "\n"
    "Records the bank's answer for the payments of an approved batch. FILE is\n"
    "CSV in UTF-8 (a BOM is allowed) with the header reference,status,reason:\n"
    "one line per payment, status 'paid' or 'returned', reason optional text.\n"
    "A paid payment is final; a returned one frees the firm for a later run\n"
    "(rules.md, TRANSFER_RETURNED). The whole file is recorded or nothing:\n"
    "a reference of another batch, a malformed line, or an answer that\n"
    "contradicts one already recorded stops it. The same answer again changes\n"
    "nothing, so a file can be read twice.\n"
    "\n"
    "  --db DB       the rebate database (must exist)\n"
    "  --batch ID    the approved batch the answer is for\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit status: 0 recorded; 64 bad option, or the batch is not approved;\n"
    "65 a line of FILE is refused (the message names it); 66 no such database,\n"
    "batch or FILE; 75 another run holds the lock.\n";

int cmd_reconcile(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"batch", required_argument, NULL, 'B'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_path = NULL, *batch_id = NULL, *file = NULL;
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
        case 'h':
            fputs(reconcile_usage, stdout);
            goto out;
        case ':':
            status = rb_usage_error("reconcile", "option '%s' needs a value", argv[optind - 1]);
            goto out;
        default:
            status = rb_usage_error("reconcile", "unknown option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (db_path == NULL || batch_id == NULL) {
        status = rb_usage_error("reconcile", "--db and --batch are required");
        goto out;
    }
    if (optind + 1 != argc) {
        status = optind == argc ? rb_usage_error("reconcile", "the bank's answer FILE is required")
                                : rb_usage_error("reconcile", "unexpected argument '%s'", argv[optind + 1]);
        goto out;
    }
    file = argv[optind];

    rb_status st = rb_db_open(db_path, RB_DB_EXISTING, &db, &err);
    if (st == RB_OK)
        st = rb_lock_database(db_path, &lock, &err);
    if (st != RB_OK) {
        status = rb_exit(st, &err);
        goto out;
    }
    rb_runs_start(db, "reconcile", rb_login_name(), &run_id, NULL);
    rb_reconcile_result r;
    st = rb_batch_reconcile(db, &rb_cli_life_steps, batch_id, file, run_id, &r, &err);
    char detail[512] = "";
    if (st == RB_OK) {
        snprintf(detail, sizeof detail,
                 "batch %s: paid %lld (new %lld, already recorded %lld), returned %lld (new %lld, already recorded "
                 "%lld); %lld payments still without an answer",
                 batch_id, (long long)(r.paid + r.paid_again), (long long)r.paid, (long long)r.paid_again,
                 (long long)(r.returned + r.returned_again), (long long)r.returned, (long long)r.returned_again,
                 (long long)r.open);
        printf("%s\n", detail);
    }
    status = rb_exit(st, &err);
    rb_runs_finish(db, run_id, status, st == RB_OK ? detail : err.message);

out:
    rb_db_close(db);
    rb_lock_release(lock);
    return status;
}
