/* `rebate reconcile --db DB --batch ID FILE`: reading the bank's answer for
 * an approved batch (docs/batch-life.md has the answer's format). The work is
 * rb_batch_reconcile's; this file parses the options, takes the lock, logs
 * the run and prints the count per status. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "rebate/db.h"
#include "rebate/ledger.h"
#include "rebate/lock.h"
#include "rebate/strbuf.h"

static const char reconcile_description[] =
    "Records the bank's answer for the payments of an approved batch. FILE is\n"
    "CSV in UTF-8 (a BOM is allowed) with the header reference,status,reason:\n"
    "one line per payment, status 'paid' or 'returned', reason optional text.\n"
    "A paid payment is final; a returned one frees the firm for a later run\n"
    "(rules.md, TRANSFER_RETURNED). The whole file is recorded or nothing:\n"
    "a reference of another batch, a malformed line, or an answer that\n"
    "contradicts one already recorded stops it. The same answer again changes\n"
    "nothing, so a file can be read twice.\n"
    "\n";

static const char reconcile_footer[] =
    "Exit status: 0 recorded; 64 bad option, or the batch is not approved;\n"
    "65 a line of FILE is refused (the message names it); 66 no such database,\n"
    "batch or FILE; 75 another run holds the lock.\n";

int cmd_reconcile(int argc, char **argv)
{
    const char *db_path = NULL, *config_path = NULL, *batch_id = NULL;
    const rb_option options[] = {
        RB_OPTS_DATABASE(&db_path, &config_path, "the rebate database (must exist)"),
        {"batch", "ID", RB_OPT_STRING, &batch_id, true, "the approved batch the answer is for", NULL},
        {NULL, NULL, 0, NULL, false, NULL, NULL},
    };
    const rb_command_line line = {
        .name = "reconcile",
        .synopsis = "--db DB --batch ID FILE",
        .description = reconcile_description,
        .options = options,
        .operand = "FILE",
        .min_operands = 1,
        .max_operands = 1,
        .missing_operand = "the bank's answer FILE is required",
        .footer = reconcile_footer,
        .db_path = &db_path,
        .config_path = &config_path,
    };
    rb_config config = {0};
    int first, status = rb_opts_parse(&line, argc, argv, &first);
    if (status >= 0 || (status = rb_opts_database(&line, &config)) != 0)
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
    rb_run_log_start(&log, db, "reconcile", rb_login_name());
    rb_reconcile_result r;
    st = rb_batch_reconcile(db, &rb_cli_life_steps, batch_id, file, log.run_id, &r, &err);
    rb_strbuf detail = RB_STRBUF_INIT;
    if (st == RB_OK) {
        if (!rb_strbuf_addf(&detail,
                            "batch %s: paid %lld (new %lld, already recorded %lld), returned %lld (new %lld, already "
                            "recorded %lld); %lld payments still without an answer",
                            batch_id, (long long)(r.paid + r.paid_again), (long long)r.paid, (long long)r.paid_again,
                            (long long)(r.returned + r.returned_again), (long long)r.returned,
                            (long long)r.returned_again, (long long)r.open))
            st = rb_fail(&err, RB_E_INTERNAL, "out of memory");
        else
            printf("%s\n", detail.buf);
    }
    status = rb_run_log_finish(&log, st, &err, detail.buf);
    rb_strbuf_release(&detail);
    rb_opts_close(lock, db);
done:
    rb_config_free(&config);
    return status < 0 ? 0 : status;
}
