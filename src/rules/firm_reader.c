/* rb_firm_reader: the population of docs/rules.md and each firm's input, read from
 * the snapshot and the ledger.
 *
 * For the whole population it is one merge of six cursors, each reading one
 * table in uscc order along its primary key or index (no sort, no temporary
 * table, memory bounded by the largest firm, not by the number of firms):
 * insured_units, contributions and row_errors (by uscc) name the firms, and
 * registration, row_errors (by uscc_prefix) and payments are advanced to
 * each firm in turn. For given usccs the same six queries run as point
 * queries bound to one code, and the same code assembles the firm. */
#include <stdlib.h>
#include <string.h>

#include "rebate/alloc.h"
#include "rebate/db.h"
#include "rebate/rules.h"
#include "rebate/snapshot.h"
#include "rebate/strbuf.h"
#include "rules/rules_internal.h"

/* Column lists shared by the scan and the point form of each query, so the
 * row readers below serve both. Column 0 is always the key. */
#define REG_COLS "uscc, name, status, status_class, industry_code, serious_dishonesty, line"
#define UNIT_COLS                                                                                  \
    "uscc, unit_name, ui_status, ui_status_class, account_name, bank_name, bank_account, account_source, " \
    "bank_code, line"
/* A firm's months are one row, packed (sql/snapshot.sql): a million firms
 * are a million rows to step through, not twenty million. */
#define CONTRIB_COLS "uscc, months, packed"
/* Per uscc: conflicting duplicates (DATA_CONFLICT, any file) and whether a
 * rejected row of insured_units.csv or contributions.csv puts the code in
 * the population. */
#define ERR_COLS                                                                                   \
    "uscc, sum(rule = 'DATA_CONFLICT'), max(file IN ('insured_units.csv', 'contributions.csv'))"
#define PAY_COLS "uscc, attempt, state, reference, bank_account, account_name"
#define VERDICT_COLS "uscc, verdict_id, verdict, reasons, amount_fen, by_whom, at, note"

const rb_reader_query rb_reader_queries[RB_Q_COUNT] = {
    [RB_Q_REGISTRATION] = {"registration", "SELECT " REG_COLS " FROM registration ORDER BY uscc",
                           "SELECT " REG_COLS " FROM registration WHERE uscc = :uscc"},
    [RB_Q_UNITS] = {"insured_units", "SELECT " UNIT_COLS " FROM insured_units ORDER BY uscc",
                    "SELECT " UNIT_COLS " FROM insured_units WHERE uscc = :uscc"},
    [RB_Q_CONTRIBUTIONS] = {"contributions", "SELECT " CONTRIB_COLS " FROM contribution_months ORDER BY uscc",
                            "SELECT " CONTRIB_COLS " FROM contribution_months WHERE uscc = :uscc"},
    [RB_Q_ERRORS_BY_USCC] = {"row_errors by uscc",
                             "SELECT " ERR_COLS " FROM row_errors INDEXED BY row_errors_by_uscc"
                             " WHERE uscc IS NOT NULL GROUP BY uscc ORDER BY uscc",
                             "SELECT " ERR_COLS " FROM row_errors WHERE uscc = :uscc GROUP BY uscc"},
    /* ROW_ERROR: rejected rows (not conflicts) whose uscc field is the
     * firm's code or differs only in the check character. The importer sets
     * uscc_prefix for every 18-character field, valid ones included, so the
     * prefix alone finds both; the point form also says uscc = :uscc. */
    [RB_Q_ERRORS_BY_PREFIX] = {"row_errors by uscc_prefix",
                               "SELECT uscc_prefix, count(*) FROM row_errors INDEXED BY row_errors_by_prefix"
                               " WHERE uscc_prefix IS NOT NULL AND rule <> 'DATA_CONFLICT'"
                               " GROUP BY uscc_prefix ORDER BY uscc_prefix",
                               "SELECT substr(:uscc, 1, 17), count(*) FROM row_errors"
                               " WHERE rule <> 'DATA_CONFLICT' AND (uscc = :uscc OR uscc_prefix = substr(:uscc, 1, 17))"},
    /* In uscc order along the UNIQUE (uscc, policy_year, attempt) index;
     * the attempts of a firm may come in any order (take_payment). */
    [RB_Q_PAYMENTS] = {"payments",
                       "SELECT " PAY_COLS " FROM payments WHERE policy_year = :year ORDER BY uscc",
                       "SELECT " PAY_COLS " FROM payments WHERE uscc = :uscc AND policy_year = :year"},
    /* The review verdicts of the year, a firm's in the order given: the
     * last one read is the one in force (docs/rules.md, "Review verdicts"). */
    [RB_Q_VERDICTS] = {"review verdicts",
                       "SELECT " VERDICT_COLS " FROM review_verdicts INDEXED BY review_verdicts_by_firm"
                       " WHERE policy_year = :year ORDER BY uscc, verdict_id",
                       "SELECT " VERDICT_COLS " FROM review_verdicts INDEXED BY review_verdicts_by_firm"
                       " WHERE policy_year = :year AND uscc = :uscc ORDER BY verdict_id"},
};

static const char population_sql[] =
    "SELECT EXISTS (SELECT 1 FROM insured_units WHERE uscc = :uscc)"
    " OR EXISTS (SELECT 1 FROM contribution_months WHERE uscc = :uscc)"
    " OR EXISTS (SELECT 1 FROM row_errors WHERE uscc = :uscc"
    "            AND file IN ('insured_units.csv', 'contributions.csv'))";

typedef struct cursor {
    sqlite3_stmt *stmt;
    bool has_row;
    const char *key;  /* column 0 of the current row (valid until the next step); NULL for SQL NULL */
    size_t key_bytes;
    size_t key_len;   /* bytes of the firm's code the key is compared with */
    const char *what;
} cursor;

/* The strings of the current firm, each in its own buffer. */
enum {
    T_REG_NAME, T_REG_STATUS, T_INDUSTRY,
    T_UNIT_NAME, T_UI_STATUS, T_ACCOUNT_NAME, T_BANK_NAME, T_BANK_ACCOUNT, T_BANK_CODE,
    T_PAID_REFERENCE, T_LAST_PAY_ACCOUNT, T_LAST_PAY_NAME,
    T_VERDICT_BY, T_VERDICT_AT, T_VERDICT_NOTE,
    T_COUNT
};

struct rb_firm_reader {
    sqlite3 *db;
    int32_t policy_year;
    cursor cursors[RB_Q_COUNT];
    bool point_mode;
    char (*usccs)[RB_USCC_LEN + 1]; /* point mode: sorted, unique */
    size_t n_usccs, next_uscc;

    rb_firm_input firm;
    rb_month *months;
    size_t months_cap;
    bool keep_packed;         /* rb_firm_reader_keep_packed: months left packed in `packed` */
    rb_strbuf packed;
    rb_strbuf text[T_COUNT];
    /* the last payment of the current firm, for TRANSFER_RETURNED */
    bool last_pay_returned;
    const char *last_pay_account, *last_pay_name;
};

static rb_status cursor_step(rb_firm_reader *r, cursor *c, rb_error *err)
{
    int rc = sqlite3_step(c->stmt);
    if (rc == SQLITE_ROW) {
        /* The key is read once per row: the merge compares it often. */
        c->has_row = true;
        c->key = (const char *)sqlite3_column_text(c->stmt, 0);
        c->key_bytes = (size_t)sqlite3_column_bytes(c->stmt, 0);
        if (c->key == NULL && sqlite3_errcode(r->db) == SQLITE_NOMEM)
            return rb_fail(err, RB_E_INTERNAL, "out of memory reading %s", c->what);
        return RB_OK;
    }
    c->has_row = false;
    c->key = NULL;
    if (rc == SQLITE_DONE)
        return RB_OK;
    return rb_db_fail(r->db, c->what, err);
}

/* Compares the cursor's key with the firm's code (its first key_len bytes);
 * a finished cursor is after every firm. */
static int cursor_cmp(const cursor *c, const char *uscc)
{
    if (!c->has_row)
        return 1;
    const char *key = c->key;
    size_t len = c->key_bytes;
    if (key == NULL)
        return -1; /* NULL keys sort first and belong to no firm */
    size_t n = len < c->key_len ? len : c->key_len;
    int d = memcmp(key, uscc, n);
    if (d != 0)
        return d;
    return len < c->key_len ? -1 : len > c->key_len ? 1 : 0;
}

/* Steps past every row before the firm; on return the cursor is at the
 * firm's first row or after it. */
static rb_status cursor_seek(rb_firm_reader *r, cursor *c, const char *uscc, rb_error *err)
{
    rb_status st = RB_OK;
    while (st == RB_OK && cursor_cmp(c, uscc) < 0)
        st = cursor_step(r, c, err);
    return st;
}

/* Copies a text column into the buffer; *out is NULL for SQL NULL. */
static rb_status take_text(rb_firm_reader *r, sqlite3_stmt *stmt, int col, int slot, const char **out,
                           rb_error *err)
{
    rb_strbuf *sb = &r->text[slot];
    rb_strbuf_reset(sb);
    if (sqlite3_column_type(stmt, col) == SQLITE_NULL) {
        *out = NULL;
        return RB_OK;
    }
    const unsigned char *t = sqlite3_column_text(stmt, col);
    if (t == NULL || !rb_strbuf_add(sb, t, (size_t)sqlite3_column_bytes(stmt, col)))
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading a firm");
    *out = sb->buf;
    return RB_OK;
}

static bool column_is(sqlite3_stmt *stmt, int col, const char *want)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return t != NULL && strcmp((const char *)t, want) == 0;
}

static rb_status take_registration(rb_firm_reader *r, sqlite3_stmt *s, rb_error *err)
{
    rb_firm_input *f = &r->firm;
    rb_status st;
    f->has_registration = true;
    if ((st = take_text(r, s, 1, T_REG_NAME, &f->reg_name, err)) != RB_OK ||
        (st = take_text(r, s, 2, T_REG_STATUS, &f->reg_status, err)) != RB_OK ||
        (st = take_text(r, s, 4, T_INDUSTRY, &f->industry_code, err)) != RB_OK)
        return st;
    if (column_is(s, 3, "active"))
        f->reg_class = RB_REG_ACTIVE;
    else if (column_is(s, 3, "inactive"))
        f->reg_class = RB_REG_INACTIVE;
    else if (column_is(s, 3, "suspended"))
        f->reg_class = RB_REG_SUSPENDED;
    else
        return rb_fail(err, RB_E_INTERNAL, "the registration row of %s has an unknown status_class", f->uscc);
    f->dishonest = sqlite3_column_int64(s, 5) != 0;
    f->reg_line = sqlite3_column_int64(s, 6);
    return RB_OK;
}

static rb_status take_unit(rb_firm_reader *r, sqlite3_stmt *s, rb_error *err)
{
    rb_firm_input *f = &r->firm;
    rb_status st;
    f->has_unit = true;
    if ((st = take_text(r, s, 1, T_UNIT_NAME, &f->unit_name, err)) != RB_OK ||
        (st = take_text(r, s, 2, T_UI_STATUS, &f->ui_status, err)) != RB_OK ||
        (st = take_text(r, s, 4, T_ACCOUNT_NAME, &f->account_name, err)) != RB_OK ||
        (st = take_text(r, s, 5, T_BANK_NAME, &f->bank_name, err)) != RB_OK ||
        (st = take_text(r, s, 6, T_BANK_ACCOUNT, &f->bank_account, err)) != RB_OK ||
        (st = take_text(r, s, 8, T_BANK_CODE, &f->bank_code, err)) != RB_OK)
        return st;
    if (column_is(s, 3, "active"))
        f->ui_class = RB_UI_ACTIVE;
    else if (column_is(s, 3, "suspended"))
        f->ui_class = RB_UI_SUSPENDED;
    else if (column_is(s, 3, "terminated"))
        f->ui_class = RB_UI_TERMINATED;
    else
        return rb_fail(err, RB_E_INTERNAL, "the insured-unit row of %s has an unknown ui_status_class", f->uscc);
    f->tax_account = column_is(s, 7, "税务");
    f->unit_line = sqlite3_column_int64(s, 9);
    return RB_OK;
}

/* The firm's months, unpacked into the reader's array. */
static rb_status take_months(rb_firm_reader *r, sqlite3_stmt *s, rb_error *err)
{
    sqlite3_int64 n = sqlite3_column_int64(s, 1);
    const void *packed = sqlite3_column_blob(s, 2);
    int len = sqlite3_column_bytes(s, 2);
    bool oom = false;
    if (r->keep_packed && n >= 0) {
        if (len > 0 && !rb_strbuf_add(&r->packed, packed, (size_t)len))
            return rb_fail(err, RB_E_INTERNAL, "out of memory reading the contributions of %s", r->firm.uscc);
        r->firm.n_months = (size_t)n;
        return RB_OK;
    }
    if (n < 0 || !rb_months_unpack(packed, (size_t)len, (size_t)n, &r->months, &r->months_cap, &oom))
        return rb_months_unreadable(r->firm.uscc, oom, err);
    r->firm.n_months = (size_t)n;
    return RB_OK;
}

/* One payment of the firm for this year, in any order of attempts: the
 * highest attempt is the last payment, which decides TRANSFER_RETURNED. */
static rb_status take_payment(rb_firm_reader *r, sqlite3_stmt *s, rb_error *err)
{
    rb_firm_input *f = &r->firm;
    rb_status st;
    int64_t attempt = sqlite3_column_int64(s, 1);
    bool returned = column_is(s, 2, "returned");
    /* ALREADY_PAID: a payment not voided and not returned as failed (the
     * database allows at most one such payment per firm and year). */
    if (!returned && !column_is(s, 2, "voided")) {
        f->already_paid = true;
        if ((st = take_text(r, s, 3, T_PAID_REFERENCE, &f->paid_reference, err)) != RB_OK)
            return st;
    }
    if (attempt < f->next_attempt)
        return RB_OK; /* an earlier attempt than one already seen */
    f->next_attempt = attempt >= INT32_MAX ? INT32_MAX : (int32_t)attempt + 1;
    r->last_pay_returned = returned;
    if ((st = take_text(r, s, 4, T_LAST_PAY_ACCOUNT, &r->last_pay_account, err)) != RB_OK ||
        (st = take_text(r, s, 5, T_LAST_PAY_NAME, &r->last_pay_name, err)) != RB_OK)
        return st;
    return RB_OK;
}

/* One verdict of the firm for this year; a later one replaces it. */
static rb_status take_verdict(rb_firm_reader *r, sqlite3_stmt *s, rb_error *err)
{
    rb_verdict *v = &r->firm.verdict;
    rb_status st;
    const char *reasons = (const char *)sqlite3_column_text(s, 3);
    v->id = sqlite3_column_int64(s, 1);
    v->accept = column_is(s, 2, "accept");
    if (reasons == NULL || !rb_reasons_parse(reasons, &v->covered))
        return rb_fail(err, RB_E_INTERNAL, "review verdict %lld of %s names an unknown reason: '%s'",
                       (long long)v->id, r->firm.uscc, reasons ? reasons : "");
    v->amount = sqlite3_column_int64(s, 4);
    if ((st = take_text(r, s, 5, T_VERDICT_BY, &v->by, err)) != RB_OK ||
        (st = take_text(r, s, 6, T_VERDICT_AT, &v->at, err)) != RB_OK ||
        (st = take_text(r, s, 7, T_VERDICT_NOTE, &v->note, err)) != RB_OK)
        return st;
    return RB_OK;
}

/* NULL and "" both mean "not given". */
static bool same_text(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Reads everything about the firm `uscc` from the cursors, which are at or
 * before its rows. Used by both modes. */
static rb_status assemble(rb_firm_reader *r, const char *uscc, rb_error *err)
{
    rb_firm_input *f = &r->firm;
    rb_status st = RB_OK;
    memset(f, 0, sizeof *f);
    memcpy(f->uscc, uscc, RB_USCC_LEN);
    f->uscc[RB_USCC_LEN] = '\0';
    f->next_attempt = 1;
    r->last_pay_returned = false;
    r->last_pay_account = r->last_pay_name = NULL;
    rb_strbuf_reset(&r->packed);

    cursor *c = &r->cursors[RB_Q_REGISTRATION];
    if ((st = cursor_seek(r, c, uscc, err)) != RB_OK)
        return st;
    if (cursor_cmp(c, uscc) == 0 &&
        ((st = take_registration(r, c->stmt, err)) != RB_OK || (st = cursor_step(r, c, err)) != RB_OK))
        return st;

    c = &r->cursors[RB_Q_UNITS];
    if ((st = cursor_seek(r, c, uscc, err)) != RB_OK)
        return st;
    if (cursor_cmp(c, uscc) == 0 &&
        ((st = take_unit(r, c->stmt, err)) != RB_OK || (st = cursor_step(r, c, err)) != RB_OK))
        return st;

    c = &r->cursors[RB_Q_CONTRIBUTIONS];
    if ((st = cursor_seek(r, c, uscc, err)) != RB_OK)
        return st;
    if (cursor_cmp(c, uscc) == 0 &&
        ((st = take_months(r, c->stmt, err)) != RB_OK || (st = cursor_step(r, c, err)) != RB_OK))
        return st;
    f->months = r->keep_packed ? NULL : r->months;

    c = &r->cursors[RB_Q_ERRORS_BY_USCC];
    if ((st = cursor_seek(r, c, uscc, err)) != RB_OK)
        return st;
    if (cursor_cmp(c, uscc) == 0) {
        f->conflicts = sqlite3_column_int64(c->stmt, 1);
        if ((st = cursor_step(r, c, err)) != RB_OK)
            return st;
    }

    c = &r->cursors[RB_Q_ERRORS_BY_PREFIX];
    if ((st = cursor_seek(r, c, uscc, err)) != RB_OK)
        return st;
    if (cursor_cmp(c, uscc) == 0) {
        f->row_errors = sqlite3_column_int64(c->stmt, 1);
        if ((st = cursor_step(r, c, err)) != RB_OK)
            return st;
    }

    c = &r->cursors[RB_Q_PAYMENTS];
    if ((st = cursor_seek(r, c, uscc, err)) != RB_OK)
        return st;
    while (cursor_cmp(c, uscc) == 0)
        if ((st = take_payment(r, c->stmt, err)) != RB_OK || (st = cursor_step(r, c, err)) != RB_OK)
            return st;
    c = &r->cursors[RB_Q_VERDICTS];
    if ((st = cursor_seek(r, c, uscc, err)) != RB_OK)
        return st;
    while (cursor_cmp(c, uscc) == 0)
        if ((st = take_verdict(r, c->stmt, err)) != RB_OK || (st = cursor_step(r, c, err)) != RB_OK)
            return st;
    /* TRANSFER_RETURNED: the last payment was returned and the account it
     * went to (number and name) is the one the extract still gives. */
    f->transfer_returned = r->last_pay_returned && f->has_unit && f->bank_account != NULL &&
                           same_text(r->last_pay_account, f->bank_account) &&
                           same_text(r->last_pay_name, f->account_name);
    return RB_OK;
}

/* Scan mode: the next firm is the smallest key among the three cursors that
 * name firms; a row_errors key counts only when a rejected row of
 * insured_units.csv or contributions.csv carries it. */
static rb_status next_scanned_uscc(rb_firm_reader *r, char uscc[RB_USCC_LEN + 1], bool *found, rb_error *err)
{
    cursor *units = &r->cursors[RB_Q_UNITS], *contrib = &r->cursors[RB_Q_CONTRIBUTIONS],
           *errors = &r->cursors[RB_Q_ERRORS_BY_USCC];
    for (;;) {
        const cursor *naming[3] = {units, contrib, errors};
        const char *best = NULL;
        size_t best_len = 0;
        for (int i = 0; i < 3; i++) {
            const char *key = naming[i]->key;
            size_t len = naming[i]->key_bytes;
            if (!naming[i]->has_row || key == NULL)
                continue;
            if (best == NULL || strcmp(key, best) < 0) {
                best = key;
                best_len = len;
            }
        }
        if (best == NULL) {
            *found = false;
            return RB_OK;
        }
        if (best_len != RB_USCC_LEN)
            return rb_fail(err, RB_E_INTERNAL, "the snapshot holds a uscc that is not 18 characters: '%s'", best);
        memcpy(uscc, best, RB_USCC_LEN + 1);
        /* A code named only by rejected registration.csv rows is no firm. */
        if (cursor_cmp(units, uscc) != 0 && cursor_cmp(contrib, uscc) != 0 &&
            sqlite3_column_int64(errors->stmt, 2) == 0) {
            rb_status st = cursor_step(r, errors, err);
            if (st != RB_OK)
                return st;
            continue;
        }
        *found = true;
        return RB_OK;
    }
}

/* Point mode: binds every query to the code and steps each to its first row. */
static rb_status bind_point(rb_firm_reader *r, const char *uscc, rb_error *err)
{
    for (int q = 0; q < RB_Q_COUNT; q++) {
        cursor *c = &r->cursors[q];
        sqlite3_reset(c->stmt);
        int i = sqlite3_bind_parameter_index(c->stmt, ":uscc");
        if (i == 0 || sqlite3_bind_text(c->stmt, i, uscc, RB_USCC_LEN, SQLITE_TRANSIENT) != SQLITE_OK)
            return rb_db_fail(r->db, c->what, err);
        rb_status st = cursor_step(r, c, err);
        if (st != RB_OK)
            return st;
    }
    return RB_OK;
}

rb_status rb_firm_reader_next(rb_firm_reader *r, const rb_firm_input **firm, rb_error *err)
{
    char uscc[RB_USCC_LEN + 1];
    rb_status st;
    *firm = NULL;
    if (r->point_mode) {
        if (r->next_uscc == r->n_usccs)
            return RB_OK;
        memcpy(uscc, r->usccs[r->next_uscc++], sizeof uscc);
        if ((st = bind_point(r, uscc, err)) != RB_OK)
            return st;
    } else {
        bool found;
        if ((st = next_scanned_uscc(r, uscc, &found, err)) != RB_OK)
            return st;
        if (!found)
            return RB_OK;
    }
    if ((st = assemble(r, uscc, err)) != RB_OK)
        return st;
    *firm = &r->firm;
    return RB_OK;
}

static int compare_codes(const void *a, const void *b)
{
    return memcmp(a, b, RB_USCC_LEN + 1);
}

/* True when the code is in the population (docs/rules.md): in a loaded or a
 * rejected row of insured_units.csv or contributions.csv. */
static rb_status in_population(sqlite3 *db, const char *uscc, bool *out, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    rb_status st = RB_OK;
    if (sqlite3_prepare_v2(db, population_sql, -1, &stmt, NULL) != SQLITE_OK ||
        sqlite3_bind_text(stmt, sqlite3_bind_parameter_index(stmt, ":uscc"), uscc, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(stmt) != SQLITE_ROW) {
        st = rb_db_fail(db, "looking up a firm in the snapshot", err);
        goto out;
    }
    *out = sqlite3_column_int(stmt, 0) != 0;
out:
    sqlite3_finalize(stmt);
    return st;
}

/* Normalises, sorts and de-duplicates the given codes and checks that each
 * names a firm of the population. */
static rb_status take_usccs(rb_firm_reader *r, const char *const *usccs, size_t n, rb_error *err)
{
    r->usccs = rb_calloc(n, sizeof *r->usccs);
    if (r->usccs == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory for %zu codes", n);
    for (size_t i = 0; i < n; i++) {
        rb_status st = rb_uscc_parse(usccs[i], r->usccs[i], err);
        if (st != RB_OK)
            return st;
    }
    qsort(r->usccs, n, sizeof *r->usccs, compare_codes);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (unique == 0 || compare_codes(r->usccs[unique - 1], r->usccs[i]) != 0)
            memmove(r->usccs[unique++], r->usccs[i], sizeof *r->usccs);
    r->n_usccs = unique;
    for (size_t i = 0; i < unique; i++) {
        bool found = false;
        rb_status st = in_population(r->db, r->usccs[i], &found, err);
        if (st != RB_OK)
            return st;
        if (!found)
            return rb_fail(err, RB_E_NOINPUT,
                           "no insured unit %s in the snapshot: the code is in no row of insured_units.csv or "
                           "contributions.csv of the last import",
                           r->usccs[i]);
    }
    return RB_OK;
}

rb_status rb_firm_reader_open(sqlite3 *db, const rb_params *params, const char *const *usccs, size_t n_usccs,
                              rb_firm_reader **out, rb_error *err)
{
    rb_status st = RB_OK;
    *out = NULL;
    rb_firm_reader *r = rb_calloc(1, sizeof *r);
    if (r == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory opening the firm reader");
    r->db = db;
    r->policy_year = params->policy_year;
    r->point_mode = n_usccs > 0;
    for (int i = 0; i < T_COUNT; i++)
        rb_strbuf_init(&r->text[i]);
    rb_strbuf_init(&r->packed);

    if (r->point_mode && (st = take_usccs(r, usccs, n_usccs, err)) != RB_OK)
        goto out;

    for (int q = 0; q < RB_Q_COUNT; q++) {
        cursor *c = &r->cursors[q];
        c->what = rb_reader_queries[q].name;
        c->key_len = q == RB_Q_ERRORS_BY_PREFIX ? RB_USCC_LEN - 1 : RB_USCC_LEN;
        const char *sql = r->point_mode ? rb_reader_queries[q].point : rb_reader_queries[q].scan;
        if (sqlite3_prepare_v2(db, sql, -1, &c->stmt, NULL) != SQLITE_OK) {
            st = rb_db_fail(db, c->what, err);
            goto out;
        }
        int year = sqlite3_bind_parameter_index(c->stmt, ":year");
        if (year != 0 && sqlite3_bind_int(c->stmt, year, params->policy_year) != SQLITE_OK) {
            st = rb_db_fail(db, c->what, err);
            goto out;
        }
        if (!r->point_mode && (st = cursor_step(r, c, err)) != RB_OK)
            goto out;
    }
out:
    if (st != RB_OK) {
        rb_firm_reader_close(r);
        return st;
    }
    *out = r;
    return RB_OK;
}

rb_status rb_months_unreadable(const char *uscc, bool oom, rb_error *err)
{
    return oom ? rb_fail(err, RB_E_INTERNAL, "out of memory reading the contributions of %s", uscc)
               : rb_fail(err, RB_E_DATA, "the snapshot's months of %s are damaged; import the extracts again", uscc);
}

void rb_firm_reader_keep_packed(rb_firm_reader *r, bool keep)
{
    r->keep_packed = keep;
}

void rb_firm_reader_packed(const rb_firm_reader *r, const void **data, size_t *len)
{
    *data = r->packed.buf;
    *len = r->packed.len;
}

void rb_firm_reader_close(rb_firm_reader *r)
{
    if (r == NULL)
        return;
    for (int q = 0; q < RB_Q_COUNT; q++)
        sqlite3_finalize(r->cursors[q].stmt);
    for (int i = 0; i < T_COUNT; i++)
        rb_strbuf_release(&r->text[i]);
    rb_strbuf_release(&r->packed);
    free(r->months);
    free(r->usccs);
    free(r);
}
