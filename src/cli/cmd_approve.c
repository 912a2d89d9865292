/* `rebate approve --db DB --batch ID --by NAME`: finance's sign-off of a
 * published batch, which writes its bank file (docs/batch-life.md). The work
 * is rb_batch_approve's; this file parses the options, takes the lock, logs
 * the run and maps the status. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "rebate/db.h"
#include "rebate/ledger.h"
#include "rebate/lock.h"
#include "rebate/money.h"
#include "rebate/strbuf.h"

static const char approve_description[] =
    "Finance's sign-off of a published batch, by someone other than the person\n"
    "who ran it. First the batch folder is checked: payout.csv must be the file\n"
    "the ledger recorded and every file must match SHA256SUMS. Then bank/ is\n"
    "added to the batch folder (payout.xml: the payments as an ISO 20022\n"
    "pain.001.001.03 credit-transfer initiation; approval.txt; SHA256SUMS) and\n"
    "the batch and its payments become 'approved'. Run it again after a crash:\n"
    "it finishes an approval that was recorded but not yet in place.\n"
    "\n";

static const char approve_footer[] =
    "Exit status: 0 approved; 64 bad option, the batch is not 'published', the\n"
    "same person ran it, or it has no payments; 65 a file of the batch was\n"
    "changed after publication; 66 no such database, batch or batch folder;\n"
    "73 bank/ could not be written; 75 another run holds the lock.\n";

int cmd_approve(int argc, char **argv)
{
    const char *db_path = NULL, *config_path = NULL, *batch_id = NULL, *by = NULL;
    const rb_option options[] = {
        RB_OPTS_DATABASE(&db_path, &config_path, "the rebate database (must exist)"),
        {"batch", "ID", RB_OPT_STRING, &batch_id, true, "the batch, e.g. 2022-20261127-001", NULL},
        {"by", "NAME", RB_OPT_STRING, &by, true, "who approves (not the person who ran the batch)", NULL},
        {NULL, NULL, 0, NULL, false, NULL, NULL},
    };
    const rb_command_line line = {
        .name = "approve",
        .synopsis = "--db DB --batch ID --by NAME",
        .description = approve_description,
        .options = options,
        .footer = approve_footer,
        .db_path = &db_path,
        .config_path = &config_path,
    };
    rb_config config = {0};
    int first, status = rb_opts_parse(&line, argc, argv, &first);
    if (status >= 0 || (status = rb_opts_database(&line, &config)) != 0)
        goto done;

    sqlite3 *db = NULL;
    rb_lock *lock = NULL;
    rb_error err = {0};
    rb_status st = rb_opts_open(db_path, RB_DB_EXISTING, &lock, &db, &err);
    if (st != RB_OK) {
        status = rb_exit(st, &err);
        goto done;
    }
    rb_run_log log;
    rb_run_log_start(&log, db, "approve", by);
    rb_approve_result result = {0};
    if ((st = rb_cli_check_typed("--by", by, RB_LIFE_BY_MAX, &err)) == RB_OK)
        st = rb_batch_approve(db, &rb_cli_life_steps, batch_id, by, &result, &err);
    rb_strbuf detail = RB_STRBUF_INIT;
    if (st == RB_OK) {
        char total[RB_MONEY_BUFSZ];
        rb_money_format(result.total, total);
        bool written = result.finished
                           ? rb_strbuf_addf(&detail,
                                            "batch %s: finished the approval by %s at %s, which a crash had kept "
                                            "from its place; %lld payments totalling %s yuan",
                                            batch_id, result.approved_by, result.approved_at,
                                            (long long)result.payments, total)
                           : rb_strbuf_addf(&detail, "batch %s approved by %s at %s: %lld payments totalling %s yuan",
                                            batch_id, result.approved_by, result.approved_at,
                                            (long long)result.payments, total);
        if (!written)
            st = rb_fail(&err, RB_E_INTERNAL, "out of memory");
        else
            printf("%s\n%s/payout.xml\n", detail.buf, result.bank_dir);
    }
    rb_approve_result_free(&result);
    status = rb_run_log_finish(&log, st, &err, detail.buf);
    rb_strbuf_release(&detail);
    rb_opts_close(lock, db);
done:
    rb_config_free(&config);
    return status < 0 ? 0 : status;
}
