/* The commands of a batch's life after publication (docs/batch-life.md):
 * `rebate approve --db DB --batch ID --by NAME`, finance's sign-off, which
 * writes the bank file; `rebate void --db DB --batch ID --by NAME --reason
 * TEXT`, refusing a batch before sign-off; `rebate reconcile --db DB --batch
 * ID FILE`, the bank's answer. The work is src/life/'s; these parse the
 * options, take the lock, log the run and print what was done. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/people.h"
#include "cli/opts.h"
#include "rebate/life.h"
#include "rebate/money.h"
#include "rebate/strbuf.h"

static const char approve_description[] =
    "Finance's sign-off of a published batch, by someone other than the person\n"
    "who ran it and other than whoever accepted (rebate review) a firm it pays.\n"
    "The fund's own account, which the bank file pays from, is read from the\n"
    "config file (fund_account_name, fund_account, fund_bank_name,\n"
    "fund_bank_code): without it approval is refused. Nor is a batch approved\n"
    "before its public notice ends (status shows from which day). Then the\n"
    "batch folder is checked: payout.csv must be the file the ledger recorded\n"
    "and every file must match SHA256SUMS. Then bank/ is\n"
    "added to the batch folder (payout.xml: the payments as an ISO 20022\n"
    "pain.001.001.03 credit-transfer initiation; approval.txt; SHA256SUMS) and\n"
    "the batch and its payments become 'approved'. Run it again after a crash:\n"
    "it finishes an approval that was recorded but not yet in place.\n"
    "\n";

static const char approve_footer[] =
    "Exit status: 0 approved; 64 bad option, the batch is not 'published', the\n"
    "same person ran it or accepted a firm it pays, or it has no payments; 65 a\n"
    "file of the batch was changed after publication; 66 no such database, batch\n"
    "or batch folder; 73 bank/ could not be written; 75 another run holds the\n"
    "lock; 78 no fund account in the config file (or --db instead of --config).\n";

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

/* What the three commands are given. */
typedef struct life_args {
    const char *batch_id;
    const char *by;     /* approve, void, reconcile (trimmed before the work) */
    char by_text[RB_LIFE_BY_MAX + 1];
    const char *reason; /* void */
    const char *file;   /* reconcile: the operand */
} life_args;

/* One command's work on the open database: its detail for the run log and
 * standard output into detail. */
typedef rb_status (*life_work)(rb_session *s, const life_args *a, rb_strbuf *detail);

/* The steps the three share: the lock, the database, the run log, the
 * typed name and reason checked (naming their options), the work, the exit. */
static int life_command(const rb_command_line *line, int argc, char **argv, life_args *a, life_work work)
{
    rb_session s;
    int status = rb_session_start(&s, line, argc, argv);
    if (status >= 0)
        return status;
    if (line->max_operands > 0)
        a->file = argv[s.first_operand];
    /* --by trimmed and never blank, for every command of the ledger */
    bool by_given = a->by != NULL;
    if ((status = rb_cli_by(line->name, by_given ? a->by : rb_login_name(), a->by_text, sizeof a->by_text)) != 0) {
        rb_session_end(&s, RB_OK, NULL);
        return status;
    }
    if (by_given || strcmp(line->name, "reconcile") == 0)
        a->by = a->by_text;
    rb_strbuf detail = RB_STRBUF_INIT;
    rb_status st = rb_session_open(&s, RB_DB_EXISTING, true, line->name, a->by != NULL ? a->by : rb_login_name());
    if (st == RB_OK && a->by != NULL)
        st = rb_cli_check_typed("--by", a->by, RB_LIFE_BY_MAX, &s.err);
    if (st == RB_OK && a->reason != NULL)
        st = rb_cli_check_typed("--reason", a->reason, RB_LIFE_REASON_MAX, &s.err);
    if (st == RB_OK)
        st = work(&s, a, &detail);
    status = rb_session_end(&s, st, detail.buf);
    rb_strbuf_release(&detail);
    return status;
}

static rb_status out_of_memory(rb_session *s)
{
    return rb_fail(&s->err, RB_E_INTERNAL, "out of memory");
}

static rb_status approve(rb_session *s, const life_args *a, rb_strbuf *detail)
{
    rb_approve_result result = {0};
    rb_debtor_row fund = {s->config.fund_account_name, s->config.fund_account, s->config.fund_bank_code,
                          s->config.fund_bank_name};
    rb_status st = rb_batch_approve(s->db, &rb_cli_life_steps, a->batch_id, &(rb_actor){a->by, rb_process_login(), s->run_id},
                                    s->config_path != NULL ? &fund : NULL, &result, &s->err);
    if (st == RB_E_CONFIG && s->config_path == NULL)
        fprintf(stderr, "rebate approve: the fund's account is read from the config file: use --config FILE\n");
    if (st == RB_OK) {
        char total[RB_MONEY_BUFSZ];
        rb_money_format(result.total, total);
        bool written = result.finished
                           ? rb_strbuf_addf(detail,
                                            "batch %s: finished the approval by %s at %s, which a crash had kept "
                                            "from its place; %lld payments totalling %s yuan",
                                            a->batch_id, result.approved_by, result.approved_at,
                                            (long long)result.payments, total)
                           : rb_strbuf_addf(detail, "batch %s approved by %s at %s: %lld payments totalling %s yuan",
                                            a->batch_id, result.approved_by, result.approved_at,
                                            (long long)result.payments, total);
        if (!written)
            st = out_of_memory(s);
        else
            printf("%s\n%s/payout.xml\n", detail->buf, result.bank_dir);
    }
    rb_approve_result_free(&result);
    return st;
}

static rb_status void_batch(rb_session *s, const life_args *a, rb_strbuf *detail)
{
    rb_void_result result = {0};
    rb_status st = rb_batch_void(s->db, &rb_cli_life_steps, a->batch_id, &(rb_actor){a->by, rb_process_login(), s->run_id},
                                 a->reason, &result, &s->err);
    if (st == RB_OK) {
        char total[RB_MONEY_BUFSZ];
        rb_money_format(result.total, total);
        if (!rb_strbuf_addf(detail, "batch %s %s at %s: %lld payments totalling %s yuan voided", a->batch_id,
                            result.finished ? "was voided" : "voided", result.voided_at, (long long)result.payments,
                            total))
            st = out_of_memory(s);
        else
            printf("%s%s\n", detail->buf, result.finished ? " (finished: its VOIDED.txt is now in place)" : "");
        if (st == RB_OK && result.folder_missing)
            fprintf(stderr, "rebate: warning: the folder of batch %s is missing; no VOIDED.txt was written\n",
                    a->batch_id);
    }
    rb_void_result_free(&result);
    return st;
}

static rb_status reconcile(rb_session *s, const life_args *a, rb_strbuf *detail)
{
    rb_reconcile_result r;
    rb_status st = rb_batch_reconcile(s->db, &rb_cli_life_steps, a->batch_id, a->file,
                                      &(rb_actor){a->by, rb_process_login(), s->run_id}, &r, &s->err);
    if (st != RB_OK)
        return st;
    bool written =
        r.paid + r.returned + r.paid_again + r.returned_again == 0
            ? rb_strbuf_addf(detail,
                             "batch %s: answer read as %s; no final status in it, nothing recorded (%lld pending, "
                             "%lld payments still open)",
                             a->batch_id, r.format, (long long)r.pending, (long long)r.open)
        : r.paid + r.returned == 0
            ? rb_strbuf_addf(detail,
                             "batch %s: answer read as %s; every final status in it was recorded already: nothing "
                             "changed (%lld pending, %lld payments still open)",
                             a->batch_id, r.format, (long long)r.pending, (long long)r.open)
            : rb_strbuf_addf(detail,
                             "batch %s: answer read as %s; recorded %lld paid and %lld returned now (%lld and %lld "
                             "were recorded already); %lld pending; %lld payments still open%s",
                             a->batch_id, r.format, (long long)r.paid, (long long)r.returned, (long long)r.paid_again,
                             (long long)r.returned_again, (long long)r.pending, (long long)r.open,
                             r.settled ? "; the batch is settled" : "");
    if (written)
        printf("%s\n%s", detail->buf, r.reply ? r.reply : "");
    rb_reconcile_result_free(&r);
    return written ? RB_OK : out_of_memory(s);
}

#define BATCH_OPTION(a, help) {"batch", "ID", RB_OPT_STRING, &(a).batch_id, true, (help), NULL}
#define DATABASE_HELP "the rebate database (must exist)"

int cmd_approve(int argc, char **argv)
{
    life_args a = {0};
    const rb_option options[] = {
        BATCH_OPTION(a, "the batch, e.g. 2022-20261127-001"),
        {"by", "NAME", RB_OPT_STRING, &a.by, true, "who approves (not the person who ran the batch)", NULL},
        RB_OPT_END,
    };
    const rb_command_line line = {.name = "approve", .synopsis = "--config FILE --batch ID --by NAME",
                                  .description = approve_description, .footer = approve_footer, .options = options,
                                  .db_help = DATABASE_HELP};
    return life_command(&line, argc, argv, &a, approve);
}

int cmd_void(int argc, char **argv)
{
    life_args a = {0};
    const rb_option options[] = {
        BATCH_OPTION(a, "the batch, e.g. 2022-20261127-001"),
        {"by", "NAME", RB_OPT_STRING, &a.by, true, "who voids it", NULL},
        {"reason", "TEXT", RB_OPT_STRING, &a.reason, true, "why (one line; kept in the ledger and in VOIDED.txt)",
         NULL},
        RB_OPT_END,
    };
    const rb_command_line line = {.name = "void", .synopsis = "--db DB --batch ID --by NAME --reason TEXT",
                                  .description = void_description, .footer = void_footer, .options = options,
                                  .db_help = DATABASE_HELP};
    return life_command(&line, argc, argv, &a, void_batch);
}

int cmd_reconcile(int argc, char **argv)
{
    life_args a = {0};
    const rb_option options[] = {
        BATCH_OPTION(a, "the approved batch the answer is for"),
        {"by", "NAME", RB_OPT_STRING, &a.by, false, "who reads it in (default: the login name)", NULL},
        RB_OPT_END,
    };
    const rb_command_line line = {.name = "reconcile", .synopsis = "--config FILE --batch ID [--by NAME] ANSWER",
                                  .description = reconcile_description, .footer = reconcile_footer,
                                  .options = options, .operand = "ANSWER", .min_operands = 1, .max_operands = 1,
                                  .missing_operand = "the bank's ANSWER file is required", .db_help = DATABASE_HELP};
    return life_command(&line, argc, argv, &a, reconcile);
}
