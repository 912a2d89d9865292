/* The batch: evaluates the firms of a policy year, records decisions and
 * payments in the ledger, and publishes the batch folder of docs/formats.md all or
 * nothing. See docs/batch.md for the publication protocol. */
#ifndef REBATE_BATCH_H
#define REBATE_BATCH_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rebate/error.h"
#include "rebate/money.h"
#include "rebate/notice_dates.h"
#include "rebate/rules.h"

typedef struct rb_run_options {
    int32_t policy_year;        /* Y */
    int32_t as_of;              /* YYYYMMDD the run counts as */
    const char *out_dir;        /* OUT: batches are published in OUT/<batch_id>/ */
    const char *const *usccs;   /* --uscc codes (already validated), or NULL */
    size_t n_usccs;
    bool dry_run;               /* write a preview, record nothing */
    const char *by;             /* who runs it */
    const char *login;          /* the login of the process, for the audit (NULL: "unknown") */
    int64_t run_id;             /* the runs row of this command, or 0 */
    int notice_days;            /* working days of public notice after as_of (0: as_of itself) */
    const struct rb_workdays *calendar; /* the working-day calendar; NULL: the compiled-in one */
    const char *notice_contact; /* the contact line of notice.html, or NULL */
    rb_notify notify;           /* told of interrupted runs finished or left alone */
    bool skip_unchanged;        /* nightly: publish nothing when nobody is to be paid and no firm's
                                   decision differs from its latest recorded one (docs/operations.md) */
} rb_run_options;

typedef struct rb_run_result {
    bool published;             /* false when there was nothing to decide, or nothing changed */
    bool closed;                /* published with no payment: closed at once */
    char batch_id[128];         /* e.g. 2022-20261127-001 */
    char *folder;               /* where the batch now is (heap; rb_run_result_free) */
    int64_t firms;              /* firms decided */
    int64_t by_outcome[4];      /* indexed by rb_outcome */
    int64_t payments;           /* PAY decisions */
    rb_fen total;               /* their sum */
    rb_fen largest;             /* the largest payment */
    int64_t row_errors;         /* input rows listed in exceptions.csv */
    rb_notice_dates dates;      /* notice end and due date of a batch that pays */
    int64_t decisions_recorded; /* decisions the ledger recorded: changed ones, GONE rows */
    bool unchanged;             /* a batch of all firms in which no decision changed and nothing is paid */
    bool inputs_unchanged;      /* ... known without deciding: the inputs are those of batch same_as */
    char same_as[128];          /* the batch whose decisions these are, when unchanged */
} rb_run_result;

/* Runs the whole evaluation and publication. On any failure nothing is
 * published and nothing recorded; RB_E_CANTWRITE when an output could not
 * be written. */
rb_status rb_run(sqlite3 *db, const rb_run_options *opts, rb_run_result *out, rb_error *err);

/* Frees what a result holds (its folder); safe on a zeroed result. */
void rb_run_result_free(rb_run_result *r);

/* Finishes or undoes what an interrupted run left in out_dir: staging
 * folders of batches the ledger committed are renamed into place, others
 * removed. Returns the number of batches repaired in *repaired; tells
 * notify of each batch it finished and of each copy it left alone. */
rb_status rb_batch_repair(sqlite3 *db, const char *out_dir, const rb_notify *notify, int *repaired, rb_error *err);

/* Rebuilds the decisions.csv a batch published, from the ledger (every
 * firm's decision as of the batch), writing it to out (out_name for
 * messages); check says how many firms it lists, its SHA-256, the one
 * recorded with the batch (empty for a batch made before decisions were
 * kept as changes), whether they match, and whether some names were
 * missing (rows recorded before the ledger kept names). */
typedef struct rb_decisions_check {
    int64_t firms;
    char rebuilt_sha[65];
    char recorded_sha[65];
    bool matches;
    bool names_missing;
} rb_decisions_check;

rb_status rb_batch_rebuild_decisions(sqlite3 *db, const char *batch_id, FILE *out, const char *out_name,
                                     rb_decisions_check *check, rb_error *err);

#endif
