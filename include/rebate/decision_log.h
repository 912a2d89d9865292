/* The decisions of the ledger kept as changes (sql/009_decision_changes.sql):
 * a batch of the whole population records a firm's decision only when it
 * differs from the firm's latest one for the year, and the decision of every
 * firm as of any batch is read back from the rows up to that batch. Plain
 * rows: nothing here knows the rules. */
#ifndef REBATE_DECISION_LOG_H
#define REBATE_DECISION_LOG_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "rebate/error.h"
#include "rebate/uscc.h"

/* The review column of decisions.csv: "accepted|rejected <date> <by>". */
#define RB_REVIEW_TEXT 256

/* One firm's decision as decisions.csv prints it. outcome is "PAY",
 * "REVIEW", "REJECT", "SKIP" or, for a firm that left the population,
 * "GONE"; name is NULL when the row predates the name (the migration). */
typedef struct rb_decision_row {
    char uscc[RB_USCC_LEN + 1];
    const char *outcome;
    const char *name;
    char reasons[512];             /* ';'-separated codes, sorted */
    bool headcount_known;
    int64_t headcount_num, headcount_den;
    int64_t full_months;
    int64_t arrears, base;
    int64_t layoff_num, layoff_den;
    int32_t rate_pct;
    int64_t amount;
    int64_t verdict_id;            /* the review verdict the decision followed, 0: none */
    char review[RB_REVIEW_TEXT];   /* that verdict as decisions.csv prints it, "" for none */
} rb_decision_row;

/* Writes the review column for a verdict (accept or reject, given at the
 * ISO 8601 time at, by whom): the one format, for a run and a rebuild. */
void rb_decision_review_text(bool accept, const char *at, const char *by, char *buf, size_t size);

/* True when a and b print the same decisions.csv row in every batch (every
 * field, the name included). */
bool rb_decision_row_equal(const rb_decision_row *a, const rb_decision_row *b);

/* The number the next batch gets (1 + the highest so far). */
rb_status rb_decision_log_next_batch_no(sqlite3 *db, int64_t *batch_no, rb_error *err);

/* Records a batch's number, how its decisions are kept ("all" or "changes"),
 * how many it recorded, the SHA-256 of its decisions.csv and of its inputs
 * (rb_decision_log_inputs_sha256; NULL for none). */
rb_status rb_decision_log_finish_batch(sqlite3 *db, const char *batch_id, int64_t batch_no, const char *kept,
                                       int64_t recorded, const char *decisions_sha256, const char *inputs_sha256,
                                       rb_error *err);

/* The SHA-256 of what every decision of policy_year depends on besides the
 * rules: the import the snapshot comes from, the parameter row (as the
 * batch records it) and every payment of the year (the columns the rules
 * read). Equal digests, equal decisions. */
rb_status rb_decision_log_inputs_sha256(sqlite3 *db, int32_t policy_year, int64_t import_id, const char *params_text,
                                        char hex[65], rb_error *err);

/* Records that deciding on the inputs of digest inputs_sha256 gives every
 * decision of batch batch_id (a night in which nothing changed). */
rb_status rb_decision_log_set_inputs(sqlite3 *db, const char *batch_id, const char *inputs_sha256, rb_error *err);

/* The latest batch of all firms of policy_year: its id and inputs digest
 * ("" when it has none); *found false when there is no such batch. */
rb_status rb_decision_log_last_batch(sqlite3 *db, int32_t policy_year, bool *found, char batch_id[128],
                                     char inputs_sha256[65], rb_error *err);

/* Reads every firm's decision as of one batch, in uscc order, one firm at a
 * time (memory does not grow with the firms):
 *  - as of a batch of the whole population (or of the next one, before it
 *    is recorded): for each firm its latest row in batches of the whole
 *    population of the year up to that batch; a firm whose latest row says
 *    GONE, or predates a batch that kept all its decisions, is not in it;
 *    a PAY made by an earlier batch reads as SKIP ALREADY_PAID (the
 *    decision that payment brings about when nothing else changed);
 *  - as of a --uscc batch: its own rows. */
typedef struct rb_decision_log rb_decision_log;

/* as_of_batch_no: the batch (recorded or about to be); policy_year its year;
 * selected: whether it is a --uscc batch. */
rb_status rb_decision_log_open(sqlite3 *db, int32_t policy_year, int64_t as_of_batch_no, bool selected,
                               rb_decision_log **out, rb_error *err);
/* *row: the next firm (valid until the next call), NULL at the end. */
rb_status rb_decision_log_next(rb_decision_log *log, const rb_decision_row **row, rb_error *err);
void rb_decision_log_close(rb_decision_log *log);

/* Records one row of a batch (inside the caller's transaction). */
typedef struct rb_decision_writer {
    sqlite3 *db;
    sqlite3_stmt *insert;
} rb_decision_writer;

rb_status rb_decision_writer_open(sqlite3 *db, rb_decision_writer *out, rb_error *err);
rb_status rb_decision_writer_add(rb_decision_writer *w, int32_t policy_year, const char *batch_id,
                                 int64_t batch_no, const rb_decision_row *row, rb_error *err);
void rb_decision_writer_close(rb_decision_writer *w);

#endif
