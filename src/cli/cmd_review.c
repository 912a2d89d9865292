/* `rebate review (--db DB | --config FILE) --year Y --uscc CODE (--accept |
 * --reject) --by NAME --note TEXT`: records a person's verdict on a REVIEW
 * firm (rules.md, "Review verdicts"); the next run follows it. The work is
 * rb_review_record's; this file parses the options and maps the status. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/people.h"
#include "rebate/config.h"
#include "rebate/db.h"
#include "rebate/ledger.h"
#include "rebate/lock.h"
#include "rebate/review.h"
#include "rebate/rules.h"
#include "rebate/text.h"

static const char review_usage[] =
    "usage: rebate review (--db DB | --config FILE) --year Y --uscc CODE (--accept | --reject)\n"
    "                     --by NAME --note TEXT\n"
    "\n"
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
    "  --db DB          the rebate database (must exist)\n"
    "  --config FILE    read the database (and the year, if --year is not given)\n"
    "                   from the nightly config file instead\n"
    "  --year Y         the policy year\n"
    "  --uscc CODE      the firm (spaces and full-width characters are ignored)\n"
    "  --accept         the firm is to be paid\n"
    "  --reject         the firm is not to be paid\n"
    "  --by NAME        who decided (required)\n"
    "  --note TEXT      why: what was checked (required)\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 recorded; 64 bad option, a firm that is not REVIEW, or an\n"
    "accept of a reason a verdict cannot clear; 66 no such database, or the code\n"
    "is not an insured unit of the snapshot; 75 another run holds the lock;\n"
    "78 a bad config file.\n";

int cmd_review(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},     {"config", required_argument, NULL, 'c'},
        {"year", required_argument, NULL, 'y'},   {"uscc", required_argument, NULL, 'u'},
        {"accept", no_argument, NULL, 'a'},       {"reject", no_argument, NULL, 'r'},
        {"by", required_argument, NULL, 'b'},     {"note", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *db_path = NULL, *config_path = NULL, *year_text = NULL, *uscc_text = NULL, *by = NULL,
               *note = NULL;
    int accept = 0, reject = 0, status = 0, c, n_uscc = 0;
    rb_config config = {0};
    sqlite3 *db = NULL;
    rb_lock *lock = NULL;
    rb_error err = {0};
    int64_t run_id = 0;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'd': db_path = optarg; break;
        case 'c': config_path = optarg; break;
        case 'y': year_text = optarg; break;
        case 'u': uscc_text = optarg; n_uscc++; break;
        case 'a': accept = 1; break;
        case 'r': reject = 1; break;
        case 'b': by = optarg; break;
        case 'n': note = optarg; break;
        case 'h':
            fputs(review_usage, stdout);
            goto out;
        case ':':
            status = rb_usage_error("review", "option '%s' needs a value", argv[optind - 1]);
            goto out;
        default:
            status = rb_usage_error("review", "unknown option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (optind < argc) {
        status = rb_usage_error("review", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if ((db_path == NULL) == (config_path == NULL)) {
        status = rb_usage_error("review", "give either --db or --config (one of them)");
        goto out;
    }
    if (uscc_text == NULL || by == NULL || note == NULL || accept + reject != 1) {
        status = rb_usage_error("review", "--uscc, --by, --note and one of --accept or --reject are required");
        goto out;
    }
    if (n_uscc > 1) {
        status = rb_usage_error("review", "--uscc is given %d times: a verdict is for one firm", n_uscc);
        goto out;
    }
    char by_text[RB_REVIEW_BY_MAX + 1];
    if ((status = rb_cli_by("review", by, by_text, sizeof by_text)) != 0)
        goto out;
    char note_text[RB_REVIEW_NOTE_MAX + 1];
    if (rb_text_typed("--note", note, RB_REVIEW_NOTE_MAX, note_text, &err) != RB_OK) {
        status = rb_usage_error("review", "%s", err.message);
        goto out;
    }
    rb_status st;
    if (config_path != NULL) {
        if ((st = rb_config_load(config_path, &config, &err)) != RB_OK) {
            status = rb_exit(st, &err);
            goto out;
        }
        db_path = config.database;
    }
    int32_t year = config_path != NULL ? config.policy_year : 0;
    if (year_text != NULL && rb_parse_year(year_text, &year) != 0) {
        status = rb_usage_error("review", "--year '%s' is not a four-digit year", year_text);
        goto out;
    }
    if (year == 0) {
        status = rb_usage_error("review", "--year is required with --db");
        goto out;
    }
    char uscc[RB_USCC_LEN + 1];
    if ((st = rb_uscc_parse(uscc_text, uscc, &err)) != RB_OK) {
        status = rb_exit(st, &err);
        goto out;
    }
    rb_params params;
    if ((st = rb_db_open(db_path, RB_DB_EXISTING, &db, &err)) != RB_OK ||
        (st = rb_lock_database(db_path, &lock, &err)) != RB_OK ||
        (st = rb_params_load(db, year, &params, &err)) != RB_OK) {
        status = rb_exit(st, &err);
        goto out;
    }
    rb_runs_start(db, "review", by_text, &run_id, NULL);
    rb_review_result result;
    st = rb_review_record(db, &params, uscc, accept != 0, by_text, rb_process_login(), note_text, run_id, &result,
                          &err);
    char detail[1024] = "";
    if (st == RB_OK) {
        char reasons[512], amount[RB_MONEY_BUFSZ];
        rb_reasons_format(result.covered, reasons, sizeof reasons);
        snprintf(detail, sizeof detail, "%s %s for %d by %s: covers %s, %s yuan (verdict %lld%s)",
                 accept ? "accepted" : "rejected", uscc, (int)year, by_text, reasons,
                 rb_money_format(result.amount, amount), (long long)result.verdict_id,
                 result.superseded ? ", replacing the earlier verdict" : "");
        printf("%s\n%s\n", detail,
               accept ? "The next run pays it while its reasons and amount stay as they are now."
                      : "The next run rejects it (REVIEW_REJECTED) while its reasons and amount stay as they are now.");
    }
    status = rb_exit(st, &err);
    rb_runs_finish(db, run_id, status, st == RB_OK ? detail : err.message);
out:
    rb_db_close(db);
    rb_lock_release(lock);
    rb_config_free(&config);
    return status;
}
