/* Policy parameters as data: reads one row of policy_params (sql/002_policy.sql)
 * into rb_params. No policy number lives in C code; a new policy year is a new
 * row, added with `rebate params add` (src/rules/params_file.c). */
#include <stdio.h>
#include <string.h>

#include "rebate/db.h"
#include "rebate/rules.h"
#include "rules/rules_internal.h"
#include "rebate/strbuf.h"

static const char params_sql[] =
    "SELECT rate_smm_pct, rate_large_pct, layoff_target_permille, small_unit_layoff_cap_permille,"
    " full_months_rule, tax_account_allowed, layoff_method, scope_max_headcount,"
    " small_unit_max_headcount, min_full_months, large_firm_min_headcount, review_amount_fen,"
    " headcount_basis, legal_reference"
    " FROM policy_params WHERE policy_year = ?1";

static const char years_sql[] = "SELECT policy_year FROM policy_params ORDER BY policy_year";

/* The sentence for a year without a row names the years there are. */
static rb_status no_row(sqlite3 *db, int32_t policy_year, rb_error *err)
{
    rb_strbuf years = RB_STRBUF_INIT;
    sqlite3_stmt *stmt = NULL;
    rb_status st = RB_OK;
    int rc;
    if (sqlite3_prepare_v2(db, years_sql, -1, &stmt, NULL) != SQLITE_OK) {
        st = rb_db_fail(db, "reading the policy years", err);
        goto out;
    }
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (!rb_strbuf_addf(&years, "%s%lld", years.len ? ", " : "",
                            (long long)sqlite3_column_int64(stmt, 0))) {
            st = rb_fail(err, RB_E_INTERNAL, "out of memory listing the policy years");
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        st = rb_db_fail(db, "reading the policy years", err);
        goto out;
    }
    if (years.len == 0)
        st = rb_fail(err, RB_E_USAGE,
                     "there are no policy parameters for policy year %d: the table policy_params is empty",
                     (int)policy_year);
    else
        st = rb_fail(err, RB_E_USAGE,
                     "there are no policy parameters for policy year %d; the database has them for %s",
                     (int)policy_year, years.buf);
out:
    sqlite3_finalize(stmt);
    rb_strbuf_release(&years);
    return st;
}

static bool text_is(sqlite3_stmt *stmt, int col, const char *want)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return t != NULL && strcmp((const char *)t, want) == 0;
}

/* An int column that must fit in 32 bits (the CHECKs of 002 keep rates in
 * 0..100; the permille caps only need to be non-negative). */
static bool int32_column(sqlite3_stmt *stmt, int col, int32_t *out)
{
    sqlite3_int64 v = sqlite3_column_int64(stmt, col);
    if (sqlite3_column_type(stmt, col) != SQLITE_INTEGER || v < 0 || v > INT32_MAX)
        return false;
    *out = (int32_t)v;
    return true;
}

/* The review reasons a verdict may clear (table clearable_reasons, beside
 * the parameters). Only review reasons (level 5) can be there: a row naming
 * anything else is refused, so that a verdict can never pay a firm the
 * levels 1 to 4 hold back. */
static rb_status load_clearable(sqlite3 *db, uint32_t *out, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    rb_status st = RB_OK;
    *out = 0;
    if (sqlite3_prepare_v2(db, "SELECT code FROM clearable_reasons", -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the clearable reasons", err);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(stmt, 0);
        rb_reason r = code ? rb_reason_from_code(code, strlen(code)) : RB_R_COUNT;
        if (r == RB_R_COUNT || rb_reason_level_of(r) != RB_LEVEL_REVIEW || r == RB_R_REVIEW_REJECTED) {
            st = rb_fail(err, RB_E_INTERNAL, "table clearable_reasons names '%s', which is not a review reason",
                         code ? code : "");
            break;
        }
        *out |= 1u << r;
    }
    if (st == RB_OK && rc != SQLITE_DONE)
        st = rb_db_fail(db, "reading the clearable reasons", err);
    sqlite3_finalize(stmt);
    return st;
}

rb_status rb_params_load(sqlite3 *db, int32_t policy_year, rb_params *out, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    rb_status st = RB_OK;
    rb_params p;
    memset(&p, 0, sizeof p);
    p.policy_year = policy_year;

    if (sqlite3_prepare_v2(db, params_sql, -1, &stmt, NULL) != SQLITE_OK ||
        sqlite3_bind_int(stmt, 1, policy_year) != SQLITE_OK) {
        st = rb_db_fail(db, "reading the policy parameters", err);
        goto out;
    }
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        st = no_row(db, policy_year, err);
        goto out;
    }
    if (rc != SQLITE_ROW) {
        st = rb_db_fail(db, "reading the policy parameters", err);
        goto out;
    }

    const char *bad = NULL; /* the column at fault, if any */
    if (!int32_column(stmt, 0, &p.rate_smm_pct) || p.rate_smm_pct > 100)
        bad = "rate_smm_pct";
    else if (!int32_column(stmt, 1, &p.rate_large_pct) || p.rate_large_pct > 100)
        bad = "rate_large_pct";
    else if (!int32_column(stmt, 2, &p.layoff_target_permille))
        bad = "layoff_target_permille";
    else if (!int32_column(stmt, 3, &p.small_unit_layoff_cap_permille))
        bad = "small_unit_layoff_cap_permille";

    if (text_is(stmt, 4, "cumulative"))
        p.full_months_rule = RB_FULL_MONTHS_CUMULATIVE;
    else if (text_is(stmt, 4, "data_year"))
        p.full_months_rule = RB_FULL_MONTHS_DATA_YEAR;
    else if (!bad)
        bad = "full_months_rule";

    p.tax_account_allowed = sqlite3_column_int64(stmt, 5) != 0;

    if (text_is(stmt, 6, "december_stock"))
        p.layoff_method = RB_LAYOFF_DECEMBER_STOCK;
    else if (text_is(stmt, 6, "claimants"))
        p.layoff_method = RB_LAYOFF_CLAIMANTS;
    else if (!bad)
        bad = "layoff_method";

    p.scope_max_headcount = sqlite3_column_int64(stmt, 7);
    p.small_unit_max_headcount = sqlite3_column_int64(stmt, 8);
    p.min_full_months = sqlite3_column_int64(stmt, 9);
    p.large_firm_min_headcount = sqlite3_column_int64(stmt, 10);
    p.review_amount = sqlite3_column_int64(stmt, 11);
    if (!bad && (p.scope_max_headcount < 0 || p.small_unit_max_headcount < 0 || p.min_full_months < 0 ||
                 p.large_firm_min_headcount < 0 || p.review_amount < 0))
        bad = "a headcount, month count or review amount (negative)";

    if (text_is(stmt, 12, "december"))
        p.headcount_basis = RB_HEADCOUNT_DECEMBER;
    else if (text_is(stmt, 12, "average"))
        p.headcount_basis = RB_HEADCOUNT_AVERAGE;
    else if (!bad)
        bad = "headcount_basis";

    const unsigned char *ref = sqlite3_column_text(stmt, 13);
    if (!bad && (ref == NULL || strlen((const char *)ref) >= sizeof p.legal_reference))
        bad = "legal_reference (missing or longer than 511 bytes)";

    if (bad) {
        st = rb_fail(err, RB_E_INTERNAL, "the policy parameters of %d in table policy_params have a bad %s",
                     (int)policy_year, bad);
        goto out;
    }
    snprintf(p.legal_reference, sizeof p.legal_reference, "%s", (const char *)ref);
    if ((st = load_clearable(db, &p.clearable, err)) != RB_OK)
        goto out;
    *out = p;
out:
    sqlite3_finalize(stmt);
    return st;
}
