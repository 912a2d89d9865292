/* `rebate review (--db DB | --config FILE) --year Y --uscc CODE (--accept |
 * --reject) --by NAME --note TEXT`: records a person's verdict on a REVIEW
 * firm (docs/rules.md, "Review verdicts"); the next run follows it. The work is
 * rb_review_record's; this file parses the options and maps the status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/people.h"
#include "rebate/config.h"
#include "rebate/db.h"
#include "rebate/ledger.h"
#include "rebate/lock.h"
#include "rebate/review.h"
#include "rebate/rules.h"
#include "rebate/strbuf.h"
#include "rebate/text.h"
#include "rebate/uscc.h"

static const char review_description[] =
    "Records a person's verdict on a firm whose decision is REVIEW: --accept (the\n"
    "check found nothing against paying it; the next run pays it) or --reject (the\n"
    "next run rejects it with REVIEW_REJECTED, and it leaves the exceptions). The\n"
    "verdict covers the firm's reasons and amount as they are now; when either\n"
    "changes, the firm is REVIEW again. Only these reasons can be accepted:\n"
    "REG_MISSING, REG_SUSPENDED, UI_SUSPENDED, LAYOFF_HIGH, LABOUR_DISPATCH,\n"
    "NAME_MISMATCH, AMOUNT_HIGH (table clearable_reasons); the account reasons and\n"
    "the data-quality reasons are cleared only by corrected data. Verdicts are never\n"
    "changed: a later one replaces the earlier. Whoever accepts a firm cannot\n"
    "approve the batch that pays it.\n"
    "\n"
    "\n";

static const char review_footer[] =
    "Exit status: 0 recorded; 64 bad option, a firm that is not REVIEW, or an\n"
    "accept of a reason a verdict cannot clear; 66 no such database, or the code\n"
    "is not an insured unit of the snapshot; 75 another run holds the lock;\n"
    "78 a bad config file.\n";

/* --uscc: one firm; a second one is refused, never silently dropped. */
static int take_uscc(void *value, const char *arg)
{
    const char **uscc = value;
    if (*uscc != NULL)
        return rb_usage_error("review", "--uscc is given twice ('%s' and '%s'): a verdict is for one firm", *uscc,
                              arg);
    *uscc = arg;
    return 0;
}

int cmd_review(int argc, char **argv)
{
    const char *year_text = NULL, *uscc_text = NULL, *by = NULL, *note = NULL;
    bool accept = false, reject = false;
    const rb_option options[] = {
        {"year", "Y", RB_OPT_STRING, &year_text, false, "the policy year (default with --config: its policy_year)",
         NULL},
        {"uscc", "CODE", RB_OPT_CALL, &uscc_text, true,
         "the firm (spaces and full-width characters are ignored)", take_uscc},
        {"accept", NULL, RB_OPT_FLAG, &accept, false, "the firm is to be paid", NULL},
        {"reject", NULL, RB_OPT_FLAG, &reject, false, "the firm is not to be paid", NULL},
        {"by", "NAME", RB_OPT_STRING, &by, true, "who decided", NULL},
        {"note", "TEXT", RB_OPT_STRING, &note, true, "why: what was checked", NULL},
        RB_OPT_END,
    };
    const rb_command_line line = {.name = "review",
                                  .synopsis = "--db DB --year Y --uscc CODE (--accept | --reject) --by NAME --note TEXT",
                                  .description = review_description,
                                  .footer = review_footer,
                                  .options = options,
                                  .db_help = "the rebate database (must exist)"};
    rb_session s;
    int32_t year = 0;
    char by_text[RB_REVIEW_BY_MAX + 1], note_text[RB_REVIEW_NOTE_MAX + 1];
    int status = rb_session_start(&s, &line, argc, argv);
    if (status >= 0)
        return status;
    rb_error typed = {0};
    if (uscc_text == NULL)
        status = rb_usage_error("review", "--uscc CODE is required");
    else if (accept == reject)
        status = rb_usage_error("review", "give one of --accept or --reject");
    else if ((status = rb_cli_by("review", by, by_text, sizeof by_text)) != 0)
        ;
    else if (rb_text_typed("--note", note, RB_REVIEW_NOTE_MAX, note_text, &typed) != RB_OK)
        status = rb_usage_error("review", "%s", typed.message);
    else
        status = rb_session_year(&s, &line, year_text, &year);
    if (status != 0) {
        rb_session_end(&s, RB_OK, NULL);
        return status;
    }
    char uscc[RB_USCC_LEN + 1];
    rb_params params;
    rb_review_result result;
    rb_strbuf detail = RB_STRBUF_INIT;
    rb_status st = rb_uscc_parse(uscc_text, uscc, &s.err);
    if (st == RB_OK && (st = rb_session_open(&s, RB_DB_EXISTING, true, "review", by_text)) == RB_OK &&
        (st = rb_params_load(s.db, year, &params, &s.err)) == RB_OK)
        st = rb_review_record(s.db, &params, uscc, accept, by_text, rb_process_login(), note_text, s.run_id, &result,
                              &s.err);
    if (st == RB_OK) {
        char reasons[512], amount[RB_MONEY_BUFSZ];
        rb_reasons_format(result.covered, reasons, sizeof reasons);
        if (!rb_strbuf_addf(&detail, "%s %s for %d by %s: covers %s, %s yuan (verdict %lld%s)",
                            accept ? "accepted" : "rejected", uscc, (int)year, by_text, reasons,
                            rb_money_format(result.amount, amount), (long long)result.verdict_id,
                            result.superseded ? ", replacing the earlier verdict" : ""))
            st = rb_fail(&s.err, RB_E_INTERNAL, "out of memory");
        else
            printf("%s\n%s\n", detail.buf,
                   accept ? "The next run pays it while its reasons and amount stay as they are now."
                          : "The next run rejects it (REVIEW_REJECTED) while its reasons and amount stay as they "
                            "are now.");
    }
    status = rb_session_end(&s, st, detail.buf);
    rb_strbuf_release(&detail);
    return status;
}
