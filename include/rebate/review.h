/* Review verdicts (docs/rules.md, "Review verdicts"): a person's accept or reject
 * of a REVIEW firm for a policy year, recorded with who, when and why, and
 * covering the reasons and amount of the decision at that moment. The next
 * run follows it (rb_decide) while it still covers the decision. */
#ifndef REBATE_REVIEW_H
#define REBATE_REVIEW_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "rebate/error.h"
#include "rebate/money.h"
#include "rebate/rules.h"

/* Limits of what a person types: --by and --note. */
#define RB_REVIEW_BY_MAX 128
#define RB_REVIEW_NOTE_MAX 2000

typedef struct rb_review_result {
    int64_t verdict_id;
    rb_reason_set covered;     /* the reasons the verdict covers */
    rb_fen amount;             /* the amount it covers */
    bool superseded;           /* an earlier verdict of the firm and year is replaced */
    char at[32];               /* when, ISO 8601 UTC */
} rb_review_result;

/* Records a verdict on the firm uscc (already normalised) for params'
 * year, in one transaction with its event (the caller holds the database
 * lock). The firm is decided first, as a run would now, ignoring any
 * earlier verdict: it must be a REVIEW for review reasons (level 5), else
 * RB_E_USAGE saying what it is; an accept of a firm with a reason that
 * only corrected data clears is RB_E_USAGE naming the reason; a code in no
 * row of the snapshot is RB_E_NOINPUT. by and note are trimmed, non-empty,
 * one line, valid UTF-8 (RB_E_USAGE otherwise); login is the process's. */
rb_status rb_review_record(sqlite3 *db, const rb_params *params, const char *uscc, bool accept, const char *by,
                           const char *login, const char *note, int64_t run_id, rb_review_result *out,
                           rb_error *err);

#endif
