/* The rules stage: policy parameters, the per-firm input read from the
 * snapshot and the ledger, the measures of docs/rules.md and the decision.
 * A decision carries the numbers it was made from, so that explain, the
 * batch files and the tests all read one structure. */
#ifndef REBATE_RULES_H
#define REBATE_RULES_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rebate/error.h"
#include "rebate/money.h"
#include "rebate/months.h"
#include "rebate/strbuf.h"
#include "rebate/uscc.h"

/* One row of policy_params (docs/rules.md, "Parameters"). */
typedef enum rb_full_months_rule { RB_FULL_MONTHS_CUMULATIVE, RB_FULL_MONTHS_DATA_YEAR } rb_full_months_rule;
typedef enum rb_layoff_method { RB_LAYOFF_DECEMBER_STOCK, RB_LAYOFF_CLAIMANTS } rb_layoff_method;
typedef enum rb_headcount_basis { RB_HEADCOUNT_DECEMBER, RB_HEADCOUNT_AVERAGE } rb_headcount_basis;

typedef struct rb_params {
    int32_t policy_year;                    /* Y */
    int32_t rate_smm_pct;                   /* rate for small/medium/micro firms, % */
    int32_t rate_large_pct;                 /* rate for large firms, % */
    int32_t layoff_target_permille;         /* cap above small_unit_max_headcount */
    int32_t small_unit_layoff_cap_permille; /* cap up to small_unit_max_headcount */
    rb_full_months_rule full_months_rule;
    bool tax_account_allowed;
    rb_layoff_method layoff_method;
    int64_t scope_max_headcount;
    int64_t small_unit_max_headcount;
    int64_t min_full_months;
    int64_t large_firm_min_headcount;
    rb_fen review_amount;
    rb_headcount_basis headcount_basis;
    char legal_reference[512];
    uint32_t clearable;                     /* review reasons a verdict may clear: an
                                             * rb_reason_set read from table
                                             * clearable_reasons (docs/rules.md, "Review verdicts") */
} rb_params;

/* Reads the row of policy_year into *out. No row: RB_E_USAGE with a
 * sentence naming the year and the years there are. */
rb_status rb_params_load(sqlite3 *db, int32_t policy_year, rb_params *out, rb_error *err);

/* Registration status and insured-unit status classes (docs/formats.md). */
typedef enum rb_reg_class { RB_REG_ACTIVE, RB_REG_INACTIVE, RB_REG_SUSPENDED } rb_reg_class;
typedef enum rb_ui_class { RB_UI_ACTIVE, RB_UI_SUSPENDED, RB_UI_TERMINATED } rb_ui_class;

/* The latest review verdict on a firm for the policy year (table
 * review_verdicts): what it covered when it was given. id 0: none. */
typedef struct rb_verdict {
    int64_t id;
    bool accept;                   /* accept, or reject */
    uint32_t covered;              /* the reasons it covered (an rb_reason_set) */
    int64_t amount;                /* the amount it covered, fen */
    const char *by;                /* who gave it (--by) */
    const char *at;                /* when, ISO 8601 UTC */
    const char *note;              /* why: what was checked */
} rb_verdict;

/* Everything the rules need about one firm. Strings are NUL-terminated
 * UTF-8 owned by whoever filled the struct; NULL when not given. */
typedef struct rb_firm_input {
    char uscc[RB_USCC_LEN + 1];

    bool has_registration;         /* a loaded registration row */
    const char *reg_name;
    const char *reg_status;        /* as given */
    rb_reg_class reg_class;
    bool dishonest;                /* serious_dishonesty = 1 */
    const char *industry_code;
    int64_t reg_line;

    bool has_unit;                 /* a loaded insured-unit row */
    const char *unit_name;
    const char *ui_status;         /* as given */
    rb_ui_class ui_class;
    const char *account_name;
    const char *bank_name;
    const char *bank_account;      /* spaces and '-' already removed */
    bool tax_account;              /* account_source = 税务 */
    const char *bank_code;
    int64_t unit_line;

    const rb_month *months;        /* every loaded row of the firm, period ascending */
    size_t n_months;

    int64_t row_errors;            /* rejected rows matching the code (ROW_ERROR) */
    int64_t conflicts;             /* conflicting duplicate rows (DATA_CONFLICT) */

    bool already_paid;             /* a live payment for this year in the ledger */
    const char *paid_reference;    /* its reference, when already_paid */
    bool transfer_returned;        /* last transfer returned, same account still given */
    int32_t next_attempt;          /* attempt number a new payment would get (1, 2 ...) */

    rb_verdict verdict;            /* the latest review verdict for this year, if any */
} rb_firm_input;

/* Outcomes, in the order of docs/rules.md's levels (SKIP first). */
typedef enum rb_outcome { RB_OUTCOME_PAY, RB_OUTCOME_REVIEW, RB_OUTCOME_REJECT, RB_OUTCOME_SKIP } rb_outcome;

/* Reason codes. The enum order is the sorted order of the codes, so a
 * bit set printed from bit 0 upwards is sorted by code. */
typedef enum rb_reason {
    RB_R_ACCOUNT_INVALID,
    RB_R_ALREADY_PAID,
    RB_R_AMOUNT_HIGH,
    RB_R_ARREARS,
    RB_R_DATA_CONFLICT,
    RB_R_DISHONEST,
    RB_R_FULL_MONTHS_SHORT,
    RB_R_LABOUR_DISPATCH,
    RB_R_LAYOFF_HIGH,
    RB_R_LAYOFF_RATE,
    RB_R_NAME_MISMATCH,
    RB_R_NO_ACCOUNT,
    RB_R_NO_CONTRIBUTIONS,
    RB_R_OVER_SCOPE,
    RB_R_PAYEE_MISMATCH,
    RB_R_REG_INACTIVE,
    RB_R_REG_MISSING,
    RB_R_REG_SUSPENDED,
    RB_R_REVIEW_REJECTED, /* not a condition of the data: a person's verdict */
    RB_R_ROW_ERROR,
    RB_R_TRANSFER_RETURNED,
    RB_R_UI_SUSPENDED,
    RB_R_UI_TERMINATED,
    RB_R_UNIT_MISSING,
    RB_R_ZERO_AMOUNT,
    RB_R_COUNT
} rb_reason;

typedef uint32_t rb_reason_set; /* bit (1u << reason) */

/* The measures of docs/rules.md for one firm, exact (fractions as num/den). */
typedef struct rb_measures {
    int32_t data_year;             /* A = Y - 1 */
    int64_t rows_in_a;             /* contribution rows with period in A01..A12 */
    bool headcount_known;          /* false with no row in A */
    int64_t headcount_num;         /* headcount = num / den (den 1 on the december basis) */
    int64_t headcount_den;
    int32_t headcount_period;      /* december basis: the period it was read from */
    int64_t full_months;           /* by the year's full-months rule */
    rb_fen arrears;                /* Σ unpaid over rows of A */
    rb_fen base;                   /* Σ counted over rows of A */
    /* layoff: december_stock uses start/end, claimants uses claimants/average */
    int64_t layoff_start, layoff_end;
    int32_t layoff_start_period, layoff_end_period; /* 0 when no row */
    int64_t claimants;             /* Σ new_claimants over rows of A */
    int64_t layoff_num, layoff_den;/* rate = num/den; den 0 = over every cap */
    int64_t layoff_cap_permille;   /* the cap that applied */
    bool layoff_over_cap;          /* rate × 1000 > cap, exactly */
    int32_t rate_pct;              /* the rate applied, % */
    rb_fen amount;                 /* (base × rate + 50) div 100 */
} rb_measures;

/* What became of the firm's latest review verdict in a decision. */
typedef enum rb_verdict_effect {
    RB_VERDICT_NONE,           /* no verdict for this firm and year */
    RB_VERDICT_APPLIES,        /* followed: PAY (accept) or REJECT REVIEW_REJECTED (reject) */
    RB_VERDICT_LAPSED_REASON,  /* a reason outside the covered set: REVIEW again */
    RB_VERDICT_LAPSED_AMOUNT,  /* the amount differs from the covered one: REVIEW again */
    RB_VERDICT_NOT_REVIEW      /* the decision is not a review (levels 1-4, or no review reason) */
} rb_verdict_effect;

typedef struct rb_decision {
    rb_outcome outcome;
    rb_reason_set reasons;         /* as listed in the decision (docs/rules.md levels) */
    rb_reason_set applicable;      /* every reason whose condition holds, whatever the
                                    * level (a superset of reasons; explain shows it) */
    rb_reason_set reviewed;        /* the review reasons of a level-5 REVIEW before any verdict
                                    * (what a verdict given now would cover); 0 otherwise */
    rb_verdict_effect verdict;     /* what became of firm->verdict */
    rb_reason_set uncovered;       /* LAPSED_REASON: the reasons the verdict did not cover */
    int64_t verdict_id;            /* APPLIES: the verdict followed (recorded with the decision) */
    rb_measures measures;
} rb_decision;

/* Computes the measures and the decision of one firm: a pure function of
 * its input and the parameters. */
void rb_decide(const rb_params *params, const rb_firm_input *firm, rb_decision *out);

/* "ARREARS", ... and the Chinese label for clerks, e.g. "欠缴". */
const char *rb_reason_code(rb_reason reason);
/* The reason of a code ("ARREARS"), or RB_R_COUNT when there is none. */
rb_reason rb_reason_from_code(const char *code, size_t len);
/* The set of a ';'-separated list of codes; false when one is unknown. */
bool rb_reasons_parse(const char *text, rb_reason_set *out);
const char *rb_reason_label(rb_reason reason);
/* "PAY", "REVIEW", "REJECT", "SKIP" and 拨付, 人工复核, 不予返还, 跳过. */
const char *rb_outcome_code(rb_outcome outcome);
const char *rb_outcome_label(rb_outcome outcome);

/* Appends to out one Chinese sentence per reason of the decision, each
 * after its code, with the values involved, joined by "；" (the detail
 * column of exceptions.csv, e.g. "ARREARS 2020年欠缴 10.00 元"). Returns
 * false when memory ran out. */
bool rb_decision_detail(const rb_params *params, const rb_firm_input *firm, const rb_decision *decision,
                        rb_strbuf *out);

/* Writes the reason codes of set, sorted and ';'-separated, into buf
 * (size bytes, at least 512); returns buf. */
char *rb_reasons_format(rb_reason_set set, char *buf, size_t size);

/* Reads firm inputs from the snapshot and the ledger for one policy year.
 * Without usccs: every firm of the population (docs/rules.md, "Population"),
 * in uscc order, in one pass whose memory does not grow with the data.
 * With usccs (n_usccs > 0): only those firms, in uscc order, each once
 * (lower case is upper-cased; duplicates are read once); an invalid code is
 * RB_E_USAGE and a valid code outside the population RB_E_NOINPUT, both
 * found by rb_firm_reader_open before any firm is returned. */
typedef struct rb_firm_reader rb_firm_reader;

rb_status rb_firm_reader_open(sqlite3 *db, const rb_params *params, const char *const *usccs,
                              size_t n_usccs, rb_firm_reader **out, rb_error *err);
/* *firm is the next firm, valid until the next call; NULL at the end. */
rb_status rb_firm_reader_next(rb_firm_reader *reader, const rb_firm_input **firm, rb_error *err);
void rb_firm_reader_close(rb_firm_reader *reader);

/* The same firms, read by a thread of its own a few hundred firms ahead
 * (src/rules/firm_prefetch.c): from open on, only that thread uses reader
 * and its connection, until close, which leaves reader open. *firm is valid
 * until the next call; NULL at the end. */
typedef struct rb_firm_prefetch rb_firm_prefetch;

rb_status rb_firm_prefetch_open(rb_firm_reader *reader, rb_firm_prefetch **out, rb_error *err);
rb_status rb_firm_prefetch_next(rb_firm_prefetch *prefetch, const rb_firm_input **firm, rb_error *err);
void rb_firm_prefetch_close(rb_firm_prefetch *prefetch);

/* Writes the explanation of one firm's decision (Chinese, codes beside)
 * to out. An invalid uscc: RB_E_USAGE; a valid one outside the population:
 * RB_E_NOINPUT, each with one sentence; out unwritable: RB_E_CANTWRITE. */
rb_status rb_explain(sqlite3 *db, const rb_params *params, const char *uscc, FILE *out, rb_error *err);

/* A bank account as explain shows it: "****" and its last four digits
 * ("****4567"), only "****" when it has fewer than eight digits, "" for
 * NULL or empty. Explain and status are read to callers on the phone; the batch files keep
 * the whole number, which finance needs. Returns buf. */
#define RB_ACCOUNT_MASKED_BUFSZ 16
const char *rb_account_masked(const char *account, char buf[RB_ACCOUNT_MASKED_BUFSZ]);

#endif
