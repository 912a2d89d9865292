/* The decisions of the ledger kept as changes: numbering batches, recording
 * a batch's rows, and reading every firm's decision as of a batch from the
 * rows up to it (sql/009_decision_changes.sql, docs/batch.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/decision_log.h"
#include "rebate/money.h"
#include "rebate/sha256.h"
#include "rebate/strbuf.h"

static bool text_equal(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

bool rb_decision_row_equal(const rb_decision_row *a, const rb_decision_row *b)
{
    return strcmp(a->uscc, b->uscc) == 0 && text_equal(a->outcome, b->outcome) && text_equal(a->name, b->name) &&
           strcmp(a->reasons, b->reasons) == 0 && a->headcount_known == b->headcount_known &&
           (!a->headcount_known || (a->headcount_num == b->headcount_num && a->headcount_den == b->headcount_den)) &&
           a->full_months == b->full_months && a->arrears == b->arrears && a->base == b->base &&
           a->layoff_num == b->layoff_num && a->layoff_den == b->layoff_den && a->rate_pct == b->rate_pct &&
           a->amount == b->amount && a->verdict_id == b->verdict_id && strcmp(a->review, b->review) == 0;
}

void rb_decision_review_text(bool accept, const char *at, const char *by, char *buf, size_t size)
{
    char day[11];
    snprintf(buf, size, "%s %s %s", accept ? "accepted" : "rejected", rb_china_date_of_utc(at, day), by ? by : "");
}

rb_status rb_decision_log_next_batch_no(sqlite3 *db, int64_t *batch_no, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(batch_no), 0) + 1 FROM batches", -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "numbering the batch", err);
    rb_status status = RB_OK;
    if (sqlite3_step(st) == SQLITE_ROW)
        *batch_no = sqlite3_column_int64(st, 0);
    else
        status = rb_db_fail(db, "numbering the batch", err);
    sqlite3_finalize(st);
    return status;
}

rb_status rb_decision_log_finish_batch(sqlite3 *db, const char *batch_id, int64_t batch_no, const char *kept,
                                       int64_t recorded, const char *decisions_sha256, const char *inputs_sha256,
                                       rb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "UPDATE batches SET batch_no = ?, decisions_kept = ?, decisions_recorded = ?,"
                           " decisions_sha256 = ?, inputs_sha256 = ? WHERE batch_id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "recording how the batch keeps its decisions", err);
    sqlite3_bind_int64(st, 1, batch_no);
    sqlite3_bind_text(st, 2, kept, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, recorded);
    sqlite3_bind_text(st, 4, decisions_sha256, -1, SQLITE_STATIC);
    if (inputs_sha256 != NULL)
        sqlite3_bind_text(st, 5, inputs_sha256, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_text(st, 6, batch_id, -1, SQLITE_STATIC);
    rb_status status = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1
                           ? RB_OK
                           : rb_db_fail(db, "recording how the batch keeps its decisions", err);
    sqlite3_finalize(st);
    return status;
}

/* The digest's bytes gathered and handed to SHA-256 a block at a time: at a
 * million firms the year's payments are three million values, and one
 * update (and one snprintf) per value cost more than the hashing. The
 * bytes are those of one update per piece, so a digest recorded by an
 * older version compares equal. */
typedef struct digest_buffer {
    rb_sha256 *h;
    size_t len;
    bool ok;
    unsigned char bytes[64 * 1024];
} digest_buffer;

static void digest_flush(digest_buffer *d)
{
    if (d->len > 0)
        d->ok = d->ok && rb_sha256_update(d->h, d->bytes, d->len);
    d->len = 0;
}

static void digest_add(digest_buffer *d, const void *data, size_t len)
{
    if (d->len + len > sizeof d->bytes) {
        digest_flush(d);
        if (len > sizeof d->bytes) {
            d->ok = d->ok && rb_sha256_update(d->h, data, len);
            return;
        }
    }
    memcpy(d->bytes + d->len, data, len);
    d->len += len;
}

/* Appends "<n>:" (n >= 0) as snprintf's "%d:" would. */
static void digest_add_count(digest_buffer *d, int n)
{
    char text[24], *end = text + sizeof text;
    end[-1] = ':';
    char *first = rb_decimal_digits(n < 0 ? 0u : (unsigned)n, end - 1);
    digest_add(d, first, (size_t)(end - first));
}

/* Adds every row of a query over the year's rows to the digest, each value
 * with its type and length ("<type>:<length>:<bytes>"), so that no two row
 * sets digest alike. */
static rb_status digest_rows(sqlite3 *db, rb_sha256 *h, const char *sql, int32_t policy_year, const char *what,
                             rb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, what, err);
    digest_buffer *d = malloc(sizeof *d);
    if (d == NULL) {
        sqlite3_finalize(st);
        return rb_fail(err, RB_E_INTERNAL, "out of memory digesting the inputs");
    }
    d->h = h;
    d->len = 0;
    d->ok = true;
    sqlite3_bind_int(st, 1, policy_year);
    digest_add(d, what, strlen(what) + 1);
    int rc = SQLITE_DONE;
    while (d->ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int columns = sqlite3_column_count(st);
        for (int c = 0; c < columns; c++) {
            int type = sqlite3_column_type(st, c); /* before the text: a conversion would change it */
            const unsigned char *v = sqlite3_column_text(st, c);
            int len = sqlite3_column_bytes(st, c);
            digest_add_count(d, type);
            digest_add_count(d, len);
            if (len > 0)
                digest_add(d, v, (size_t)len);
        }
    }
    digest_flush(d);
    bool ok = d->ok;
    free(d);
    bool stepped = !ok || rc == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!stepped)
        return rb_db_fail(db, what, err);
    if (!ok)
        return rb_fail(err, RB_E_INTERNAL, "cannot digest the inputs");
    return RB_OK;
}

rb_status rb_decision_log_inputs_sha256(sqlite3 *db, int32_t policy_year, int64_t import_id, const char *params_text,
                                        char hex[65], rb_error *err)
{
    rb_sha256 *h = rb_sha256_new();
    if (h == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory digesting the inputs");
    char head[64];
    int n = snprintf(head, sizeof head, "import=%lld\n", (long long)import_id);
    if (!rb_sha256_update(h, head, (size_t)n) || !rb_sha256_update(h, params_text, strlen(params_text) + 1)) {
        rb_sha256_free(h);
        return rb_fail(err, RB_E_INTERNAL, "cannot digest the inputs");
    }
    /* The payment columns the rules read (rules/firm_reader.c), in the
     * table's own order (a scan, no index): rows are only ever added at the
     * end, and should a VACUUM renumber them, the digest differs once and
     * that night decides every firm. Then the review verdicts of the year
     * (never changed, only added): a new one may change a decision. */
    rb_status st = digest_rows(db, h,
                               "SELECT uscc, attempt, state, reference, bank_account, account_name FROM main.payments"
                               " WHERE policy_year = ? ORDER BY rowid",
                               policy_year, "digesting the payments", err);
    if (st == RB_OK)
        st = digest_rows(db, h, "SELECT verdict_id FROM main.review_verdicts WHERE policy_year = ? ORDER BY verdict_id",
                         policy_year, "digesting the review verdicts", err);
    if (st != RB_OK) {
        rb_sha256_free(h);
        return st;
    }
    if (!rb_sha256_finish(h, hex))
        return rb_fail(err, RB_E_INTERNAL, "cannot digest the inputs");
    return RB_OK;
}

rb_status rb_decision_log_set_inputs(sqlite3 *db, const char *batch_id, const char *inputs_sha256, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "UPDATE main.batches SET inputs_sha256 = ? WHERE batch_id = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return rb_db_fail(db, "recording the inputs of the batch", err);
    sqlite3_bind_text(st, 1, inputs_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, batch_id, -1, SQLITE_STATIC);
    rb_status status = sqlite3_step(st) == SQLITE_DONE ? RB_OK : rb_db_fail(db, "recording the inputs of the batch", err);
    sqlite3_finalize(st);
    return status;
}

rb_status rb_decision_log_last_batch(sqlite3 *db, int32_t policy_year, bool *found, char batch_id[128],
                                     char inputs_sha256[65], rb_error *err)
{
    sqlite3_stmt *st = NULL;
    *found = false;
    batch_id[0] = inputs_sha256[0] = '\0';
    if (sqlite3_prepare_v2(db,
                           "SELECT batch_id, inputs_sha256 FROM main.batches WHERE policy_year = ? AND scope = 'all'"
                           " ORDER BY batch_no DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "finding the last batch", err);
    sqlite3_bind_int(st, 1, policy_year);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *found = true;
        const unsigned char *id = sqlite3_column_text(st, 0), *sha = sqlite3_column_text(st, 1);
        snprintf(batch_id, 128, "%s", id ? (const char *)id : "");
        snprintf(inputs_sha256, 65, "%s", sha ? (const char *)sha : "");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return rb_db_fail(db, "finding the last batch", err);
    return RB_OK;
}

/* ------------------------------------------------------------ writing */

rb_status rb_decision_writer_open(sqlite3 *db, rb_decision_writer *out, rb_error *err)
{
    out->db = db;
    out->insert = NULL;
    if (sqlite3_prepare_v3(db,
                           "INSERT INTO decisions (policy_year, uscc, batch_no, batch_id, outcome, name, reasons,"
                           " headcount_num, headcount_den, full_months, arrears_fen, base_fen, layoff_num,"
                           " layoff_den, rate_pct, amount_fen, verdict_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, SQLITE_PREPARE_PERSISTENT, &out->insert, NULL) != SQLITE_OK)
        return rb_db_fail(db, "preparing the ledger statements", err);
    return RB_OK;
}

rb_status rb_decision_writer_add(rb_decision_writer *w, int32_t policy_year, const char *batch_id,
                                 int64_t batch_no, const rb_decision_row *row, rb_error *err)
{
    sqlite3_stmt *st = w->insert;
    sqlite3_reset(st);
    sqlite3_bind_int(st, 1, policy_year);
    sqlite3_bind_text(st, 2, row->uscc, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, batch_no);
    sqlite3_bind_text(st, 4, batch_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, row->outcome, -1, SQLITE_STATIC);
    if (row->name != NULL)
        sqlite3_bind_text(st, 6, row->name, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 6);
    sqlite3_bind_text(st, 7, row->reasons, -1, SQLITE_STATIC);
    if (row->headcount_known) {
        sqlite3_bind_int64(st, 8, row->headcount_num);
        sqlite3_bind_int64(st, 9, row->headcount_den);
    } else {
        sqlite3_bind_null(st, 8);
        sqlite3_bind_null(st, 9);
    }
    sqlite3_bind_int64(st, 10, row->full_months);
    sqlite3_bind_int64(st, 11, row->arrears);
    sqlite3_bind_int64(st, 12, row->base);
    sqlite3_bind_int64(st, 13, row->layoff_num);
    sqlite3_bind_int64(st, 14, row->layoff_den);
    sqlite3_bind_int(st, 15, row->rate_pct);
    sqlite3_bind_int64(st, 16, row->amount);
    if (row->verdict_id > 0)
        sqlite3_bind_int64(st, 17, row->verdict_id);
    else
        sqlite3_bind_null(st, 17);
    if (sqlite3_step(st) != SQLITE_DONE)
        return rb_db_fail(w->db, "recording a decision", err);
    return RB_OK;
}

void rb_decision_writer_close(rb_decision_writer *w)
{
    sqlite3_finalize(w->insert);
    w->insert = NULL;
}

/* ------------------------------------------------------------ reading */

/* One batch of the chain a year's decisions are read along. */
typedef struct chain_batch {
    int64_t batch_no;
    bool all_kept;
} chain_batch;

struct rb_decision_log {
    sqlite3_stmt *rows;
    int64_t as_of;
    bool selected;
    chain_batch *chain;       /* ascending batch_no */
    size_t n_chain;
    int64_t last_all_kept;    /* the latest chain batch that kept every decision (0: none) */
    bool pending;             /* rows holds a row not yet consumed */
    bool done;
    rb_decision_row row;      /* what next returns */
    rb_strbuf name;
    char outcome[8];
};

static bool in_chain(const rb_decision_log *log, int64_t batch_no)
{
    size_t lo = 0, hi = log->n_chain;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (log->chain[mid].batch_no < batch_no)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < log->n_chain && log->chain[lo].batch_no == batch_no;
}

static rb_status load_chain(sqlite3 *db, rb_decision_log *log, int32_t policy_year, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT batch_no, decisions_kept = 'all' FROM batches WHERE policy_year = ?"
                           " AND scope = 'all' AND batch_no <= ? ORDER BY batch_no",
                           -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the batches of the year", err);
    sqlite3_bind_int(st, 1, policy_year);
    sqlite3_bind_int64(st, 2, log->as_of);
    size_t cap = 0;
    int rc;
    rb_status status = RB_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (log->n_chain == cap) {
            cap = cap ? cap * 2 : 64;
            chain_batch *more = realloc(log->chain, cap * sizeof *more);
            if (more == NULL) {
                status = rb_fail(err, RB_E_INTERNAL, "out of memory reading the batches of the year");
                break;
            }
            log->chain = more;
        }
        chain_batch *b = &log->chain[log->n_chain++];
        b->batch_no = sqlite3_column_int64(st, 0);
        b->all_kept = sqlite3_column_int(st, 1) != 0;
        if (b->all_kept)
            log->last_all_kept = b->batch_no;
    }
    if (status == RB_OK && rc != SQLITE_DONE)
        status = rb_db_fail(db, "reading the batches of the year", err);
    sqlite3_finalize(st);
    return status;
}

rb_status rb_decision_log_open(sqlite3 *db, int32_t policy_year, int64_t as_of_batch_no, bool selected,
                               rb_decision_log **out, rb_error *err)
{
    *out = NULL;
    rb_decision_log *log = calloc(1, sizeof *log);
    if (log == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading the decisions");
    log->as_of = as_of_batch_no;
    log->selected = selected;
    rb_strbuf_init(&log->name);
    rb_status st = selected ? RB_OK : load_chain(db, log, policy_year, err);
    if (st == RB_OK &&
        sqlite3_prepare_v2(db,
                           selected ? "SELECT d.uscc, d.batch_no, d.outcome, d.name, d.reasons, d.headcount_num,"
                                      " d.headcount_den, d.full_months, d.arrears_fen, d.base_fen, d.layoff_num,"
                                      " d.layoff_den, d.rate_pct, d.amount_fen, d.verdict_id, v.verdict = 'accept',"
                                      " v.at, v.by_whom FROM decisions d"
                                      " LEFT JOIN review_verdicts v ON v.verdict_id = d.verdict_id"
                                      " WHERE d.policy_year = ?1 AND d.batch_no = ?2 ORDER BY d.uscc"
                                    : "SELECT d.uscc, d.batch_no, d.outcome, d.name, d.reasons, d.headcount_num,"
                                      " d.headcount_den, d.full_months, d.arrears_fen, d.base_fen, d.layoff_num,"
                                      " d.layoff_den, d.rate_pct, d.amount_fen, d.verdict_id, v.verdict = 'accept',"
                                      " v.at, v.by_whom FROM decisions d"
                                      " LEFT JOIN review_verdicts v ON v.verdict_id = d.verdict_id"
                                      " WHERE d.policy_year = ?1 AND d.batch_no <= ?2 ORDER BY d.uscc, d.batch_no",
                           -1, &log->rows, NULL) != SQLITE_OK)
        st = rb_db_fail(db, "reading the decisions", err);
    if (st != RB_OK) {
        rb_decision_log_close(log);
        return st;
    }
    sqlite3_bind_int(log->rows, 1, policy_year);
    sqlite3_bind_int64(log->rows, 2, as_of_batch_no);
    *out = log;
    return RB_OK;
}

static const char *col_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

/* Copies the current row of the statement into the log's row. */
static rb_status take_row(rb_decision_log *log, rb_error *err)
{
    sqlite3_stmt *st = log->rows;
    rb_decision_row *r = &log->row;
    snprintf(r->uscc, sizeof r->uscc, "%s", col_text(st, 0));
    snprintf(log->outcome, sizeof log->outcome, "%s", col_text(st, 2));
    r->outcome = log->outcome;
    rb_strbuf_reset(&log->name);
    if (sqlite3_column_type(st, 3) == SQLITE_NULL) {
        r->name = NULL;
    } else {
        const char *name = col_text(st, 3);
        if (!rb_strbuf_add(&log->name, name, strlen(name) + 1))
            return rb_fail(err, RB_E_INTERNAL, "out of memory reading the decisions");
        r->name = log->name.buf;
    }
    snprintf(r->reasons, sizeof r->reasons, "%s", col_text(st, 4));
    r->headcount_known = sqlite3_column_type(st, 5) != SQLITE_NULL;
    r->headcount_num = sqlite3_column_int64(st, 5);
    r->headcount_den = sqlite3_column_int64(st, 6);
    r->full_months = sqlite3_column_int64(st, 7);
    r->arrears = sqlite3_column_int64(st, 8);
    r->base = sqlite3_column_int64(st, 9);
    r->layoff_num = sqlite3_column_int64(st, 10);
    r->layoff_den = sqlite3_column_int64(st, 11);
    r->rate_pct = sqlite3_column_int(st, 12);
    r->amount = sqlite3_column_int64(st, 13);
    r->verdict_id = sqlite3_column_int64(st, 14);
    if (r->verdict_id > 0)
        rb_decision_review_text(sqlite3_column_int(st, 15) != 0, col_text(st, 16), col_text(st, 17), r->review,
                                sizeof r->review);
    else
        r->review[0] = '\0';
    return RB_OK;
}

rb_status rb_decision_log_next(rb_decision_log *log, const rb_decision_row **row, rb_error *err)
{
    *row = NULL;
    sqlite3 *db = sqlite3_db_handle(log->rows);
    while (!log->done) {
        /* One firm: its rows, batch_no ascending; the last of the chain counts. */
        int rc = log->pending ? SQLITE_ROW : sqlite3_step(log->rows);
        log->pending = false;
        if (rc == SQLITE_DONE) {
            log->done = true;
            break;
        }
        if (rc != SQLITE_ROW)
            return rb_db_fail(db, "reading the decisions", err);
        if (log->selected) {
            rb_status st = take_row(log, err);
            if (st == RB_OK)
                *row = &log->row;
            return st;
        }
        char uscc[RB_USCC_LEN + 1];
        snprintf(uscc, sizeof uscc, "%s", col_text(log->rows, 0));
        bool found = false;
        int64_t found_no = 0;
        for (;;) {
            int64_t batch_no = sqlite3_column_int64(log->rows, 1);
            if (in_chain(log, batch_no)) {
                rb_status st = take_row(log, err);
                if (st != RB_OK)
                    return st;
                found = true;
                found_no = batch_no;
            }
            rc = sqlite3_step(log->rows);
            if (rc == SQLITE_DONE) {
                log->done = true;
                break;
            }
            if (rc != SQLITE_ROW)
                return rb_db_fail(db, "reading the decisions", err);
            if (strcmp(col_text(log->rows, 0), uscc) != 0) {
                log->pending = true;
                break;
            }
        }
        if (!found || found_no < log->last_all_kept || strcmp(log->row.outcome, "GONE") == 0)
            continue; /* not in the population as of this batch */
        if (strcmp(log->row.outcome, "PAY") == 0 && found_no < log->as_of) {
            log->row.outcome = "SKIP";
            snprintf(log->row.reasons, sizeof log->row.reasons, "ALREADY_PAID");
            log->row.verdict_id = 0; /* a verdict applies to REVIEW decisions only */
            log->row.review[0] = '\0';
        }
        *row = &log->row;
        return RB_OK;
    }
    return RB_OK;
}

void rb_decision_log_close(rb_decision_log *log)
{
    if (log == NULL)
        return;
    sqlite3_finalize(log->rows);
    free(log->chain);
    rb_strbuf_release(&log->name);
    free(log);
}
