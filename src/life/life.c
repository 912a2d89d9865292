/* The state changes of a batch after publication (rebate/life.h): approve,
 * void and reconcile, each in one write transaction with its folder step.
 *
 * Crash order, for approve and void alike: the folder step is written under
 * a dot name and made durable first, then the ledger commits, then the dot
 * name is renamed into place. Before the commit a crash leaves the old state
 * and a dot-named leftover the next attempt removes; after it, the state is
 * recorded and a rerun of the same command writes the folder step again from
 * what the ledger recorded (the same bytes) and renames it into place. A
 * visible bank/ therefore always belongs to a recorded approval. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebate/alloc.h"
#include "rebate/batches.h"
#include "rebate/crash.h"
#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/fsutil.h"
#include "rebate/events.h"
#include "rebate/life.h"
#include "rebate/payments.h"
#include "rebate/notice_dates.h"
#include "rebate/workdays.h"
#include "rebate/strbuf.h"
#include "rebate/text.h"

/* The names in a batch folder that the states of its life stand for. */
#define BANK_DIR "bank"
#define BANK_STAGING ".bank-staging"
#define VOID_NOTE "VOIDED.txt"
#define VOID_NOTE_STAGING ".VOIDED.txt.staging"

static rb_status out_of_memory(rb_error *err)
{
    return rb_fail(err, RB_E_INTERNAL, "out of memory");
}

static bool path_exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

/* ---- people and their words ---- */

/* A name or reason given by a person (the command line has checked it
 * already and named its option; this is the library's own guard). */
static rb_status check_typed(const char *what, const char *text, size_t max, rb_error *err)
{
    char why[64];
    const char *problem = rb_text_typed_problem(text, max, why);
    return problem == NULL ? RB_OK : rb_fail(err, RB_E_USAGE, "%s %s", what, problem);
}

/* text trimmed of spaces, tabs and U+3000, as a heap string. */
static char *trimmed_dup(const char *text)
{
    const char *start = text;
    size_t len = strlen(text);
    rb_text_trim(&start, &len);
    return rb_strndup(start, len);
}

bool rb_same_person(const char *a, const char *b)
{
    if (!rb_utf8_valid(a, strlen(a), NULL) || !rb_utf8_valid(b, strlen(b), NULL))
        return strcasecmp(a, b) == 0; /* cannot fold: compare as typed */
    return rb_names_equal_ignoring_case(a, b);
}

/* Starts the write transaction and reads the batch in it. */
static rb_status begin_with_batch(sqlite3 *db, const char *batch_id, rb_batch_record *b, bool *in_transaction,
                                  rb_error *err)
{
    rb_status st = rb_db_begin(db, err);
    if (st != RB_OK)
        return st;
    *in_transaction = true;
    return rb_batch_record_load(db, batch_id, b, err);
}

/* ---- approve ---- */

void rb_approve_result_free(rb_approve_result *r)
{
    free(r->approved_by);
    free(r->approved_at);
    free(r->bank_dir);
    memset(r, 0, sizeof *r);
}

/* The fund's account is complete: all four settings given. */
static bool fund_complete(const rb_debtor_row *fund)
{
    return fund != NULL && fund->name != NULL && fund->name[0] != '\0' && fund->account != NULL &&
           fund->account[0] != '\0' && fund->bank_code != NULL && fund->bank_code[0] != '\0' &&
           fund->bank_name != NULL && fund->bank_name[0] != '\0';
}

/* Refuses an approver who accepted (review verdict) a firm the batch pays. */
typedef struct reviewer_check {
    const char *by;
    const char *batch_id;
} reviewer_check;

static rb_status check_reviewer(void *ctx, const char *reviewer, const char *uscc, rb_error *err)
{
    const reviewer_check *c = ctx;
    if (rb_same_person(c->by, reviewer))
        return rb_fail(err, RB_E_USAGE,
                       "%s accepted firm %s in review, and batch %s pays it, so %s cannot approve the batch: someone "
                       "else must sign it off",
                       reviewer, uscc, c->batch_id, c->by);
    return RB_OK;
}

/* One event of the batch's own state change. */
static rb_status batch_event(sqlite3 *db, const char *batch_id, const char *from, const char *to,
                             const rb_actor *who, const char *why, rb_error *err)
{
    rb_event e = {.kind = RB_EVENT_BATCH,
                  .subject = batch_id,
                  .batch_id = batch_id,
                  .from_state = from,
                  .to_state = to,
                  .by = who->by,
                  .login = who->login,
                  .run_id = who->run_id,
                  .why = why};
    return rb_event_add(db, &e, err);
}

rb_status rb_batch_approve(sqlite3 *db, const rb_life_steps *steps, const char *batch_id, const rb_actor *who,
                           const rb_debtor_row *fund, rb_approve_result *out, rb_error *err)
{
    const char *by_typed = who->by;
    memset(out, 0, sizeof *out);
    rb_batch_record b = {0};
    char *by = NULL, *staging = NULL;
    char now[32];
    bool in_transaction = false, staging_written = false;
    rb_status st = check_typed("the approver's name", by_typed, RB_LIFE_BY_MAX, err);
    if (st != RB_OK)
        goto out;
    if ((by = trimmed_dup(by_typed)) == NULL) {
        st = out_of_memory(err);
        goto out;
    }
    if ((st = begin_with_batch(db, batch_id, &b, &in_transaction, err)) != RB_OK)
        goto out;
    if ((out->bank_dir = rb_path_joined(b.folder, BANK_DIR)) == NULL ||
        (staging = rb_path_joined(b.folder, BANK_STAGING)) == NULL) {
        st = out_of_memory(err);
        goto out;
    }

    if (strcmp(b.state, "voided") == 0) {
        st = rb_fail(err, RB_E_USAGE, "batch %s was voided by %s at %s (%s); a voided batch cannot be approved",
                     b.batch_id, b.voided_by, b.voided_at, b.void_reason);
        goto out;
    }
    if (strcmp(b.state, "closed") == 0) {
        st = rb_fail(err, RB_E_USAGE,
                     "batch %s has no payments: it was closed when it was published; there is nothing to approve or "
                     "send to the bank",
                     b.batch_id);
        goto out;
    }
    if (strcmp(b.state, "settled") == 0) {
        st = rb_fail(err, RB_E_USAGE, "batch %s is already approved (by %s at %s) and settled with the bank",
                     b.batch_id, b.approved_by, b.approved_at);
        goto out;
    }
    if (strcmp(b.state, "approved") == 0) {
        if (path_exists(out->bank_dir)) {
            st = rb_fail(err, RB_E_USAGE, "batch %s is already approved (by %s at %s); its bank file is '%s/payout.xml'",
                         b.batch_id, b.approved_by, b.approved_at, out->bank_dir);
            goto out;
        }
        /* Recorded, but a crash kept bank/ from its place: write it again
         * from what was recorded, while no answer has changed a payment. */
        int64_t answered = 0, approved = 0;
        rb_fen sum = 0;
        if ((st = rb_batch_payments_in_state(db, b.batch_id, NULL, &answered, &sum, err)) != RB_OK ||
            (st = rb_batch_payments_in_state(db, b.batch_id, "approved", &approved, &sum, err)) != RB_OK)
            goto out;
        if (approved != answered) {
            st = rb_fail(err, RB_E_USAGE,
                         "batch %s is approved (by %s at %s) and the bank has answered for %lld of its payments, but "
                         "'%s' is missing: restore it from a backup; it is not written again",
                         b.batch_id, b.approved_by, b.approved_at, (long long)(answered - approved), out->bank_dir);
            goto out;
        }
        out->finished = true;
        out->approved_by = rb_strdup(b.approved_by);
        out->approved_at = rb_strdup(b.approved_at);
    } else if (strcmp(b.state, "published") == 0) {
        if (!fund_complete(fund)) {
            st = rb_fail(err, RB_E_CONFIG,
                         "the fund's own account is not configured (fund_account_name, fund_account, fund_bank_name "
                         "and fund_bank_code of the config file): the bank file never carries a placeholder payer, "
                         "so batch %s was not approved",
                         b.batch_id);
            goto out;
        }
        if (rb_same_person(by, b.created_by)) {
            st = rb_fail(err, RB_E_USAGE, "%s ran batch %s, so %s cannot approve it: someone else must sign it off",
                         b.created_by, b.batch_id, by);
            goto out;
        }
        reviewer_check rc = {by, b.batch_id};
        if ((st = rb_batch_each_reviewer(db, b.batch_id, check_reviewer, &rc, err)) != RB_OK)
            goto out;
        if (b.payments == 0) {
            st = rb_fail(err, RB_E_USAGE, "batch %s has no payments: there is nothing to approve or send to the bank",
                         b.batch_id);
            goto out;
        }
        /* Not before the public notice has run its course (docs/report.md),
         * by the real date of the approval. */
        rb_notice_dates dates;
        if ((st = rb_notice_dates_get(db, b.batch_id, &dates, err)) != RB_OK)
            goto out;
        if (dates.recorded && rb_date_today() < dates.notice_end) {
            char end[11], end_zh[32];
            st = rb_fail(err, RB_E_USAGE,
                         "batch %s is under public notice until %s (公示截止 %s%s): it can be approved from that day",
                         b.batch_id, rb_date_format(dates.notice_end, end), rb_date_format_zh(dates.notice_end, end_zh),
                         dates.provisional ? "，暂按周末计算" : "");
            goto out;
        }
        if ((st = rb_debtor_record(db, b.batch_id, fund, err)) != RB_OK)
            goto out;
        if (path_exists(out->bank_dir)) {
            st = rb_fail(err, RB_E_CANTWRITE,
                         "'%s' already exists although batch %s is not approved; rebate did not write it: move it "
                         "away and approve again",
                         out->bank_dir, b.batch_id);
            goto out;
        }
        out->approved_by = rb_strdup(by);
        out->approved_at = rb_strdup(rb_now_utc(now));
    } else {
        st = rb_fail(err, RB_E_INTERNAL, "batch %s has the unknown state '%s'", b.batch_id, b.state);
        goto out;
    }
    if (out->approved_by == NULL || out->approved_at == NULL) {
        st = out_of_memory(err);
        goto out;
    }

    if ((st = steps->verify_folder(&b, err)) != RB_OK ||
        (st = rb_batch_expect_payments(db, &b, out->finished ? "approved" : "published", err)) != RB_OK)
        goto out;
    staging_written = true;
    if ((st = steps->write_bank(db, &b, out->approved_by, out->approved_at, staging, err)) != RB_OK)
        goto out;
    rb_crash_point("bank-written");
    if (!out->finished &&
        ((st = rb_batch_set_approved(db, &b, out->approved_by, out->approved_at, err)) != RB_OK ||
         (st = batch_event(db, b.batch_id, "published", "approved", &(rb_actor){out->approved_by, who->login,
                                                                                 who->run_id},
                           NULL, err)) != RB_OK ||
         (st = rb_events_add_payments(db, b.batch_id, "published", "approved", out->approved_by, who->login,
                                      who->run_id, NULL, err)) != RB_OK))
        goto out;
    if ((st = rb_db_commit(db, err)) != RB_OK)
        goto out;
    in_transaction = false;
    staging_written = false; /* from here the staging folder is the approval's */
    rb_crash_point("approve-committed");
    out->payments = b.payments;
    out->total = b.total;
    rb_error rename_err = {0};
    if (rb_fs_rename_noreplace(staging, out->bank_dir, &rename_err) != RB_OK)
        st = rb_fail(err, RB_E_CANTWRITE, "batch %s is approved in the ledger, but its bank folder is not in place (%s); "
                     "run approve again to finish", b.batch_id, rename_err.message);
out:
    if (in_transaction)
        rb_db_rollback(db);
    if (staging_written)
        rb_fs_remove_tree(staging, NULL); /* not recorded: not an approval */
    rb_batch_record_free(&b);
    free(by);
    free(staging);
    return st;
}

/* ---- void ---- */

void rb_void_result_free(rb_void_result *r)
{
    free(r->voided_at);
    memset(r, 0, sizeof *r);
}

rb_status rb_batch_void(sqlite3 *db, const rb_life_steps *steps, const char *batch_id, const rb_actor *who,
                        const char *reason_typed, rb_void_result *out, rb_error *err)
{
    const char *by_typed = who->by;
    memset(out, 0, sizeof *out);
    rb_batch_record b = {0};
    char *by = NULL, *reason = NULL, *note = NULL, *note_staging = NULL, *bank_staging = NULL;
    char now[32];
    bool in_transaction = false, folder = false;
    rb_status st;
    if ((st = check_typed("the name of who voids", by_typed, RB_LIFE_BY_MAX, err)) != RB_OK ||
        (st = check_typed("the reason", reason_typed, RB_LIFE_REASON_MAX, err)) != RB_OK)
        goto out;
    if ((by = trimmed_dup(by_typed)) == NULL || (reason = trimmed_dup(reason_typed)) == NULL) {
        st = out_of_memory(err);
        goto out;
    }
    if ((st = begin_with_batch(db, batch_id, &b, &in_transaction, err)) != RB_OK)
        goto out;
    if ((note = rb_path_joined(b.folder, VOID_NOTE)) == NULL ||
        (note_staging = rb_path_joined(b.folder, VOID_NOTE_STAGING)) == NULL ||
        (bank_staging = rb_path_joined(b.folder, BANK_STAGING)) == NULL) {
        st = out_of_memory(err);
        goto out;
    }
    struct stat sb;
    folder = stat(b.folder, &sb) == 0 && S_ISDIR(sb.st_mode);
    out->folder_missing = !folder;
    out->payments = b.payments;
    out->total = b.total;

    if (strcmp(b.state, "closed") == 0) {
        st = rb_fail(err, RB_E_USAGE, "batch %s has no payments: it was closed when it was published; there is "
                     "nothing to void", b.batch_id);
        goto out;
    }
    if (strcmp(b.state, "approved") == 0 || strcmp(b.state, "settled") == 0) {
        st = rb_fail(err, RB_E_USAGE,
                     "batch %s was approved by %s at %s; an approved batch cannot be voided: its bank file may be "
                     "at the bank already (a returned transfer comes back through 'rebate reconcile')",
                     b.batch_id, b.approved_by, b.approved_at);
        goto out;
    }
    if (strcmp(b.state, "voided") == 0) {
        if (!folder || path_exists(note)) {
            st = rb_fail(err, RB_E_USAGE, "batch %s is already voided (by %s at %s: %s)", b.batch_id, b.voided_by,
                         b.voided_at, b.void_reason);
            goto out;
        }
        /* Recorded, but a crash kept the note from its place. */
        out->finished = true;
        if ((out->voided_at = rb_strdup(b.voided_at)) == NULL) {
            st = out_of_memory(err);
            goto out;
        }
        rb_db_rollback(db);
        in_transaction = false;
        if ((st = steps->write_void_note(&b, b.voided_by, b.voided_at, b.void_reason, VOID_NOTE_STAGING, err)) ==
            RB_OK)
            st = rb_fs_rename_noreplace(note_staging, note, err);
        goto out;
    }
    if (strcmp(b.state, "published") != 0) {
        st = rb_fail(err, RB_E_INTERNAL, "batch %s has the unknown state '%s'", b.batch_id, b.state);
        goto out;
    }
    if ((out->voided_at = rb_strdup(rb_now_utc(now))) == NULL) {
        st = out_of_memory(err);
        goto out;
    }
    if (folder) {
        if (path_exists(note)) {
            st = rb_fail(err, RB_E_CANTWRITE,
                         "'%s' already exists although batch %s is not voided; rebate did not write it: move it away "
                         "and void again",
                         note, b.batch_id);
            goto out;
        }
        /* An approval that never committed leaves nothing to keep. */
        if ((st = rb_fs_remove_tree(bank_staging, err)) != RB_OK ||
            (st = steps->write_void_note(&b, by, out->voided_at, reason, VOID_NOTE_STAGING, err)) != RB_OK)
            goto out;
    }
    rb_crash_point("void-note-written");
    if ((st = rb_batch_expect_payments(db, &b, "published", err)) != RB_OK ||
        (st = rb_batch_set_voided(db, &b, by, out->voided_at, reason, err)) != RB_OK ||
        (st = batch_event(db, b.batch_id, "published", "voided", &(rb_actor){by, who->login, who->run_id}, reason,
                          err)) != RB_OK ||
        (st = rb_events_add_payments(db, b.batch_id, "published", "voided", by, who->login, who->run_id, reason,
                                     err)) != RB_OK ||
        (st = rb_db_commit(db, err)) != RB_OK)
        goto out;
    in_transaction = false;
    rb_crash_point("void-committed");
    rb_error rename_err = {0};
    if (folder && rb_fs_rename_noreplace(note_staging, note, &rename_err) != RB_OK)
        st = rb_fail(err, RB_E_CANTWRITE,
                     "batch %s is voided in the ledger, but its note is not in place (%s); run void again to finish",
                     b.batch_id, rename_err.message);
out:
    if (in_transaction) {
        rb_db_rollback(db);
        if (folder && !out->finished && note_staging != NULL)
            unlink(note_staging); /* not recorded: no note */
    }
    rb_batch_record_free(&b);
    free(by);
    free(reason);
    free(note);
    free(note_staging);
    free(bank_staging);
    return st;
}
