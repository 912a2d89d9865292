/* `rebate run`: evaluate every firm (or the firms named) for a policy year,
 * record the payments and publish one batch under OUT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/people.h"
#include "cli/opts.h"
#include "rebate/alloc.h"
#include "rebate/batch.h"
#include "rebate/config.h"
#include "rebate/workdays.h"
#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/ledger.h"
#include "rebate/lock.h"
#include "rebate/money.h"
#include "rebate/rules.h"
#include "rebate/strbuf.h"
#include "rebate/uscc.h"

static const char run_description[] =
    "Evaluates every insured firm for policy year Y (data year Y-1), records the\n"
    "payments in the ledger and publishes one batch in OUT/<Y>-<YYYYMMDD>-<NNN>/:\n"
    "payout.xlsx and exceptions.xlsx (for finance to print and sign), payout.csv,\n"
    "exceptions.csv, decisions.csv, summary.txt, report.html, notice.csv,\n"
    "notice.html and SHA256SUMS.\n"
    "\n";

/* The --uscc codes of a run: each checked as it is read, the same code
 * twice kept once. */
typedef struct uscc_list {
    char (*codes)[RB_USCC_LEN + 1];
    const char **usccs;
    size_t n;
} uscc_list;

static int take_uscc(void *value, const char *arg)
{
    uscc_list *list = value;
    rb_error err = {0};
    char code[RB_USCC_LEN + 1];
    if (rb_uscc_parse(arg, code, &err) != RB_OK)
        return rb_exit(RB_E_USAGE, &err);
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->usccs[i], code) == 0)
            return 0;
    memcpy(list->codes[list->n], code, sizeof code);
    list->usccs[list->n] = list->codes[list->n];
    list->n++;
    return 0;
}

int cmd_run(int argc, char **argv)
{
    const char *out_dir = NULL, *by = NULL, *year_text = NULL, *as_of_text = NULL, *notice_text = NULL;
    bool dry_run = false;
    /* At most one code per argument. */
    uscc_list list = {rb_calloc((size_t)argc + 1, sizeof *list.codes), rb_calloc((size_t)argc + 1, sizeof *list.usccs), 0};
    const rb_option options[] = {
        {"year", "Y", RB_OPT_STRING, &year_text, false,
         "the policy year; it needs a row in policy_params\n(default with --config: its policy_year)", NULL},
        {"out", "OUT", RB_OPT_STRING, &out_dir, false,
         "the folder batches are published in\n(default with --config: its outbox)", NULL},
        {"as-of", "DATE", RB_OPT_STRING, &as_of_text, false, "the date the run counts as (default: today)", NULL},
        {"notice-days", "N", RB_OPT_STRING, &notice_text, false,
         "working days of public notice after the as-of date before\nthe batch may be approved (default 0: the as-of date;\nwith --config: its notice_days)",
         NULL},
        {"uscc", "CODE", RB_OPT_CALL, &list, false,
         "evaluate only this firm (repeatable): the rerun after a\ndata correction; it gets a batch of its own",
         take_uscc},
        {"dry-run", NULL, RB_OPT_FLAG, &dry_run, false, "write the batch as PREVIEW-<id> and record nothing", NULL},
        {"by", "NAME", RB_OPT_STRING, &by, false, "who runs it (default: the login name)", NULL},
        RB_OPT_END,
    };
    const rb_command_line line = {
        .name = "run",
        .synopsis = "--db DB --year Y --out OUT [--as-of YYYY-MM-DD] [--notice-days N] [--uscc CODE]... [--dry-run]"
                    " [--by NAME]",
        .description = run_description, .options = options, .db_help = "the database (made by 'rebate init')"};
    rb_session s;
    int32_t year = 0, as_of = rb_date_today();
    char *out_abs = NULL;
    rb_workdays *calendar = NULL;
    int notice_days = 0;
    char *notice_end = NULL;
    int status = list.codes != NULL && list.usccs != NULL ? rb_session_start(&s, &line, argc, argv) : RB_E_INTERNAL;
    if (status == RB_E_INTERNAL)
        fprintf(stderr, "rebate: out of memory\n");
    if (status >= 0)
        goto done;
    if ((status = rb_session_year(&s, &line, year_text, &year)) != 0)
        ;
    else if (out_dir == NULL && (out_dir = s.config.outbox) == NULL)
        status = rb_usage_error("run", "--out OUT is required (or --config FILE with an outbox)");
    else if (as_of_text != NULL && !rb_date_parse(as_of_text, strlen(as_of_text), &as_of))
        status = rb_usage_error("run", "--as-of '%s' is not a date such as 2022-06-30", as_of_text);
    else if (notice_text != NULL &&
             ((notice_days = (int)strtol(notice_text, &notice_end, 10)) < 0 || notice_end == notice_text ||
              *notice_end != '\0' || strlen(notice_text) > 2 || notice_days > RB_CONFIG_MAX_NOTICE_DAYS))
        status = rb_usage_error("run", "--notice-days '%s' is not a number of working days from 0 to %d", notice_text,
                                RB_CONFIG_MAX_NOTICE_DAYS);
    else if ((out_abs = rb_absolute_path(out_dir)) == NULL)
        status = rb_usage_error("run", "--out '%s' cannot be made absolute (the working folder is unknown)", out_dir);
    /* With --config, its notice_days, unless --notice-days was given. */
    if (status == 0 && notice_text == NULL && s.config_path != NULL)
        notice_days = s.config.notice_days;
    if (status != 0) {
        rb_session_end(&s, RB_OK, NULL);
        goto done;
    }
    char by_text[RB_LIFE_BY_MAX + 1];
    if ((status = rb_cli_by("run", by != NULL ? by : rb_login_name(), by_text, sizeof by_text)) != 0) {
        rb_session_end(&s, RB_OK, NULL);
        goto done;
    }
    by = by_text;
    /* The same lock as nightly: a run by staff while the nightly job works
     * exits 75 at once rather than waiting on the database. */
    rb_status st = rb_session_open(&s, RB_DB_EXISTING, true, dry_run ? NULL : "run", by);
    /* With --config, its calendar folder and contact line (docs/report.md). */
    if (st == RB_OK)
        st = rb_workdays_load(s.config.holidays, &calendar, &s.err);
    rb_run_options opts = {
        .policy_year = year,
        .as_of = as_of,
        .out_dir = out_abs,
        .usccs = list.usccs,
        .n_usccs = list.n,
        .dry_run = dry_run,
        .by = by,
        .login = rb_process_login(),
        .run_id = s.run_id,
        .notify = {rb_cli_notify, NULL},
        .notice_days = notice_days,
        .calendar = calendar,
        .notice_contact = s.config.notice_contact,
    };
    rb_run_result result = {0};
    if (st == RB_OK)
        st = rb_run(s.db, &opts, &result, &s.err);
    rb_strbuf detail = RB_STRBUF_INIT;
    bool written = true;
    if (st == RB_OK && result.published) {
        char total[RB_MONEY_BUFSZ];
        rb_money_format(result.total, total);
        written = rb_strbuf_addf(
            &detail, "%s %s: %lld firms: PAY %lld, REVIEW %lld, REJECT %lld, SKIP %lld; %lld payments totalling %s yuan",
            dry_run ? "preview" : "batch", result.batch_id, (long long)result.firms,
            (long long)result.by_outcome[RB_OUTCOME_PAY], (long long)result.by_outcome[RB_OUTCOME_REVIEW],
            (long long)result.by_outcome[RB_OUTCOME_REJECT], (long long)result.by_outcome[RB_OUTCOME_SKIP],
            (long long)result.payments, total);
        if (written)
            printf("%s\n%s%s\n", detail.buf, result.folder,
                   dry_run         ? "  (dry run: nothing recorded in the ledger)"
                   : result.closed ? "  (no payment: the batch is closed, nothing to approve)"
                                   : "");
    } else if (st == RB_OK) {
        written = rb_strbuf_adds(&detail, "no firm to decide: no batch published");
        if (written)
            printf("%s\n", detail.buf);
    }
    if (!written)
        st = rb_fail(&s.err, RB_E_INTERNAL, "out of memory");
    status = rb_session_end(&s, st, detail.buf);
    rb_strbuf_release(&detail);
    rb_run_result_free(&result);
done:
    rb_workdays_free(calendar);
    free(out_abs);
    free(list.codes);
    free(list.usccs);
    return status;
}
