/* Shared between the files of src/rules/ (and their tests): exact fraction
 * arithmetic, the numbers the rules and their sentences share, the table of
 * reasons (reasons.c), the fact sentences explain prints, and the reader's
 * table of queries. */
#ifndef REBATE_RULES_INTERNAL_H
#define REBATE_RULES_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "rebate/rules.h"
#include "rebate/strbuf.h"

/* 128-bit intermediates make every product of two int64 values exact, so
 * fractions are compared by cross-multiplication without overflow. */
typedef __int128 rb_wide;

/* a + b, saturating at INT64_MAX (sums of validated extract values never
 * get near it; saturation only keeps corrupt input from being UB). */
static inline int64_t rb_sat_add(int64_t a, int64_t b)
{
    rb_wide s = (rb_wide)a + b;
    return s > INT64_MAX ? INT64_MAX : s < INT64_MIN ? INT64_MIN : (int64_t)s;
}

/* Compares an/ad with bn/bd (both denominators > 0): <0, 0, >0. */
static inline int rb_frac_cmp(int64_t an, int64_t ad, int64_t bn, int64_t bd)
{
    rb_wide l = (rb_wide)an * bd, r = (rb_wide)bn * ad;
    return l < r ? -1 : l > r ? 1 : 0;
}

/* The level of docs/rules.md's "Decision" at which a reason takes effect. */
typedef enum rb_reason_level {
    RB_LEVEL_SKIP_PAID = 1,   /* SKIP ALREADY_PAID */
    RB_LEVEL_SKIP_SCOPE = 2,  /* SKIP OVER_SCOPE */
    RB_LEVEL_DATA_QUALITY = 3,/* REVIEW: ROW_ERROR, DATA_CONFLICT */
    RB_LEVEL_REJECT = 4,      /* REJECT reasons */
    RB_LEVEL_REVIEW = 5       /* REVIEW reasons */
} rb_reason_level;

rb_reason_level rb_reason_level_of(rb_reason reason);

/* Numbers of docs/rules.md that both a rule and its sentences use. A bank
 * account is RB_ACCOUNT_MIN_DIGITS to RB_ACCOUNT_MAX_DIGITS digits once
 * spaces and '-' are removed; labour dispatch (劳务派遣服务) is industry
 * code 7263, or L7263 with the section letter. */
#define RB_ACCOUNT_MIN_DIGITS 8
#define RB_ACCOUNT_MAX_DIGITS 32
#define RB_ACCOUNT_SHOWN_DIGITS 4 /* the last digits explain shows */
#define RB_LABOUR_DISPATCH_CODE "7263"
#define RB_LABOUR_DISPATCH_SECTION_CODE "L7263"

/* What a reason is judged on: one firm, its measures, the year's rules. */
typedef struct rb_rule_input {
    const rb_params *params;
    const rb_firm_input *firm;
    const rb_measures *m;
} rb_rule_input;

/* One row per reason (reasons.c), indexed by rb_reason: the code, the level
 * at which it takes effect, the Chinese label, the predicate, the detail
 * sentence of exceptions.csv (without the code, which the caller puts in
 * front) and the fact explain prints. The sentence writers return false
 * when memory ran out. */
typedef struct rb_reason_row {
    const char *code;
    rb_reason_level level;
    const char *label;
    bool (*applies)(const rb_rule_input *in);
    bool (*detail)(const rb_rule_input *in, rb_strbuf *out);
    bool (*fact)(const rb_rule_input *in, rb_strbuf *out);
} rb_reason_row;

extern const rb_reason_row rb_reason_table[RB_R_COUNT];

/* measures.c: every measure of docs/rules.md for one firm (rb_decide's first
 * step), and the per-row definitions explain prints beside each month. */
void rb_measures_compute(const rb_params *params, const rb_firm_input *firm, rb_measures *m);
bool rb_month_is_full(const rb_month *month);
rb_fen rb_month_counted(const rb_month *month); /* counted, both parts */
rb_fen rb_month_unpaid(const rb_month *month);  /* unpaid, both parts */
bool rb_period_in_data_year(int32_t period, int32_t data_year);

/* The bank account as the rules see it: spaces (ASCII, U+3000) and '-'
 * removed. *kept is the number of other bytes, *all_digits whether every
 * one of them is an ASCII digit. NULL counts as empty. */
void rb_account_shape(const char *account, size_t *kept, bool *all_digits);

/* Appends to out the fact a reason is judged on, in Chinese with the
 * numbers and the parameter compared against, e.g. "2020年欠缴合计
 * 10.00 元"; explain prints it for every rule beside the verdict. Returns
 * false when memory ran out. */
bool rb_reason_fact(rb_reason reason, const rb_params *params, const rb_firm_input *firm,
                    const rb_decision *decision, rb_strbuf *out);

/* The headcount, the layoff computation (with its cap) and the full months
 * as phrases, shared by the facts and explain's measures. */
bool rb_headcount_words(const rb_params *params, const rb_measures *m, rb_strbuf *out);
bool rb_layoff_words(const rb_params *params, const rb_measures *m, rb_strbuf *out);
bool rb_full_months_words(const rb_params *params, const rb_measures *m, rb_strbuf *out);

/* An account as explain shows it when it is not all digits
 * (ACCOUNT_INVALID): every digit masked ('*') but the last four (of eight
 * or more), and the letters, symbols and other characters that make it
 * invalid left in place, so that the clerk can tell the firm what to fix
 * ("**************345X7"). Returns false when memory ran out. */
bool rb_account_masked_in_place(const char *account, rb_strbuf *out);

/* Appends "YYYY年M月" for a period YYYYMM. */
bool rb_period_words(int32_t period, rb_strbuf *out);

/* Appends a permille as a percent ("200" -> "20%", "55" -> "5.5%"). */
bool rb_permille_words(int64_t permille, rb_strbuf *out);

/* The queries of the firm reader: each reads one table ordered by uscc;
 * `scan` for the whole population, `point` for one firm (:uscc). Exposed so
 * that a test can check with EXPLAIN QUERY PLAN that no scan sorts. */
typedef struct rb_reader_query {
    const char *name;
    const char *scan;
    const char *point;
} rb_reader_query;

enum {
    RB_Q_REGISTRATION,
    RB_Q_UNITS,
    RB_Q_CONTRIBUTIONS,
    RB_Q_ERRORS_BY_USCC,
    RB_Q_ERRORS_BY_PREFIX,
    RB_Q_PAYMENTS,
    RB_Q_VERDICTS,
    RB_Q_COUNT
};

extern const rb_reader_query rb_reader_queries[RB_Q_COUNT];

/* For rb_firm_prefetch, which unpacks the months on the deciding thread
 * instead of its reading thread (reading is the slower half of a night on
 * which few firms changed): a reader told to keep them packed leaves each
 * firm's months NULL (n_months is set) and its packed bytes (the format of
 * sql/snapshot.sql, for rb_months_unpack) to rb_firm_reader_packed, valid
 * until the next firm. */
void rb_firm_reader_keep_packed(rb_firm_reader *r, bool keep);
void rb_firm_reader_packed(const rb_firm_reader *r, const void **data, size_t *len);

/* The failure of rb_months_unpack on the months of uscc (out of memory when
 * oom, else a damaged snapshot), as the reader and the prefetch say it. */
rb_status rb_months_unreadable(const char *uscc, bool oom, rb_error *err);

#endif
