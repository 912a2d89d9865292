/* `rebate void --db DB --batch ID --by NAME --reason TEXT`: refusing a batch
 * before sign-off (docs/batch-life.md). The work is rb_batch_void's; this
 * file parses the options, takes the lock, logs the run and maps the status. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "rebate/db.h"
#include "rebate/ledger.h"
#include "rebate/lock.h"
#include "rebate/money.h"
#include "rebate/strbuf.h"

static const char void_description[] =
    "Refuses a published batch before it is approved: the batch becomes\n"
    "'voided' with who, when and why, and its payments 'voided', so that a\n"
    "later run can pay those firms again (with the next attempt number in the\n"
    "reference). The batch folder stays as published; a note VOIDED.txt is\n"
    "added beside its files. An approved batch cannot be voided.\n"
    "\n";

static const char void_footer[] =
    "Exit status: 0 voided; 64 bad option, or the batch is approved or voided\n"
    "already; 66 no such database or batch; 73 the note could not be written;\n"
    "75 another run holds the lock.\n";

int cmd_void(int argc, char **argv)
{
    const char *db_path = NULL, *config_path = NULL, *batch_id = NULL, *by = NULL, *reason = NULL;
    const rb_option options[] = {
        RB_OPTS_DATABASE(&db_path, &config_path, "the rebate database (must exist)"),
        {"batch", "ID", RB_OPT_STRING, &batch_id, true, "the batch, e.g. 2022-20261127-001", NULL},
        {"by", "NAME", RB_OPT_STRING, &by, true, "who voids it", NULL},
        {"reason", "TEXT", RB_OPT_STRING, &reason, true, "why (one line; kept in the ledger and in VOIDED.txt)", NULL},
        {NULL, NULL, 0, NULL, false, NULL, NULL},
    };
    const rb_command_line line = {
        .name = "void",
        .synopsis = "--db DB --batch ID --by NAME --reason TEXT",
        .description = void_description,
        .options = options,
        .footer = void_footer,
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
    rb_run_log_start(&log, db, "void", by);
    rb_void_result result = {0};
    if ((st = rb_cli_check_typed("--by", by, RB_LIFE_BY_MAX, &err)) == RB_OK &&
        (st = rb_cli_check_typed("--reason", reason, RB_LIFE_REASON_MAX, &err)) == RB_OK)
        st = rb_batch_void(db, &rb_cli_life_steps, batch_id, by, reason, &result, &err);
    rb_strbuf detail = RB_STRBUF_INIT;
    if (st == RB_OK) {
        char total[RB_MONEY_BUFSZ];
        rb_money_format(result.total, total);
        if (!rb_strbuf_addf(&detail, "batch %s %s at %s: %lld payments totalling %s yuan voided", batch_id,
                            result.finished ? "was voided" : "voided", result.voided_at, (long long)result.payments,
                            total))
            st = rb_fail(&err, RB_E_INTERNAL, "out of memory");
        else
            printf("%s%s\n", detail.buf, result.finished ? " (finished: its VOIDED.txt is now in place)" : "");
        if (st == RB_OK && result.folder_missing)
            fprintf(stderr, "rebate: warning: the folder of batch %s is missing; no VOIDED.txt was written\n",
                    batch_id);
    }
    rb_void_result_free(&result);
    status = rb_run_log_finish(&log, st, &err, detail.buf);
    rb_strbuf_release(&detail);
    rb_opts_close(lock, db);
done:
    rb_config_free(&config);
    return status < 0 ? 0 : status;
}
