/* `rebate reconcile --db DB --batch ID FILE`: reading the bank's answer for
 * an approved batch (docs/batch-life.md has the answer's format). The work is
 * rb_batch_reconcile's; this file parses the options, takes the lock, logs
 * the run and prints the count per status. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/people.h"
#include "rebate/config.h"
#include "rebate/life.h"
#include "rebate/db.h"
#include "rebate/ledger.h"
#include "rebate/lock.h"

static const char reconcile_usage[] =
    "usage: rebate reconcile (--db DB | --config FILE) --batch ID [--by NAME] ANSWER\n"
    "\n"
    "Records the bank's answer for the payments of an approved batch. ANSWER is\n"
    "recognised by its content: an ISO 20022 pain.002.001.03 payment status\n"
    "report (XML), or CSV in UTF-8 (BOM allowed) or GB18030/GBK with the\n"
    "columns reference,status[,reason][,amount] or 支付编号/业务编号, 状态/处理结果,\n"
    "原因/失败原因, 金额. Statuses: ACSC, ACCC, paid, 成功, 已到账, 交易成功 (paid);\n"
    "RJCT, returned, 失败, 退回, 退票, 交易失败 (returned); any other ISO code\n"
    "(ACTC, ACCP, ACSP, ACWC, PDNG ...) is pending. A pain.002 rejecting the\n"
    "whole group without transaction detail returns every payment.\n"
    "The whole answer is recorded or nothing: every problem is named with its\n"
    "line. The same answer again changes nothing, so it can be read twice.\n"
    "When every payment is paid or returned the batch is settled.\n"
    "\n"
    "  --db DB         the rebate database (must exist)\n"
    "  --config FILE   read the database from the nightly config file instead\n"
    "  --batch ID      the approved batch the answer is for\n"
    "  --by NAME       who reads it in (default: the login name)\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exit status: 0 recorded (or nothing new); 64 bad option, or the batch is\n"
    "not approved; 65 the answer is refused (the message names each problem);\n"
    "66 no such database, batch or ANSWER; 75 another run holds the lock;\n"
    "78 a bad config file.\n";

int cmd_reconcile(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"batch", required_argument, NULL, 'B'},
        {"config", required_argument, NULL, 'c'},
        {"by", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_path = NULL, *batch_id = NULL, *file = NULL, *config_path = NULL, *by = NULL;
    rb_config config = {0};
    char by_text[RB_LIFE_BY_MAX + 1];
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
        case 'c': config_path = optarg; break;
        case 'b': by = optarg; break;
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
    if ((db_path == NULL) == (config_path == NULL) || batch_id == NULL) {
        status = rb_usage_error("reconcile", "--batch and one of --db or --config are required");
        goto out;
    }
    if ((status = rb_cli_by("reconcile", by ? by : rb_login_name(), by_text, sizeof by_text)) != 0)
        goto out;
    if (optind + 1 != argc) {
        status = optind == argc ? rb_usage_error("reconcile", "the bank's answer FILE is required")
                                : rb_usage_error("reconcile", "unexpected argument '%s'", argv[optind + 1]);
        goto out;
    }
    file = argv[optind];

    rb_status st = RB_OK;
    if (config_path != NULL) {
        if ((st = rb_config_load(config_path, &config, &err)) != RB_OK) {
            status = rb_exit(st, &err);
            goto out;
        }
        db_path = config.database;
    }
    st = rb_db_open(db_path, RB_DB_EXISTING, &db, &err);
    if (st == RB_OK)
        st = rb_lock_database(db_path, &lock, &err);
    if (st != RB_OK) {
        status = rb_exit(st, &err);
        goto out;
    }
    rb_runs_start(db, "reconcile", by_text, &run_id, NULL);
    rb_reconcile_result r;
    st = rb_batch_reconcile(db, &rb_cli_life_steps, batch_id, file, &(rb_actor){by_text, rb_process_login(), run_id},
                            &r, &err);
    char detail[512] = "";
    if (st == RB_OK) {
        if (r.paid + r.returned == 0)
            snprintf(detail, sizeof detail,
                     "batch %s: answer read as %s; every final status in it was recorded already: nothing changed "
                     "(%lld pending, %lld payments still open)",
                     batch_id, r.format, (long long)r.pending, (long long)r.open);
        else
            snprintf(detail, sizeof detail,
                     "batch %s: answer read as %s; recorded %lld paid and %lld returned now (%lld and %lld were "
                     "recorded already); %lld pending; %lld payments still open%s",
                     batch_id, r.format, (long long)r.paid, (long long)r.returned, (long long)r.paid_again,
                     (long long)r.returned_again, (long long)r.pending, (long long)r.open,
                     r.settled ? "; the batch is settled" : "");
        printf("%s\n%s", detail, r.reply ? r.reply : "");
    }
    rb_reconcile_result_free(&r);
    status = rb_exit(st, &err);
    rb_runs_finish(db, run_id, status, st == RB_OK ? detail : err.message);

out:
    rb_config_free(&config);
    rb_db_close(db);
    rb_lock_release(lock);
    return status;
}
