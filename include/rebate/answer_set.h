/* A bank's answer as read, before anything is recorded: one entry per
 * payment the bank reports on, the group-level status of a report, and
 * every problem found, each with its line, so that a refused file names
 * them all at once (docs/batch-life.md, "The bank's answer"). Filled by the
 * readers of import/ and checked and recorded by life/. */
#ifndef REBATE_ANSWER_SET_H
#define REBATE_ANSWER_SET_H

#include <stdbool.h>
#include <stddef.h>

#include "rebate/error.h"
#include "rebate/money.h"
#include "rebate/strbuf.h"

/* What a status means for the payment. */
typedef enum rb_answer_status {
    RB_ANSWER_PAID,     /* ACSC, ACCC, paid, 成功, 已到账, 交易成功 */
    RB_ANSWER_RETURNED, /* RJCT, returned, 失败, 退回, 退票, 交易失败 */
    RB_ANSWER_PENDING   /* the ISO codes that are not final (ACTC, ACSP, PDNG ...), 处理中 */
} rb_answer_status;

typedef struct rb_answer {
    long line;            /* where the answer is in the file (the header is line 1) */
    char *reference;      /* our payment reference (EndToEndId) */
    rb_answer_status status;
    char *code;           /* the status as the file gives it */
    char *reason;         /* the reason code and/or text, "" when none */
    bool has_amount;      /* the file gives the amount */
    rb_fen amount;
} rb_answer;

/* At most this many problems are named in the message; the rest are counted. */
#define RB_ANSWER_PROBLEMS_NAMED 8

typedef struct rb_answer_set {
    char format[32];       /* "pain.002.001.03", "CSV (utf-8)", "CSV (gb18030)" ... */
    rb_answer *items;
    size_t n, cap;
    bool group_returned;   /* a group (or payment-information) status RJCT with no
                              transaction: every payment of the batch is returned */
    long group_line;
    char *group_code;      /* the group status as given */
    char *group_reason;    /* its reason, "" when none */
    char *original_id;     /* pain.002 OrgnlMsgId (our batch id), or NULL */
    rb_strbuf problems;    /* "line N: ...; line M: ..." */
    size_t n_problems;
    bool out_of_memory;
} rb_answer_set;

void rb_answer_set_init(rb_answer_set *set);
void rb_answer_set_free(rb_answer_set *set);

/* Adds an answer (texts copied; reason may be NULL). Returns false when
 * memory ran out (also kept in set->out_of_memory). */
bool rb_answer_set_add(rb_answer_set *set, long line, const char *reference, rb_answer_status status,
                       const char *code, const char *reason, bool has_amount, rb_fen amount);

/* Notes a problem of line `line` (0: of the whole file). */
void rb_answer_set_problem(rb_answer_set *set, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* RB_E_DATA naming the file and every problem noted (the first
 * RB_ANSWER_PROBLEMS_NAMED of them, and how many more), saying nothing was
 * recorded; RB_E_INTERNAL when memory ran out. */
rb_status rb_answer_set_refuse(const rb_answer_set *set, const char *path, rb_error *err);

/* Reads a status word or ISO code as docs/batch-life.md lists them (ASCII case
 * ignored, spaces around trimmed by the caller). False when it is none. */
bool rb_answer_status_parse(const char *text, rb_answer_status *out);

#endif
