/* The rows of policy_params as plain data (sql/002_policy.sql): reading
 * one, listing them, and adding or replacing one with its event in the log
 * (sql/005_events.sql). A row that a batch has used is never changed (also
 * refused by the database's triggers, sql/007_ledger_identity.sql). */
#ifndef REBATE_PARAMS_STORE_H
#define REBATE_PARAMS_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "rebate/error.h"

/* Bytes the legal reference may take, its NUL included. */
#define RB_PARAMS_REFERENCE_SIZE 512

/* One row, column by column; texts as stored ("cumulative", "claimants" …). */
typedef struct rb_params_row {
    int policy_year;
    int64_t rate_smm_pct;
    int64_t rate_large_pct;
    int64_t layoff_target_permille;
    int64_t small_unit_layoff_cap_permille;
    char full_months_rule[16];
    int64_t tax_account_allowed; /* 0 or 1 */
    char layoff_method[16];
    int64_t scope_max_headcount;
    int64_t small_unit_max_headcount;
    int64_t min_full_months;
    int64_t large_firm_min_headcount;
    int64_t review_amount_fen;
    char headcount_basis[16];
    char legal_reference[RB_PARAMS_REFERENCE_SIZE];
} rb_params_row;

/* Reads the row of year into *row and how many batches used it; *found is
 * false (and nothing else set) when there is none. */
rb_status rb_params_row_get(sqlite3 *db, int year, rb_params_row *row, int64_t *batches, bool *found,
                            rb_error *err);

/* Calls fn for every row, oldest year first, with the batches that used
 * it; fn returns RB_OK to go on. */
typedef rb_status (*rb_params_row_fn)(void *ctx, const rb_params_row *row, int64_t batches);
rb_status rb_params_rows_each(sqlite3 *db, rb_params_row_fn fn, void *ctx, rb_error *err);

/* Adds row in one transaction with its event (kind params, subject the
 * year, by and login as given, the source file named in the event). A year
 * that has a row is RB_E_USAGE unless replace is true and no batch has used
 * the row (then RB_E_USAGE too, naming the batches). *replaced tells which
 * happened. */
rb_status rb_params_row_add(sqlite3 *db, const rb_params_row *row, bool replace, const char *source,
                            const char *by, const char *login, bool *replaced, rb_error *err);

#endif
