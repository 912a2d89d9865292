/* Rebuilding a batch's decisions.csv from the ledger: every firm's decision
 * as of the batch (rb_decision_log), printed by the same code that wrote the
 * published file, then checked against the SHA-256 recorded with the batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/batch_files.h"
#include "rebate/batch.h"
#include "rebate/db.h"
#include "rebate/decision_log.h"
#include "rebate/sha256.h"

/* What the rebuild needs of the batch row. */
typedef struct batch_facts {
    int32_t policy_year;
    int64_t batch_no;
    bool selected;
    bool average_basis;
    char recorded_sha[RB_SHA256_HEX];
} batch_facts;

static rb_status load_facts(sqlite3 *db, const char *batch_id, batch_facts *out, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(db,
                           "SELECT policy_year, batch_no, scope = 'selected', params, decisions_sha256"
                           " FROM batches WHERE batch_id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "looking up the batch", err);
    sqlite3_bind_text(st, 1, batch_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    rb_status status = RB_OK;
    if (rc == SQLITE_ROW) {
        out->policy_year = sqlite3_column_int(st, 0);
        out->batch_no = sqlite3_column_int64(st, 1);
        out->selected = sqlite3_column_int(st, 2) != 0;
        /* the parameter row the batch was computed with, as recorded */
        const char *params = (const char *)sqlite3_column_text(st, 3);
        out->average_basis = params != NULL && strstr(params, ";headcount_basis=average;") != NULL;
        const char *sha = (const char *)sqlite3_column_text(st, 4);
        snprintf(out->recorded_sha, sizeof out->recorded_sha, "%s", sha ? sha : "");
    } else if (rc == SQLITE_DONE) {
        status = rb_fail(err, RB_E_NOINPUT, "the ledger has no batch %s", batch_id);
    } else {
        status = rb_db_fail(db, "looking up the batch", err);
    }
    sqlite3_finalize(st);
    return status;
}

rb_status rb_batch_rebuild_decisions(sqlite3 *db, const char *batch_id, FILE *out, const char *out_name,
                                     rb_decisions_check *check, rb_error *err)
{
    memset(check, 0, sizeof *check);
    batch_facts b;
    rb_status st = load_facts(db, batch_id, &b, err);
    if (st != RB_OK)
        return st;
    snprintf(check->recorded_sha, sizeof check->recorded_sha, "%s", b.recorded_sha);
    rb_decision_log *log = NULL;
    if ((st = rb_decision_log_open(db, b.policy_year, b.batch_no, b.selected, &log, err)) != RB_OK)
        return st;
    /* The bytes go to out and through the digest on their way. */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    rb_sha256 *hash = rb_sha256_new();
    rb_csv_writer w;
    if (mem == NULL || hash == NULL) {
        st = rb_fail(err, RB_E_INTERNAL, "out of memory rebuilding decisions.csv");
        goto out;
    }
    if ((st = rb_csv_begin(&w, mem, out_name, rb_decisions_header, RB_DECISIONS_COLUMNS, err)) != RB_OK)
        goto out;
    const rb_decision_row *row = NULL;
    while ((st = rb_decision_log_next(log, &row, err)) == RB_OK && row != NULL) {
        if (row->name == NULL)
            check->names_missing = true;
        rb_decisions_csv_add(&w, row, b.average_basis ? RB_HEADCOUNT_AVERAGE : RB_HEADCOUNT_DECEMBER);
        check->firms++;
        /* Hand the buffer on every few hundred kilobytes. */
        if (fflush(mem) != 0) {
            st = rb_fail(err, RB_E_INTERNAL, "out of memory rebuilding decisions.csv");
            break;
        }
        if (len >= 256 * 1024) {
            if (!rb_sha256_update(hash, text, len) || fwrite(text, 1, len, out) != len) {
                st = rb_fail(err, RB_E_CANTWRITE, "cannot write %s", out_name);
                break;
            }
            rewind(mem);
            len = 0;
        }
    }
    if (st != RB_OK)
        goto out;
    if ((st = rb_csv_status(&w, err)) != RB_OK)
        goto out;
    if (!rb_sha256_update(hash, text, len) || fwrite(text, 1, len, out) != len || fflush(out) != 0) {
        st = rb_fail(err, RB_E_CANTWRITE, "cannot write %s", out_name);
        goto out;
    }
    bool hashed = rb_sha256_finish(hash, check->rebuilt_sha);
    hash = NULL; /* freed by rb_sha256_finish */
    if (!hashed) {
        st = rb_fail(err, RB_E_INTERNAL, "cannot compute the SHA-256 of the rebuilt decisions.csv");
        goto out;
    }
    check->matches = b.recorded_sha[0] != '\0' && strcmp(b.recorded_sha, check->rebuilt_sha) == 0;
out:
    if (mem != NULL)
        fclose(mem);
    free(text);
    rb_sha256_free(hash);
    rb_decision_log_close(log);
    return st;
}
