/* `rebate reconcile --config FILE --batch ID ANSWER`: reading the bank's answer for
 * an approved batch (docs/batch-life.md has the answer's format). The work is
 * rb_batch_reconcile's; this file parses the options, takes the lock, logs
 * the run and prints the count per status. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/people.h"
#include "cli/opts.h"
#include "rebate/db.h"
#include "rebate/ledger.h"
#include "rebate/lock.h"
#include "rebate/strbuf.h"

static const char reconcile_description[] =
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
    "\n";

static const char reconcile_footer[] =
    "Exit status: 0 recorded (or nothing new); 64 bad option, or the batch is\n"
    "not approved; 65 the answer is refused (the message names each problem);\n"
    "66 no such database, batch or ANSWER; 75 another run holds the lock;\n"
    "78 a bad config file.\n";

int cmd_reconcile(int argc, char **argv)
{
    const char *db_path = NULL, *config_path = NULL, *batch_id = NULL, *by = NULL;
    const rb_option options[] = {
        RB_OPTS_DATABASE(&db_path, &config_path, "the rebate database (must exist)"),
        {"batch", "ID", RB_OPT_STRING, &batch_id, true, "the approved batch the answer is for", NULL},
        {"by", "NAME", RB_OPT_STRING, &by, false, "who reads it in (default: the login name)", NULL},
        {NULL, NULL, 0, NULL, false, NULL, NULL},
    };
    const rb_command_line line = {
        .name = "reconcile",
        .synopsis = "--config FILE --batch ID [--by NAME] ANSWER",
        .description = reconcile_description,
        .options = options,
        .operand = "ANSWER",
        .min_operands = 1,
        .max_operands = 1,
        .missing_operand = "the bank's ANSWER file is required",
        .footer = reconcile_footer,
        .db_path = &db_path,
        .config_path = &config_path,
    };
    rb_config config = {0};
    char by_text[RB_LIFE_BY_MAX + 1];
    int first, status = rb_opts_parse(&line, argc, argv, &first);
    if (status >= 0 || (status = rb_cli_by("reconcile", by ? by : rb_login_name(), by_text, sizeof by_text)) != 0 ||
        (status = rb_opts_database(&line, &config)) != 0)
        goto done;
    const char *file = argv[first];

    sqlite3 *db = NULL;
    rb_lock *lock = NULL;
    rb_error err = {0};
    rb_status st = rb_opts_open(db_path, RB_DB_EXISTING, &lock, &db, &err);
    if (st != RB_OK) {
        status = rb_exit(st, &err);
        goto done;
    }
    rb_run_log log;
    rb_run_log_start(&log, db, "reconcile", by_text);
    rb_reconcile_result r;
    st = rb_batch_reconcile(db, &rb_cli_life_steps, batch_id, file,
                            &(rb_actor){by_text, rb_process_login(), log.run_id}, &r, &err);
    rb_strbuf detail = RB_STRBUF_INIT;
    if (st == RB_OK) {
        bool written =
            r.paid + r.returned == 0
                ? rb_strbuf_addf(&detail,
                                 "batch %s: answer read as %s; every final status in it was recorded already: "
                                 "nothing changed (%lld pending, %lld payments still open)",
                                 batch_id, r.format, (long long)r.pending, (long long)r.open)
                : rb_strbuf_addf(&detail,
                                 "batch %s: answer read as %s; recorded %lld paid and %lld returned now (%lld and "
                                 "%lld were recorded already); %lld pending; %lld payments still open%s",
                                 batch_id, r.format, (long long)r.paid, (long long)r.returned,
                                 (long long)r.paid_again, (long long)r.returned_again, (long long)r.pending,
                                 (long long)r.open, r.settled ? "; the batch is settled" : "");
        if (!written)
            st = rb_fail(&err, RB_E_INTERNAL, "out of memory");
        else
            printf("%s\n%s", detail.buf, r.reply ? r.reply : "");
    }
    rb_reconcile_result_free(&r);
    status = rb_run_log_finish(&log, st, &err, detail.buf);
    rb_strbuf_release(&detail);
    rb_opts_close(lock, db);
done:
    rb_config_free(&config);
    return status < 0 ? 0 : status;
}
