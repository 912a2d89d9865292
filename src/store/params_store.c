/* policy_params as plain rows: read, list, add or replace with an event
 * (rebate/params_store.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rebate/db.h"
#include "rebate/events.h"
#include "rebate/params_store.h"
#include "rebate/strbuf.h"

#define ROW_COLUMNS                                                                                            \
    "policy_year, rate_smm_pct, rate_large_pct, layoff_target_permille, small_unit_layoff_cap_permille,"      \
    " full_months_rule, tax_account_allowed, layoff_method, scope_max_headcount, small_unit_max_headcount," \
    " min_full_months, large_firm_min_headcount, review_amount_fen, headcount_basis, legal_reference"

#define USED_BY "(SELECT count(*) FROM batches b WHERE b.policy_year = p.policy_year)"

static void copy_text(sqlite3_stmt *q, int col, char *out, size_t size)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    snprintf(out, size, "%s", t ? (const char *)t : "");
}

static void row_of(sqlite3_stmt *q, rb_params_row *row)
{
    memset(row, 0, sizeof *row);
    row->policy_year = sqlite3_column_int(q, 0);
    row->rate_smm_pct = sqlite3_column_int64(q, 1);
    row->rate_large_pct = sqlite3_column_int64(q, 2);
    row->layoff_target_permille = sqlite3_column_int64(q, 3);
    row->small_unit_layoff_cap_permille = sqlite3_column_int64(q, 4);
    copy_text(q, 5, row->full_months_rule, sizeof row->full_months_rule);
    row->tax_account_allowed = sqlite3_column_int64(q, 6);
    copy_text(q, 7, row->layoff_method, sizeof row->layoff_method);
    row->scope_max_headcount = sqlite3_column_int64(q, 8);
    row->small_unit_max_headcount = sqlite3_column_int64(q, 9);
    row->min_full_months = sqlite3_column_int64(q, 10);
    row->large_firm_min_headcount = sqlite3_column_int64(q, 11);
    row->review_amount_fen = sqlite3_column_int64(q, 12);
    copy_text(q, 13, row->headcount_basis, sizeof row->headcount_basis);
    copy_text(q, 14, row->legal_reference, sizeof row->legal_reference);
}

rb_status rb_params_row_get(sqlite3 *db, int year, rb_params_row *row, int64_t *batches, bool *found,
                            rb_error *err)
{
    *found = false;
    sqlite3_stmt *q = NULL;
    rb_status st = RB_OK;
    if (sqlite3_prepare_v2(db, "SELECT " ROW_COLUMNS ", " USED_BY " FROM policy_params p WHERE policy_year = ?1", -1,
                           &q, NULL) != SQLITE_OK ||
        sqlite3_bind_int(q, 1, year) != SQLITE_OK) {
        st = rb_db_fail(db, "reading the policy parameters", err);
        sqlite3_finalize(q);
        return st;
    }
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        row_of(q, row);
        *batches = sqlite3_column_int64(q, 15);
        *found = true;
    } else if (rc != SQLITE_DONE) {
        st = rb_db_fail(db, "reading the policy parameters", err);
    }
    sqlite3_finalize(q);
    return st;
}

rb_status rb_params_rows_each(sqlite3 *db, rb_params_row_fn fn, void *ctx, rb_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT " ROW_COLUMNS ", " USED_BY " FROM policy_params p ORDER BY policy_year", -1,
                           &q, NULL) != SQLITE_OK)
        return rb_db_fail(db, "listing the policy parameters", err);
    rb_status st = RB_OK;
    int rc;
    while (st == RB_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        rb_params_row row;
        row_of(q, &row);
        st = fn(ctx, &row, sqlite3_column_int64(q, 15));
    }
    if (st == RB_OK && rc != SQLITE_DONE)
        st = rb_db_fail(db, "listing the policy parameters", err);
    sqlite3_finalize(q);
    return st;
}

/* The row as column=value;… (the form batches.params records). */
static bool row_text(const rb_params_row *r, rb_strbuf *out)
{
    return rb_strbuf_addf(out,
                          "rate_smm_pct=%" PRId64 ";rate_large_pct=%" PRId64 ";layoff_target_permille=%" PRId64
                          ";small_unit_layoff_cap_permille=%" PRId64 ";full_months_rule=%s;tax_account_allowed=%" PRId64
                          ";layoff_method=%s;scope_max_headcount=%" PRId64 ";small_unit_max_headcount=%" PRId64
                          ";min_full_months=%" PRId64 ";large_firm_min_headcount=%" PRId64
                          ";review_amount_fen=%" PRId64 ";headcount_basis=%s;legal_reference=%s",
                          r->rate_smm_pct, r->rate_large_pct, r->layoff_target_permille,
                          r->small_unit_layoff_cap_permille, r->full_months_rule, r->tax_account_allowed,
                          r->layoff_method, r->scope_max_headcount, r->small_unit_max_headcount, r->min_full_months,
                          r->large_firm_min_headcount, r->review_amount_fen, r->headcount_basis, r->legal_reference);
}

static rb_status write_row(sqlite3 *db, const rb_params_row *r, bool update, rb_error *err)
{
    static const char insert_sql[] = "INSERT INTO policy_params (" ROW_COLUMNS ")"
                                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
    static const char update_sql[] =
        "UPDATE policy_params SET rate_smm_pct = ?2, rate_large_pct = ?3, layoff_target_permille = ?4,"
        " small_unit_layoff_cap_permille = ?5, full_months_rule = ?6, tax_account_allowed = ?7, layoff_method = ?8,"
        " scope_max_headcount = ?9, small_unit_max_headcount = ?10, min_full_months = ?11,"
        " large_firm_min_headcount = ?12, review_amount_fen = ?13, headcount_basis = ?14, legal_reference = ?15"
        " WHERE policy_year = ?1";
    sqlite3_stmt *q = NULL;
    rb_status st = RB_OK;
    if (sqlite3_prepare_v2(db, update ? update_sql : insert_sql, -1, &q, NULL) != SQLITE_OK ||
        sqlite3_bind_int(q, 1, r->policy_year) != SQLITE_OK || sqlite3_bind_int64(q, 2, r->rate_smm_pct) != SQLITE_OK ||
        sqlite3_bind_int64(q, 3, r->rate_large_pct) != SQLITE_OK ||
        sqlite3_bind_int64(q, 4, r->layoff_target_permille) != SQLITE_OK ||
        sqlite3_bind_int64(q, 5, r->small_unit_layoff_cap_permille) != SQLITE_OK ||
        sqlite3_bind_text(q, 6, r->full_months_rule, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(q, 7, r->tax_account_allowed) != SQLITE_OK ||
        sqlite3_bind_text(q, 8, r->layoff_method, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(q, 9, r->scope_max_headcount) != SQLITE_OK ||
        sqlite3_bind_int64(q, 10, r->small_unit_max_headcount) != SQLITE_OK ||
        sqlite3_bind_int64(q, 11, r->min_full_months) != SQLITE_OK ||
        sqlite3_bind_int64(q, 12, r->large_firm_min_headcount) != SQLITE_OK ||
        sqlite3_bind_int64(q, 13, r->review_amount_fen) != SQLITE_OK ||
        sqlite3_bind_text(q, 14, r->headcount_basis, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(q, 15, r->legal_reference, -1, SQLITE_STATIC) != SQLITE_OK || sqlite3_step(q) != SQLITE_DONE)
        st = rb_db_fail(db, "storing the policy parameters", err);
    sqlite3_finalize(q);
    return st;
}

rb_status rb_params_row_add(sqlite3 *db, const rb_params_row *row, bool replace, const char *source,
                            const char *by, const char *login, bool *replaced, rb_error *err)
{
    *replaced = false;
    rb_strbuf why = RB_STRBUF_INIT;
    rb_params_row old;
    int64_t used = 0;
    bool found = false;
    char year[16];
    snprintf(year, sizeof year, "%d", row->policy_year);
    rb_status st = rb_db_begin(db, err);
    if (st != RB_OK)
        return st;
    if ((st = rb_params_row_get(db, row->policy_year, &old, &used, &found, err)) != RB_OK)
        goto fail;
    if (found && !replace) {
        st = rb_fail(err, RB_E_USAGE,
                     "policy year %d has a parameter row already; nothing was changed (a row that no batch has used "
                     "may be replaced)",
                     row->policy_year);
        goto fail;
    }
    if (found && used > 0) {
        st = rb_fail(err, RB_E_USAGE,
                     "the parameter row of policy year %d was used by %" PRId64
                     " batch(es) and never changes; nothing was changed",
                     row->policy_year, used);
        goto fail;
    }
    if (!rb_strbuf_addf(&why, "from %s: ", source) || !row_text(row, &why) ||
        (found && (!rb_strbuf_adds(&why, "; replacing: ") || !row_text(&old, &why)))) {
        st = rb_fail(err, RB_E_INTERNAL, "out of memory recording the policy parameters");
        goto fail;
    }
    rb_event e = {
        .kind = RB_EVENT_PARAMS,
        .subject = year,
        .from_state = found ? "added" : NULL,
        .to_state = found ? "replaced" : "added",
        .by = by,
        .login = login,
        .why = why.buf,
    };
    if ((st = write_row(db, row, found, err)) != RB_OK || (st = rb_event_add(db, &e, err)) != RB_OK ||
        (st = rb_db_commit(db, err)) != RB_OK)
        goto fail;
    rb_strbuf_release(&why);
    *replaced = found;
    return RB_OK;
fail:
    rb_db_rollback(db);
    rb_strbuf_release(&why);
    return st;
}
