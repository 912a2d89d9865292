/* The life of a batch after publication (docs/batch-life.md): finance's
 * approval, which writes the bank file; voiding before approval; the bank's
 * answer. Each changes the ledger's state in one transaction together with
 * the folder step it belongs to, so that a crash leaves either the old state
 * or the new one, and a rerun of the same command finishes what a crash
 * interrupted. The caller holds the database lock (rb_lock_database). */
#ifndef REBATE_BATCH_LIFE_H
#define REBATE_BATCH_LIFE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "rebate/error.h"
#include "rebate/money.h"
#include "rebate/sha256.h"

/* Limits of what a person types: --by and --reason. */
#define RB_LIFE_BY_MAX 128     /* bytes of a name */
#define RB_LIFE_REASON_MAX 1000 /* bytes of a void reason */

/* Sizes of the texts of a batch record (longer values are cut). */
#define RB_LIFE_TEXT 1024

/* A row of `batches`, the texts "" where the column is NULL. */
typedef struct rb_batch_record {
    char batch_id[128];
    int32_t policy_year;
    char state[16];                 /* published | approved | voided */
    char as_of[16];                 /* YYYY-MM-DD */
    char created_at[32];            /* ISO 8601 UTC */
    char created_by[RB_LIFE_TEXT];  /* who ran it */
    char approved_at[32];
    char approved_by[RB_LIFE_TEXT];
    char voided_at[32];
    char voided_by[RB_LIFE_TEXT];
    char void_reason[RB_LIFE_TEXT];
    char folder[4096];              /* where it was published */
    char payout_sha256[RB_SHA256_HEX];
    int64_t firms;                  /* firms decided */
    int64_t payments;               /* payments recorded */
    rb_fen total;                   /* their sum */
} rb_batch_record;

/* Reads the batch; a batch the ledger does not hold is RB_E_NOINPUT (the
 * message says that dry-run previews are never recorded). */
rb_status rb_batch_record_load(sqlite3 *db, const char *batch_id, rb_batch_record *out, rb_error *err);

/* Checks the published folder before anyone signs it: payout.csv's SHA-256
 * equals the one the ledger recorded, and every file SHA256SUMS lists
 * (the four files of the batch) is there and matches. A changed, missing or
 * unlisted file is RB_E_DATA naming it; the folder missing is RB_E_NOINPUT. */
rb_status rb_batch_verify_folder(const rb_batch_record *batch, rb_error *err);

/* True when two names are the same person: compared after removing white
 * space, folding full-width forms (as names are compared in rules.md) and
 * ignoring ASCII case, so that "zhang" cannot approve what "Zhang " ran. */
bool rb_same_person(const char *a, const char *b);

typedef struct rb_approve_result {
    bool finished;                   /* an approval recorded earlier, whose
                                        bank/ a crash kept from its place, was
                                        completed; nothing new was recorded */
    char approved_by[RB_LIFE_TEXT];
    char approved_at[32];
    int64_t payments;
    rb_fen total;
    char bank_dir[4200];             /* <folder>/bank */
} rb_approve_result;

/* `rebate approve`: by someone else than created_by, of a published batch
 * with payments whose folder verifies; writes <folder>/bank/ (payout.xml,
 * approval.txt, SHA256SUMS) and records the approval (batch and payments
 * 'approved'). Refusals: RB_E_USAGE (the state, the person, no payments),
 * RB_E_DATA (a changed file), RB_E_NOINPUT (unknown batch, no folder),
 * RB_E_CANTWRITE (bank/ could not be written: nothing recorded; or, after
 * the approval was recorded, not renamed into place: approve again). */
rb_status rb_batch_approve(sqlite3 *db, const char *batch_id, const char *by, rb_approve_result *out,
                           rb_error *err);

typedef struct rb_void_result {
    bool finished;       /* a void recorded earlier got its VOIDED.txt */
    bool folder_missing; /* the batch folder is gone: no note was written */
    int64_t payments;    /* payments voided */
    rb_fen total;
    char voided_at[32];
} rb_void_result;

/* `rebate void`: a published batch becomes 'voided' with who, when and why,
 * and its payments 'voided' (the firms can be paid by a later run); the
 * note VOIDED.txt is added to the folder, whose published files stay
 * untouched. An approved or voided batch is RB_E_USAGE. */
rb_status rb_batch_void(sqlite3 *db, const char *batch_id, const char *by, const char *reason,
                        rb_void_result *out, rb_error *err);

typedef struct rb_reconcile_result {
    int64_t paid;           /* payments newly recorded as paid */
    int64_t returned;       /* newly recorded as returned */
    int64_t paid_again;     /* lines repeating an answer already recorded */
    int64_t returned_again;
    int64_t open;           /* payments of the batch still without an answer */
} rb_reconcile_result;

/* `rebate reconcile`: reads the bank's answer (CSV, docs/batch-life.md)
 * for an approved batch and records it, all lines or none: RB_E_DATA naming
 * the file and line for a malformed line, a reference of another batch or
 * an answer contradicting one already recorded; RB_E_NOINPUT when the file
 * cannot be opened; RB_E_USAGE when the batch is not approved. run_id (or
 * 0) is kept with each answer. */
rb_status rb_batch_reconcile(sqlite3 *db, const char *batch_id, const char *path, int64_t run_id,
                             rb_reconcile_result *out, rb_error *err);

#endif
