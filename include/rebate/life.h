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

#include "rebate/answer_set.h"
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
    rb_status (*load_answers)(const char *path, rb_answer_set *set, rb_error *err);
} rb_life_steps;

/* Who does a step, for the ledger and the event log: the --by name
 * (checked and trimmed by the caller), the login of the process, the run. */
typedef struct rb_actor {
    const char *by;
    const char *login;
    int64_t run_id; /* 0 when no run is logged */
} rb_actor;

/* True when two names are the same person: compared after removing white
 * space, folding full-width forms (as names are compared in docs/rules.md) and
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

/* `rebate approve`: by someone else than created_by and than whoever
 * accepted (review verdict) a firm the batch pays, of a published batch
 * with payments whose folder verifies; writes <folder>/bank/ (payout.xml
 * paying from fund, approval.txt, SHA256SUMS) and records the approval
 * (batch and payments 'approved', the fund's account, the events).
 * Refusals: RB_E_CONFIG (fund NULL or incomplete), RB_E_USAGE (the state,
 * the person, no payments), RB_E_DATA (a changed file), RB_E_NOINPUT
 * (unknown batch, no folder), RB_E_CANTWRITE (bank/ could not be written:
 * nothing recorded; or, after the approval was recorded, not renamed into
 * place: approve again). */
rb_status rb_batch_approve(sqlite3 *db, const rb_life_steps *steps, const char *batch_id, const rb_actor *who,
                           const rb_debtor_row *fund, rb_approve_result *out, rb_error *err);

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
rb_status rb_batch_void(sqlite3 *db, const rb_life_steps *steps, const char *batch_id, const rb_actor *who,
                        const char *reason, rb_void_result *out, rb_error *err);

typedef struct rb_reconcile_result {
    int64_t paid;           /* payments newly recorded as paid */
    int64_t returned;       /* newly recorded as returned */
    int64_t paid_again;     /* answers repeating one already recorded */
    int64_t returned_again;
    int64_t pending;        /* answers that are not final (the payment stays approved) */
    int64_t open;           /* payments of the batch still approved (pending or unanswered) */
    bool settled;           /* the batch became settled with this answer */
    char format[32];        /* the form the answer was read in */
    char *reply;            /* the reply (heap, freed by rb_reconcile_result_free): paid,
                               returned with reasons, pending and unanswered, with totals */
} rb_reconcile_result;

void rb_reconcile_result_free(rb_reconcile_result *r);

/* `rebate reconcile`: reads the bank's answer at path (steps->load_answers)
 * for an approved or settled batch and records it, all answers or none:
 * RB_E_DATA naming every problem and its line (a line that cannot be
 * read, a reference of another batch or of none, an amount that differs,
 * two statuses for one reference, a status contradicting a final one
 * recorded); RB_E_NOINPUT when the file cannot be opened; RB_E_USAGE when
 * the batch is neither approved nor settled. An answer whose statuses are
 * all recorded already changes nothing. Once every payment is paid or
 * returned the batch is settled. Each change is an event of who. */
rb_status rb_batch_reconcile(sqlite3 *db, const rb_life_steps *steps, const char *batch_id, const char *path,
                             const rb_actor *who, rb_reconcile_result *out, rb_error *err);

#endif
