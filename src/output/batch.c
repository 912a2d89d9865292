/* One run of the rules over a policy year, and the publication of its batch.
 *
 * Protocol (docs/batch.md): everything happens inside one write transaction
 * of the database. The files are written into OUT/.staging-<id>/, fsynced,
 * the control totals re-read from the written payout.csv and compared with
 * the ledger, SHA256SUMS written; then the ledger is committed and only then
 * the staging folder renamed to OUT/<id>. A crash before the commit leaves
 * no payment (the staging folder is removed by the next run); a crash
 * between commit and rename leaves a complete, checksummed staging folder
 * that the next run renames into place (rb_batch_repair). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebate/alloc.h"
#include "rebate/batch.h"
#include "rebate/events.h"
#include "rebate/payments.h"
#include "rebate/crash.h"
#include "rebate/csv_writer.h"
#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/outbox.h"
#include "rebate/decision_log.h"
#include "rebate/fsutil.h"
#include "rebate/ledger.h"
#include "rebate/sha256.h"
#include "rebate/snapshot.h"
#include "rebate/strbuf.h"
#include "rebate/sums.h"
#include "rebate/text.h"
#include "rebate/words.h"
#include "rebate/workdays.h"
#include "output/batch_files.h"

#define STAGING_PREFIX ".staging-"
#define RUN_CACHE_KIB "32768"
#define LEDGER_CHUNK 2048 /* firms handed to the ledger's thread at a time */
#define LEDGER_CHUNKS 4

/* The state of one run while it writes its batch. */
typedef struct batch_run {
    sqlite3 *db;
    const rb_params *params;
    const rb_run_options *opts;
    rb_run_result *result;
    rb_ledger ledger;
    rb_decision_writer decisions;
    bool ledger_open;
    char batch_id[128];
    int64_t batch_no;          /* the batch's number (order of making) */
    char *staging;             /* OUT/.staging-<name> (heap) */
    char *final_dir;           /* OUT/<name> (heap) */
    rb_batch_files files;
    bool files_open;
    struct hash_job *hashing;  /* the read-back and digests, until sum_up frees them */
    int64_t reason_counts[RB_R_COUNT];
    rb_workdays *calendar;     /* the compiled-in calendar, when the options give none */
} batch_run;

/* dir/name as a new heap string into *out. */
static rb_status join_path(char **out, const char *dir, const char *name, rb_error *err)
{
    if ((*out = rb_path_joined(dir, name)) == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory");
    return RB_OK;
}

/* The parameter row as "column=value;..." so that a batch says for ever
 * which numbers it was computed with, even if the row is corrected later. */
static void describe_params(const rb_params *p, char *buf, size_t size)
{
    snprintf(buf, size,
             "policy_year=%d;rate_smm_pct=%d;rate_large_pct=%d;layoff_target_permille=%d;"
             "small_unit_layoff_cap_permille=%d;full_months_rule=%s;tax_account_allowed=%d;layoff_method=%s;"
             "scope_max_headcount=%lld;small_unit_max_headcount=%lld;min_full_months=%lld;"
             "large_firm_min_headcount=%lld;review_amount_fen=%lld;headcount_basis=%s;legal_reference=%s",
             (int)p->policy_year, (int)p->rate_smm_pct, (int)p->rate_large_pct, (int)p->layoff_target_permille,
             (int)p->small_unit_layoff_cap_permille,
             p->full_months_rule == RB_FULL_MONTHS_CUMULATIVE ? "cumulative" : "data_year",
             p->tax_account_allowed ? 1 : 0,
             p->layoff_method == RB_LAYOFF_CLAIMANTS ? "claimants" : "december_stock",
             (long long)p->scope_max_headcount, (long long)p->small_unit_max_headcount,
             (long long)p->min_full_months, (long long)p->large_firm_min_headcount, (long long)p->review_amount,
             p->headcount_basis == RB_HEADCOUNT_AVERAGE ? "average" : "december", p->legal_reference);
}

/* One firm handed to the ledger: its decision, recorded when it changed,
 * and, for a PAY, the account its payment goes to (text in the chunk's
 * buffer). */
typedef struct ledger_entry {
    rb_decision_row row;       /* recorded (when it changed: see ledger_thread.previous) */
    bool pay;                  /* and a payment of row.amount */
    int32_t next_attempt;
    size_t text[5]; /* account_name, bank_name, bank_code, bank_account, name: offset + 1, 0 for NULL */
} ledger_entry;

typedef struct ledger_chunk {
    struct ledger_chunk *next;
    size_t n;
    bool last;                 /* no firm after these */
    ledger_entry entries[LEDGER_CHUNK];
    rb_strbuf text;
} ledger_chunk;

/* Firms decided on this thread are recorded by another, which owns the
 * write transaction, while this one reads the snapshot through a second
 * connection and writes the files: the two halves of a run take about as
 * long as each other. */
typedef struct ledger_thread {
    batch_run *run;
    /* For a batch of all firms: every firm's decision as of the last batch,
     * read here beside the firms handed on, so that a firm's row is
     * recorded only when it differs (a PAY always) and a GONE row is
     * recorded for a firm that left; the deciding thread does not wait for
     * that reading. NULL: every row handed on is recorded. */
    rb_decision_log *previous;
    const rb_decision_row *prev;  /* the next of previous, NULL at its end */
    int64_t recorded;             /* rows of decisions recorded */
    pthread_mutex_t mu;
    pthread_cond_t changed;
    ledger_chunk *full, *full_tail, *free;
    bool failed;
    rb_error error;
    ledger_chunk chunks[LEDGER_CHUNKS];
} ledger_thread;

static void ledger_fail(ledger_thread *t, const rb_error *err)
{
    pthread_mutex_lock(&t->mu);
    if (!t->failed) {
        t->failed = true;
        t->error = *err;
    }
    pthread_cond_broadcast(&t->changed);
    pthread_mutex_unlock(&t->mu);
}

static const char *entry_text(const ledger_chunk *c, const ledger_entry *e, int i)
{
    return e->text[i] ? c->text.buf + e->text[i] - 1 : NULL;
}

/* The firms of the last batch that come before uscc (all of them when uscc
 * is NULL) left the population: a GONE row each. */
static rb_status record_gone(ledger_thread *t, const char *uscc, rb_error *err)
{
    batch_run *run = t->run;
    rb_status st = RB_OK;
    while (t->prev != NULL && (uscc == NULL || strcmp(t->prev->uscc, uscc) < 0)) {
        rb_decision_row gone;
        memset(&gone, 0, sizeof gone);
        memcpy(gone.uscc, t->prev->uscc, sizeof gone.uscc);
        gone.outcome = "GONE";
        if ((st = rb_decision_writer_add(&run->decisions, run->params->policy_year, run->batch_id, run->batch_no,
                                         &gone, err)) != RB_OK ||
            (st = rb_decision_log_next(t->previous, &t->prev, err)) != RB_OK)
            return st;
        t->recorded++;
    }
    return st;
}

/* *record: whether the firm's row differs from its decision as of the last
 * batch (or it is paid, which makes a payment); the firms before it that
 * left are recorded on the way. */
static rb_status recorded_if_changed(ledger_thread *t, const rb_decision_row *row, bool pay, bool *record,
                                     rb_error *err)
{
    rb_status st = record_gone(t, row->uscc, err);
    if (st == RB_OK && t->prev != NULL && strcmp(t->prev->uscc, row->uscc) == 0) {
        *record = pay || !rb_decision_row_equal(t->prev, row);
        st = rb_decision_log_next(t->previous, &t->prev, err);
    }
    return st;
}

static void *ledger_main(void *arg)
{
    ledger_thread *t = arg;
    prctl(PR_SET_NAME, "rebate-ledger"); /* as top -H and perf show it */
    batch_run *run = t->run;
    rb_error err;
    rb_error_clear(&err);
    rb_status st = RB_OK;
    for (;;) {
        pthread_mutex_lock(&t->mu);
        while (t->full == NULL && !t->failed)
            pthread_cond_wait(&t->changed, &t->mu);
        ledger_chunk *c = t->failed ? NULL : t->full;
        if (c != NULL) {
            t->full = c->next;
            if (t->full == NULL)
                t->full_tail = NULL;
        }
        pthread_mutex_unlock(&t->mu);
        if (c == NULL)
            return NULL;
        for (size_t i = 0; i < c->n && st == RB_OK; i++) {
            const ledger_entry *e = &c->entries[i];
            char reference[64];
            rb_decision_row row = e->row;
            row.name = entry_text(c, e, 4);
            bool record = true;
            if (t->previous != NULL && (st = recorded_if_changed(t, &row, e->pay, &record, &err)) != RB_OK)
                break;
            if (record) {
                st = rb_decision_writer_add(&run->decisions, run->params->policy_year, run->batch_id, run->batch_no,
                                            &row, &err);
                t->recorded++;
            }
            if (st == RB_OK && e->pay) {
                rb_payment_row payment = {
                    .uscc = e->row.uscc,
                    .attempt = e->next_attempt > 0 ? e->next_attempt : 1,
                    .amount = e->row.amount,
                    .account_name = entry_text(c, e, 0),
                    .bank_name = entry_text(c, e, 1),
                    .bank_code = entry_text(c, e, 2),
                    .bank_account = entry_text(c, e, 3),
                };
                st = rb_ledger_add_payment(&run->ledger, run->batch_id, run->params->policy_year, &payment,
                                           reference, &err);
            }
        }
        bool last = c->last;
        if (st == RB_OK && last && t->previous != NULL)
            st = record_gone(t, NULL, &err);
        pthread_mutex_lock(&t->mu);
        c->n = 0;
        c->last = false;
        rb_strbuf_reset(&c->text);
        c->next = t->free;
        t->free = c;
        pthread_cond_broadcast(&t->changed);
        pthread_mutex_unlock(&t->mu);
        if (st != RB_OK) {
            ledger_fail(t, &err);
            return NULL;
        }
        if (last)
            return NULL;
    }
}

/* Hands the chunk on (NULL: nothing yet) and takes an empty one; NULL once
 * the ledger's thread failed. */
static ledger_chunk *ledger_hand_on(ledger_thread *t, ledger_chunk *full)
{
    pthread_mutex_lock(&t->mu);
    if (full != NULL) {
        full->next = NULL;
        if (t->full_tail)
            t->full_tail->next = full;
        else
            t->full = full;
        t->full_tail = full;
        pthread_cond_broadcast(&t->changed);
    }
    while (t->free == NULL && !t->failed)
        pthread_cond_wait(&t->changed, &t->mu);
    ledger_chunk *c = t->failed ? NULL : t->free;
    if (c != NULL)
        t->free = c->next;
    pthread_mutex_unlock(&t->mu);
    return c;
}

static bool add_text(ledger_chunk *c, ledger_entry *e, int i, const char *text)
{
    e->text[i] = 0;
    if (text == NULL)
        return true;
    e->text[i] = c->text.len + 1;
    return rb_strbuf_add(&c->text, text, strlen(text) + 1);
}

/* Hands one firm to the ledger's thread: its row, and its payment when
 * pay_firm is given (a PAY). */
static rb_status queue_entry(ledger_thread *t, ledger_chunk **chunk, const rb_decision_row *row,
                             const rb_firm_input *pay_firm, rb_error *err)
{
    if (*chunk == NULL || (*chunk)->n == LEDGER_CHUNK) {
        if ((*chunk = ledger_hand_on(t, *chunk)) == NULL)
            return rb_fail(err, t->error.status, "%s", t->error.message);
    }
    ledger_chunk *c = *chunk;
    ledger_entry *e = &c->entries[c->n++];
    e->row = *row;
    e->row.name = NULL;
    e->pay = pay_firm != NULL;
    e->next_attempt = pay_firm ? pay_firm->next_attempt : 0;
    if (!add_text(c, e, 0, pay_firm ? pay_firm->account_name : NULL) ||
        !add_text(c, e, 1, pay_firm ? pay_firm->bank_name : NULL) ||
        !add_text(c, e, 2, pay_firm ? pay_firm->bank_code : NULL) ||
        !add_text(c, e, 3, pay_firm ? pay_firm->bank_account : NULL) ||
        !add_text(c, e, 4, row->name))
        return rb_fail(err, RB_E_INTERNAL, "out of memory recording the decisions");
    return RB_OK;
}

/* The next firm, from the thread reading ahead when there is one. */
static rb_status next_firm(rb_firm_reader *reader, rb_firm_prefetch *prefetch, const rb_firm_input **firm,
                           rb_error *err)
{
    return prefetch ? rb_firm_prefetch_next(prefetch, firm, err) : rb_firm_reader_next(reader, firm, err);
}

/* Evaluates every firm and writes its rows; records decisions and payments
 * unless this is a dry run (then on this thread alone, from db). A batch
 * of all firms records a firm's decision only when it differs from the
 * firm's decision as of the last batch (a PAY always: it makes a payment). */
static rb_status decide_all(batch_run *run, rb_error *err)
{
    rb_firm_reader *reader = NULL;
    rb_firm_prefetch *prefetch = NULL;
    sqlite3 *reading = run->db, *previous_db = NULL;
    ledger_thread *t = NULL;
    ledger_chunk *chunk = NULL;
    pthread_t thread;
    bool started = false;
    rb_status st = RB_OK;
    if (!run->opts->dry_run) {
        t = rb_calloc(1, sizeof *t);
        if (t == NULL)
            return rb_fail(err, RB_E_INTERNAL, "out of memory starting the run");
        t->run = run;
        pthread_mutex_init(&t->mu, NULL);
        pthread_cond_init(&t->changed, NULL);
        for (int i = 0; i < LEDGER_CHUNKS; i++) {
            rb_strbuf_init(&t->chunks[i].text);
            t->chunks[i].next = t->free;
            t->free = &t->chunks[i];
        }
        if ((st = rb_snapshot_open_reader(run->db, &reading, err)) != RB_OK)
            goto out;
        /* The decisions as of the last batch: what was committed before
         * this run, on a connection of their own (the firms' is their
         * reading thread's), checked to see the same snapshot; read by the
         * ledger's thread. */
        if (run->opts->n_usccs == 0 &&
            ((st = rb_snapshot_open_reader(run->db, &previous_db, err)) != RB_OK ||
             (st = rb_decision_log_open(previous_db, run->params->policy_year, run->batch_no, false, &t->previous,
                                        err)) != RB_OK ||
             (st = rb_decision_log_next(t->previous, &t->prev, err)) != RB_OK))
            goto out;
        if (pthread_create(&thread, NULL, ledger_main, t) != 0) {
            st = rb_fail(err, RB_E_INTERNAL, "cannot start the thread of the ledger");
            goto out;
        }
        started = true;
        chunk = ledger_hand_on(t, NULL);
    }
    if ((st = rb_firm_reader_open(reading, run->params, run->opts->usccs, run->opts->n_usccs, &reader, err)) != RB_OK)
        goto out;
    /* Every firm, on its own connection: read on a thread of its own. */
    if (reading != run->db && run->opts->n_usccs == 0 &&
        (st = rb_firm_prefetch_open(reader, &prefetch, err)) != RB_OK)
        goto out;
    const rb_firm_input *firm = NULL;
    while ((st = next_firm(reader, prefetch, &firm, err)) == RB_OK && firm != NULL) {
        rb_decision decision;
        rb_decide(run->params, firm, &decision);
        char reference[64] = "";
        if (decision.outcome == RB_OUTCOME_PAY)
            snprintf(reference, sizeof reference, "%d-%s-%d", (int)run->params->policy_year, firm->uscc,
                     firm->next_attempt > 0 ? firm->next_attempt : 1);
        rb_decision_row row;
        rb_decision_row_of(firm, &decision, &row);
        if (t != NULL) {
            bool pay = decision.outcome == RB_OUTCOME_PAY;
            if ((st = queue_entry(t, &chunk, &row, pay ? firm : NULL, err)) != RB_OK)
                break;
        }
        if ((st = rb_batch_files_add(&run->files, firm, &decision, &row, reference, err)) != RB_OK)
            break;
        rb_run_result *r = run->result;
        r->firms++;
        r->by_outcome[decision.outcome]++;
        for (int i = 0; i < RB_R_COUNT; i++)
            if (decision.reasons & (1u << i))
                run->reason_counts[i]++;
        if (decision.outcome == RB_OUTCOME_PAY) {
            r->payments++;
            r->total += decision.measures.amount;
            if (decision.measures.amount > r->largest)
                r->largest = decision.measures.amount;
        }
    }
out:
    rb_firm_prefetch_close(prefetch);
    rb_firm_reader_close(reader);
    if (t != NULL) {
        if (started) {
            if (st == RB_OK && chunk != NULL) {
                /* The last firms, and the end. */
                chunk->last = true;
                pthread_mutex_lock(&t->mu);
                chunk->next = NULL;
                if (t->full_tail)
                    t->full_tail->next = chunk;
                else
                    t->full = chunk;
                t->full_tail = chunk;
                pthread_cond_broadcast(&t->changed);
                pthread_mutex_unlock(&t->mu);
            } else if (st != RB_OK) {
                ledger_fail(t, err);
            }
            pthread_join(thread, NULL);
            if (st == RB_OK && t->failed)
                st = rb_fail(err, t->error.status, "%s", t->error.message);
            run->result->decisions_recorded += t->recorded;
        }
        rb_decision_log_close(t->previous);
        for (int i = 0; i < LEDGER_CHUNKS; i++)
            rb_strbuf_release(&t->chunks[i].text);
        pthread_cond_destroy(&t->changed);
        pthread_mutex_destroy(&t->mu);
        free(t);
        if (reading != run->db)
            sqlite3_close(reading);
        sqlite3_close(previous_db);
    }
    return st;
}

/* Picks the batch id and the folders. A dry run is named PREVIEW-<id>, so
 * nobody mistakes it for a batch to pay; it takes the number the next real
 * batch would get and counts on (-2, -3 ...) when previews repeat. */
static rb_status name_batch(batch_run *run, int *seq, rb_error *err)
{
    rb_status st = rb_ledger_next_seq(run->db, run->opts->as_of, seq, err);
    if (st != RB_OK)
        return st;
    char id[32];
    snprintf(id, sizeof id, "%04d-%08d-%03d", (int)run->opts->policy_year % 10000,
             (int)run->opts->as_of % 100000000, *seq % 1000);
    snprintf(run->batch_id, sizeof run->batch_id, "%s", id);
    char name[128];
    if (!run->opts->dry_run) {
        snprintf(name, sizeof name, "%s", run->batch_id);
    } else {
        struct stat sb;
        for (int n = 1;; n++) {
            if (n == 1)
                snprintf(name, sizeof name, "PREVIEW-%s", id);
            else
                snprintf(name, sizeof name, "PREVIEW-%s-%d", id, n);
            char *probe = NULL;
            if ((st = join_path(&probe, run->opts->out_dir, name, err)) != RB_OK)
                return st;
            bool taken = lstat(probe, &sb) == 0;
            free(probe);
            if (!taken)
                break;
        }
        memcpy(run->batch_id, name, sizeof name);
    }
    char staging_name[160];
    snprintf(staging_name, sizeof staging_name, STAGING_PREFIX "%s", name);
    if ((st = join_path(&run->final_dir, run->opts->out_dir, name, err)) != RB_OK ||
        (st = join_path(&run->staging, run->opts->out_dir, staging_name, err)) != RB_OK)
        return st;
    struct stat sb;
    if (lstat(run->final_dir, &sb) == 0)
        return rb_fail(err, RB_E_CANTWRITE,
                       "'%s' already exists but the ledger has no batch %s; move it away and run again",
                       run->final_dir, run->batch_id);
    return RB_OK;
}

/* payout.csv read back for its totals and digest, then the digests of
 * the other files but payout.xlsx, on a thread of their own from the moment
 * the files are closed, while the batch's events and the inputs' digest
 * are recorded and payout.xlsx zips (its digest comes once it is whole). */
typedef struct hash_job {
    const char *dir;
    char *payout_path;        /* payout.csv, read back first */
    int64_t payout_rows;
    rb_fen payout_sum;
    char digests[RB_BATCH_FILES][RB_SHA256_HEX];
    pthread_t thread;
    bool threaded;
    rb_status status;
    rb_error error;
} hash_job;

static bool hashed_apart(int file)
{
    return file == RB_FILE_PAYOUT || file == RB_FILE_PAYOUT_XLSX;
}

static void hash_others(hash_job *job)
{
    job->status = rb_batch_files_read_payout_totals(job->payout_path, &job->payout_rows, &job->payout_sum,
                                                    job->digests[RB_FILE_PAYOUT], &job->error);
    for (int i = 0; i < RB_BATCH_FILES && job->status == RB_OK; i++)
        if (!hashed_apart(i))
            job->status = rb_sums_hash(job->dir, rb_batch_files_names[i], job->digests[i], &job->error);
}

static void *hash_thread(void *arg)
{
    prctl(PR_SET_NAME, "rebate-hash");
    hash_others(arg);
    return NULL;
}

/* Starts hashing; without a thread, the digests are computed here. */
static rb_status hash_start(batch_run *run, rb_error *err)
{
    hash_job *job = rb_calloc(1, sizeof *job);
    if (job == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory");
    job->dir = run->staging;
    rb_status st = join_path(&job->payout_path, run->staging, "payout.csv", err);
    if (st != RB_OK) {
        free(job);
        return st;
    }
    job->status = RB_OK;
    rb_error_clear(&job->error);
    job->threaded = pthread_create(&job->thread, NULL, hash_thread, job) == 0;
    if (!job->threaded)
        hash_others(job);
    run->hashing = job;
    return RB_OK;
}

/* Ends the hashing, waiting for its thread if need be. */
static void hash_free(batch_run *run)
{
    hash_job *job = run->hashing;
    run->hashing = NULL;
    if (job->threaded)
        pthread_join(job->thread, NULL);
    free(job->payout_path);
    free(job);
}

/* Waits for the digests and payout.csv's totals. */
static rb_status hash_wait(batch_run *run, rb_error *err)
{
    hash_job *job = run->hashing;
    if (job->threaded) {
        pthread_join(job->thread, NULL);
        job->threaded = false;
    }
    return job->status == RB_OK ? RB_OK : rb_fail(err, job->status, "%s", job->error.message);
}

/* Control totals and SHA256SUMS (steps 6 and 7 of docs/batch.md), once
 * payout.xlsx is whole and the hashing is over. */
static rb_status sum_up(batch_run *run, char payout_sha[RB_SHA256_HEX], char decisions_sha[RB_SHA256_HEX],
                        rb_error *err)
{
    hash_job *job = run->hashing;
    rb_status st = rb_sums_hash(run->staging, rb_batch_files_names[RB_FILE_PAYOUT_XLSX],
                                job->digests[RB_FILE_PAYOUT_XLSX], err);
    if (st == RB_OK)
        st = rb_sums_write(run->staging, rb_batch_files_names, (const char(*)[RB_SHA256_HEX])job->digests,
                           RB_BATCH_FILES, err);
    if (st == RB_OK) {
        memcpy(decisions_sha, job->digests[RB_FILE_DECISIONS], RB_SHA256_HEX);
        memcpy(payout_sha, job->digests[RB_FILE_PAYOUT], RB_SHA256_HEX);
    }
    hash_free(run);
    return st;
}

/* Checks payout.csv as the hashing thread read it back (rows, sum) against
 * what was decided and, for a real run, what the ledger holds. */
static rb_status verify_payout(batch_run *run, rb_error *err)
{
    const char *path = run->hashing->payout_path;
    int64_t rows = run->hashing->payout_rows, ledger_rows = 0;
    rb_fen sum = run->hashing->payout_sum;
    rb_fen ledger_sum = 0;
    rb_status st = RB_OK;
    if (rows != run->result->payments || sum != run->result->total)
        st = rb_fail(err, RB_E_INTERNAL,
                     "'%s' holds %lld payments totalling %lld fen, not the %lld totalling %lld fen decided; "
                     "nothing was published",
                     path, (long long)rows, (long long)sum, (long long)run->result->payments,
                     (long long)run->result->total);
    if (st == RB_OK && !run->opts->dry_run &&
        (st = rb_ledger_batch_totals(run->db, run->batch_id, &ledger_rows, &ledger_sum, err)) == RB_OK &&
        (ledger_rows != rows || ledger_sum != sum))
        st = rb_fail(err, RB_E_INTERNAL,
                     "the ledger holds %lld payments totalling %lld fen for batch %s but '%s' holds %lld "
                     "totalling %lld; nothing was published",
                     (long long)ledger_rows, (long long)ledger_sum, run->batch_id, path, (long long)rows,
                     (long long)sum);
    return st;
}

/* BEGIN IMMEDIATE with the snapshot of the last import attached: an import
 * may have renamed a new one into place after this connection attached its
 * own and before it took the write lock. */
static rb_status begin_with_current_snapshot(sqlite3 *db, rb_error *err)
{
    for (int attempt = 0;; attempt++) {
        rb_snapshot_detach(db);
        rb_status st = rb_snapshot_attach(db, err);
        if (st == RB_OK)
            st = rb_snapshot_repair_history(db, err);
        if (st == RB_OK)
            st = rb_db_begin(db, err);
        if (st != RB_OK)
            return st;
        bool current = false;
        if ((st = rb_snapshot_is_current(db, &current, err)) != RB_OK) {
            rb_db_rollback(db);
            return st;
        }
        if (current)
            return RB_OK;
        rb_db_rollback(db);
        if (attempt == 2)
            return rb_fail(err, RB_E_LOCKED, "imports keep replacing the snapshot; run again later");
    }
}

static rb_status publish(batch_run *run, rb_error *err)
{
    const rb_run_options *opts = run->opts;
    rb_status st;
    int seq = 0;
    int64_t import_id = 0;

    if ((st = rb_fs_mkdir(opts->out_dir, err)) != RB_OK)
        return st;
    /* A run writes a decision for every firm in one transaction: with the
     * default 2 MB page cache, pages would go to the WAL before the commit
     * and again each time they change after (the right edge of every
     * index). 32 MiB (2,048 pages of 16 KiB) hold those edges; 64 MiB was
     * no faster and made the run's end the night's peak of memory
     * (docs/performance.md). */
    if ((st = rb_db_exec(run->db, "PRAGMA main.cache_size = -" RUN_CACHE_KIB, "setting up the run", err)) != RB_OK ||
        (st = begin_with_current_snapshot(run->db, err)) != RB_OK)
        return st;
    /* Inside the write transaction no other run is under way, so whatever
     * staging folder is left in OUT belongs to an interrupted run, once OUT
     * is known to be this ledger's (another's staging is never touched). */
    int repaired = 0;
    if ((st = rb_outbox_check(run->db, opts->out_dir, !opts->dry_run, err)) != RB_OK ||
        (st = rb_batch_repair(run->db, opts->out_dir, &opts->notify, &repaired, err)) != RB_OK ||
        (st = name_batch(run, &seq, err)) != RB_OK ||
        (st = rb_ledger_current_import(run->db, &import_id, err)) != RB_OK ||
        (st = rb_decision_log_next_batch_no(run->db, &run->batch_no, err)) != RB_OK)
        goto fail;
    char described[2048];
    describe_params(run->params, described, sizeof described);
    /* The nightly job on inputs a batch of all firms already decided (the
     * same import, parameters and payments since): every decision would be
     * that batch's, so there is nothing to publish, and nothing to decide. */
    bool whole = !opts->dry_run && opts->n_usccs == 0;
    char inputs_sha[RB_SHA256_HEX] = "", last_batch[128] = "", last_inputs[RB_SHA256_HEX] = "";
    bool has_last = false;
    if (whole && opts->skip_unchanged) {
        if ((st = rb_decision_log_inputs_sha256(run->db, run->params->policy_year, import_id, described, inputs_sha,
                                                err)) != RB_OK ||
            (st = rb_decision_log_last_batch(run->db, run->params->policy_year, &has_last, last_batch, last_inputs,
                                             err)) != RB_OK)
            goto fail;
        if (has_last && strcmp(inputs_sha, last_inputs) == 0) {
            rb_db_rollback(run->db);
            run->result->unchanged = true;
            run->result->inputs_unchanged = true;
            snprintf(run->result->same_as, sizeof run->result->same_as, "%s", last_batch);
            return RB_OK;
        }
    }
    if (!opts->dry_run) {
        if ((st = rb_ledger_insert_batch(run->db, run->batch_id, run->params->policy_year, described, opts->as_of,
                                         seq, opts->n_usccs ? "selected" : "all", import_id, opts->run_id, opts->by,
                                         run->final_dir, err)) != RB_OK ||
            (st = rb_ledger_open(run->db, &run->ledger, err)) != RB_OK)
            goto fail;
        if ((st = rb_decision_writer_open(run->db, &run->decisions, err)) != RB_OK) {
            rb_ledger_close(&run->ledger);
            goto fail;
        }
        run->ledger_open = true;
    }
    if ((st = rb_fs_mkdir(run->staging, err)) != RB_OK)
        goto fail;
    if ((st = rb_batch_files_open(&run->files, run->staging, run->batch_id, run->params, opts->as_of,
                                   opts->dry_run, err)) != RB_OK)
        goto fail;
    run->files_open = true;
    rb_crash_point("files-open");
    if ((st = decide_all(run, err)) != RB_OK)
        goto fail;
    rb_run_result *r = run->result;
    r->unchanged = !opts->dry_run && opts->n_usccs == 0 && r->firms > 0 && r->decisions_recorded == 0 &&
                   r->payments == 0;
    if (r->firms == 0 || (r->unchanged && opts->skip_unchanged)) {
        /* Nothing to decide: no batch at all (docs/formats.md: "a run that
         * decides anything publishes one batch"); nor when no firm's
         * decision changed and the caller (the nightly job) wants none
         * then: that batch would repeat the last one. */
        rb_batch_files_abandon(&run->files);
        run->files_open = false;
        if (run->ledger_open) { /* its statements would keep the connection from closing */
            rb_ledger_close(&run->ledger);
            rb_decision_writer_close(&run->decisions);
            run->ledger_open = false;
        }
        rb_fs_remove_tree(run->staging, NULL);
        rb_db_rollback(run->db);
        r->published = false;
        if (r->unchanged && has_last) {
            /* These inputs decide every firm as the last batch did: say so
             * on it, so the next night on the same inputs need not decide. */
            snprintf(r->same_as, sizeof r->same_as, "%s", last_batch);
            if ((st = rb_db_begin(run->db, err)) != RB_OK)
                return st;
            if ((st = rb_decision_log_set_inputs(run->db, last_batch, inputs_sha, err)) != RB_OK ||
                (st = rb_db_commit(run->db, err)) != RB_OK) {
                rb_db_rollback(run->db);
                return st;
            }
        }
        return RB_OK;
    }
    /* The notice end and due date of a batch that pays (docs/report.md). */
    if (r->payments > 0) {
        const rb_workdays *cal = opts->calendar ? opts->calendar : run->calendar;
        r->dates.recorded = true;
        r->dates.notice_days = opts->notice_days;
        r->dates.notice_end = rb_workdays_after(cal, opts->as_of, opts->notice_days, &r->dates.provisional);
        r->dates.due_date = rb_workdays_after(cal, r->dates.notice_end, RB_DUE_WORKING_DAYS, &r->dates.provisional);
        if (!opts->dry_run && (st = rb_notice_dates_record(run->db, run->batch_id, &r->dates, err)) != RB_OK)
            goto fail;
    }
    rb_batch_summary summary = {
        .db = run->db,
        .params = run->params,
        .batch_id = run->batch_id,
        .batch_no = run->batch_no,
        .as_of = opts->as_of,
        .dry_run = opts->dry_run,
        .selected = opts->n_usccs > 0,
        .usccs = opts->usccs,
        .n_usccs = opts->n_usccs,
        .by = opts->by,
        .import_id = import_id,
        .result = r,
        .reason_counts = run->reason_counts,
        .dates = &r->dates,
        .notice_contact = opts->notice_contact,
    };
    char payout_sha[RB_SHA256_HEX] = "", decisions_sha[RB_SHA256_HEX] = "";
    if ((st = rb_batch_files_finish(&run->files, &summary, &r->row_errors, err)) != RB_OK)
        goto fail;
    rb_crash_point("files-finished");
    if ((st = hash_start(run, err)) != RB_OK)
        goto fail;
    /* While payout.xlsx's thread zips its sheet and payout.csv is read back
     * and the files hashed: the events of the batch and the digest of its
     * inputs, which read nothing of the files. */
    if (!opts->dry_run) {
        /* A batch with no payment is closed at once: nothing to approve. */
        rb_event created = {.kind = RB_EVENT_BATCH,
                            .subject = run->batch_id,
                            .batch_id = run->batch_id,
                            .to_state = r->payments == 0 ? "closed" : "published",
                            .by = opts->by,
                            .login = opts->login ? opts->login : "unknown",
                            .run_id = opts->run_id,
                            .why = r->payments == 0 ? "no payment: nothing to approve" : NULL};
        if ((st = rb_event_add(run->db, &created, err)) != RB_OK ||
            (r->payments > 0 && (st = rb_events_add_payments(run->db, run->batch_id, NULL, "published", opts->by,
                                                             created.login, opts->run_id, NULL, err)) != RB_OK) ||
            (whole && (st = rb_decision_log_inputs_sha256(run->db, run->params->policy_year, import_id, described,
                                                          inputs_sha, err)) != RB_OK))
            goto fail;
    }
    if ((st = hash_wait(run, err)) != RB_OK ||
        (st = verify_payout(run, err)) != RB_OK ||
        (st = rb_batch_files_join(&run->files, err)) != RB_OK)
        goto fail;
    run->files_open = false;
    rb_crash_point("files-written");
    if ((st = sum_up(run, payout_sha, decisions_sha, err)) != RB_OK)
        goto fail;
    rb_crash_point("sums-written");
    if (!opts->dry_run) {
        if ((st = rb_ledger_finish_batch(run->db, run->batch_id, r->firms, r->payments, r->total, payout_sha,
                                         err)) != RB_OK ||
            (r->payments == 0 &&
             (st = rb_batch_set_state(run->db, run->batch_id, "published", "closed", "", err)) != RB_OK) ||
            (st = rb_decision_log_finish_batch(run->db, run->batch_id, run->batch_no,
                                               opts->n_usccs ? "all" : "changes", r->decisions_recorded,
                                               decisions_sha, whole ? inputs_sha : NULL, err)) != RB_OK)
            goto fail;
        r->closed = r->payments == 0;
        rb_ledger_close(&run->ledger);
        rb_decision_writer_close(&run->decisions);
        run->ledger_open = false;
        rb_crash_point("before-commit");
        if ((st = rb_db_commit(run->db, err)) != RB_OK)
            goto fail;
        rb_crash_point("after-commit");
    } else {
        rb_db_rollback(run->db);
    }
    st = rb_fs_rename_noreplace(run->staging, run->final_dir, err);
    if (st != RB_OK) {
        /* The ledger is committed: the staging folder stays for the next
         * run to rename (rb_batch_repair). Say so plainly. */
        if (!opts->dry_run)
            return rb_fail(err, RB_E_CANTWRITE,
                           "batch %s is recorded but could not be moved from '%s' to '%s'; the next run "
                           "finishes the move",
                           run->batch_id, run->staging, run->final_dir);
        rb_fs_remove_tree(run->staging, NULL);
        return st;
    }
    rb_crash_point("published");
    r->published = true;
    snprintf(r->batch_id, sizeof r->batch_id, "%s", run->batch_id); /* both 128 bytes */
    r->folder = run->final_dir;
    run->final_dir = NULL;
    return RB_OK;

fail:
    if (run->hashing != NULL)
        hash_free(run);
    if (run->files_open) {
        rb_batch_files_abandon(&run->files);
        run->files_open = false;
    }
    if (run->ledger_open) {
        rb_ledger_close(&run->ledger);
        rb_decision_writer_close(&run->decisions);
        run->ledger_open = false;
    }
    rb_db_rollback(run->db);
    if (run->staging != NULL)
        rb_fs_remove_tree(run->staging, NULL);
    return st;
}

rb_status rb_run(sqlite3 *db, const rb_run_options *opts, rb_run_result *out, rb_error *err)
{
    memset(out, 0, sizeof *out);
    rb_params params;
    rb_status st = rb_params_load(db, opts->policy_year, &params, err);
    if (st != RB_OK)
        return st;
    batch_run run;
    memset(&run, 0, sizeof run);
    run.db = db;
    run.params = &params;
    run.opts = opts;
    run.result = out;
    if (opts->calendar == NULL && (st = rb_workdays_load(NULL, &run.calendar, err)) != RB_OK) {
        free(run.staging);
        free(run.final_dir);
        return st;
    }
    st = publish(&run, err);
    rb_workdays_free(run.calendar);
    free(run.staging);
    free(run.final_dir);
    return st;
}

void rb_run_result_free(rb_run_result *r)
{
    free(r->folder);
    r->folder = NULL;
}

/* True when dir/SHA256SUMS lists the batch's files and they all match. */
static bool staging_complete(const char *dir, const char *batch_id)
{
    return rb_sums_check(dir, rb_batch_files_names, RB_BATCH_FILES, batch_id, NULL) == RB_OK;
}

rb_status rb_batch_repair(sqlite3 *db, const char *out_dir, const rb_notify *notify, int *repaired, rb_error *err)
{
    *repaired = 0;
    DIR *d = opendir(out_dir);
    if (d == NULL)
        return errno == ENOENT ? RB_OK
                               : rb_fail(err, RB_E_CANTWRITE, "cannot read folder '%s': %s", out_dir, strerror(errno));
    rb_status st = RB_OK;
    struct dirent *e;
    while (st == RB_OK && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, STAGING_PREFIX, strlen(STAGING_PREFIX)) != 0)
            continue;
        const char *batch_id = e->d_name + strlen(STAGING_PREFIX);
        char *staging = rb_path_joined(out_dir, e->d_name), *final_dir = rb_path_joined(out_dir, batch_id);
        int committed = 0;
        struct stat sb;
        if (staging == NULL || final_dir == NULL)
            st = rb_fail(err, RB_E_INTERNAL, "out of memory");
        else if ((st = rb_ledger_has_batch(db, batch_id, &committed, err)) != RB_OK)
            ;
        else if (committed && lstat(final_dir, &sb) != 0 && staging_complete(staging, batch_id)) {
            if ((st = rb_fs_rename_noreplace(staging, final_dir, err)) == RB_OK) {
                (*repaired)++;
                rb_notify_f(notify, "finished publishing batch %s, interrupted after it was recorded", batch_id);
            }
        } else if (!committed) {
            st = rb_fs_remove_tree(staging, err);
        } else {
            rb_notify_f(notify,
                        "warning: '%s' is left for a person to look at: batch %s is recorded but "
                        "this copy is incomplete or already published",
                        staging, batch_id);
        }
        free(staging);
        free(final_dir);
    }
    closedir(d);
    return st;
}
