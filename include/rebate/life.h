/* The life of a batch after publication (docs/batch-life.md): finance's
 * approval, which writes the bank file; voiding before approval; the bank's
 * answer. Each changes the ledger's state in one transaction together with
 * the folder step it belongs to, so that a crash leaves either the old state
 * or the new one, and a rerun of the same command finishes what a crash
 * interrupted. The caller holds the database lock (rb_lock_database).
 *
 * The folder steps (output/) and the answer's reader (import/) are stages
 * beside this one: the caller hands them in as rb_life_steps, so that the
 * order of the protocol is here and each step stays in its stage. */
#ifndef REBATE_LIFE_H
#define REBATE_LIFE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rebate/batches.h"
#include "rebate/error.h"
#include "rebate/money.h"

/* Limits of what a person types: the name and the void reason. */
#define RB_LIFE_BY_MAX 128      /* bytes of a name */
#define RB_LIFE_REASON_MAX 1000 /* bytes of a void reason */

/* The steps of the other stages, as rebate/batch_folder.h and
 * rebate/bank_answer.h describe them. */
typedef struct rb_life_steps {
    rb_status (*verify_folder)(const rb_batch_record *batch, rb_error *err);
    rb_status (*write_bank)(sqlite3 *db, const rb_batch_record *batch, const char *approved_by,
                            const char *approved_at, const char *staging, rb_error *err);
    rb_status (*write_void_note)(const rb_batch_record *batch, const char *voided_by, const char *voided_at,
                                 const char *reason, const char *staging_name, rb_error *err);
    rb_status (*read_answers)(FILE *f, const char *path, rb_answer_fn fn, void *ctx, rb_error *err);
} rb_life_steps;

/* True when two names are the same person: compared after removing white
 * space, folding full-width forms (as names are compared in rules.md) and
 * ignoring ASCII case, so that "zhang" cannot approve what "Zhang " ran. */
bool rb_same_person(const char *a, const char *b);

typedef struct rb_approve_result {
    bool finished;       /* an approval recorded earlier, whose bank/ a crash
                            kept from its place, was completed; nothing new
                            was recorded */
    char *approved_by;   /* heap strings, freed by rb_approve_result_free */
    char *approved_at;
    int64_t payments;
    rb_fen total;
    char *bank_dir;      /* <folder>/bank */
} rb_approve_result;

void rb_approve_result_free(rb_approve_result *r);

/* `rebate approve`: by someone else than created_by, of a published batch
 * with payments whose folder verifies; writes <folder>/bank/ (payout.xml,
 * approval.txt, SHA256SUMS) and records the approval (batch and payments
 * 'approved'). Refusals: RB_E_USAGE (the state, the person, no payments),
 * RB_E_DATA (a changed file), RB_E_NOINPUT (unknown batch, no folder),
 * RB_E_CANTWRITE (bank/ could not be written: nothing recorded; or, after
 * the approval was recorded, not renamed into place: approve again). */
rb_status rb_batch_approve(sqlite3 *db, const rb_life_steps *steps, const char *batch_id, const char *by,
                           rb_approve_result *out, rb_error *err);

typedef struct rb_void_result {
    bool finished;       /* a void recorded earlier got its VOIDED.txt */
    bool folder_missing; /* the batch folder is gone: no note was written */
    int64_t payments;    /* payments voided */
    rb_fen total;
    char *voided_at;     /* heap, freed by rb_void_result_free */
} rb_void_result;

void rb_void_result_free(rb_void_result *r);

/* `rebate void`: a published batch becomes 'voided' with who, when and why,
 * and its payments 'voided' (the firms can be paid by a later run); the
 * note VOIDED.txt is added to the folder, whose published files stay
 * untouched. An approved or voided batch is RB_E_USAGE. */
rb_status rb_batch_void(sqlite3 *db, const rb_life_steps *steps, const char *batch_id, const char *by,
                        const char *reason, rb_void_result *out, rb_error *err);

typedef struct rb_reconcile_result {
    int64_t paid;           /* payments newly recorded as paid */
    int64_t returned;       /* newly recorded as returned */
    int64_t paid_again;     /* lines repeating an answer already recorded */
    int64_t returned_again;
    int64_t open;           /* payments of the batch still without an answer */
} rb_reconcile_result;

/* `rebate reconcile`: reads the bank's answer at path for an approved batch
 * and records it, all lines or none: RB_E_DATA naming the file and line for
 * a malformed line, a reference of another batch or an answer
 * contradicting one already recorded; RB_E_NOINPUT when the file cannot be
 * opened; RB_E_USAGE when the batch is not approved. run_id (or 0) is kept
 * with each answer. */
rb_status rb_batch_reconcile(sqlite3 *db, const rb_life_steps *steps, const char *batch_id, const char *path,
                             int64_t run_id, rb_reconcile_result *out, rb_error *err);

#endif
