/* The state changes of a batch after publication (batch_life.h): approve,
 * void and reconcile, each in one write transaction with its folder step.
 *
 * Crash order, for approve and void alike: the folder step is written under
 * a dot name and made durable first, then the ledger commits, then the dot
 * name is renamed into place. Before the commit a crash leaves the old state
 * and a dot-named leftover the next attempt removes; after it, the state is
 * recorded and a rerun of the same command writes the folder step again from
 * what the ledger recorded (the same bytes) and renames it into place. A
 * visible bank/ therefore always belongs to a recorded approval. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>

#include "rebate/alloc.h"
#include "rebate/bank.h"
#include "rebate/batch.h"
#include "rebate/batch_life.h"
#include "rebate/db.h"
#include "rebate/fsutil.h"
#include "rebate/ledger.h"
#include "rebate/strbuf.h"
#include "rebate/text.h"
#include "rebate/words.h"

#define BANK_DIR "bank"
#define BANK_STAGING ".bank-staging"
#define VOID_NOTE "VOIDED.txt"
#define VOID_NOTE_STAGING ".VOIDED.txt.staging"

/* The files of a published batch that SHA256SUMS must list (outputs.md). */
static const char *const batch_files[] = {"decisions.csv", "exceptions.csv", "payout.csv", "summary.txt"};
#define N_BATCH_FILES (sizeof batch_files / sizeof batch_files[0])

/* A reconcile line longer than this is not a bank answer. */
#define MAX_ANSWER_LINE 65536

static rb_status join(char *out, size_t size, const char *dir, const char *name, rb_error *err)
{
    if ((size_t)snprintf(out, size, "%s/%s", dir, name) >= size)
        return rb_fail(err, RB_E_CANTWRITE, "path '%s/%s' is too long", dir, name);
    return RB_OK;
}

static bool path_exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

static void copy_column(char *out, size_t size, sqlite3_stmt *stmt, int col)
{
    const unsigned char *text = sqlite3_column_text(stmt, col);
    snprintf(out, size, "%s", text ? (const char *)text : "");
}

/* ---- people and their words ---- */

/* A name or reason typed on the command line: given, valid UTF-8, one line
 * without control characters (it is written into approval.txt, VOIDED.txt
 * and the ledger), at most max bytes. */
static rb_status check_typed(const char *option, const char *text, size_t max, rb_error *err)
{
    const char *start = text ? text : "";
    size_t len = strlen(start);
    rb_text_trim(&start, &len);
    if (len == 0)
        return rb_fail(err, RB_E_USAGE, "%s is empty", option);
    if (!rb_utf8_valid(text, strlen(text), NULL))
        return rb_fail(err, RB_E_USAGE, "%s is not valid UTF-8", option);
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7F)
            return rb_fail(err, RB_E_USAGE, "%s contains a control character (a line break or tab)", option);
    if (strlen(text) > max)
        return rb_fail(err, RB_E_USAGE, "%s is longer than %zu bytes", option, max);
    return RB_OK;
}

/* text trimmed of spaces, tabs and U+3000 into out. */
static void trimmed(const char *text, char *out, size_t size)
{
    const char *start = text;
    size_t len = strlen(text);
    rb_text_trim(&start, &len);
    snprintf(out, size, "%.*s", (int)len, start);
}

bool rb_same_person(const char *a, const char *b)
{
    if (!rb_utf8_valid(a, strlen(a), NULL) || !rb_utf8_valid(b, strlen(b), NULL))
        return strcasecmp(a, b) == 0; /* cannot fold: compare as typed */
    return rb_names_equal_ignoring_case(a, b);
}

/* ---- the batch record ---- */

rb_status rb_batch_record_load(sqlite3 *db, const char *batch_id, rb_batch_record *out, rb_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *stmt = NULL;
    rb_status st = RB_OK;
    if (sqlite3_prepare_v2(db,
                           "SELECT batch_id, policy_year, state, as_of, created_at, created_by, approved_at,"
                           " approved_by, voided_at, voided_by, void_reason, folder, payout_sha256, firms,"
                           " payments, total_fen FROM batches WHERE batch_id = ?",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the batch", err);
    sqlite3_bind_text(stmt, 1, batch_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        st = rb_fail(err, RB_E_NOINPUT, "batch '%s' is not in the ledger%s", batch_id,
                     strncmp(batch_id, "PREVIEW-", 8) == 0
                         ? ": a dry-run preview is never recorded, so it cannot be approved, voided or reconciled"
                         : "; 'rebate status --db DB' lists the batches");
        goto out;
    }
    if (rc != SQLITE_ROW) {
        st = rb_db_fail(db, "reading the batch", err);
        goto out;
    }
    copy_column(out->batch_id, sizeof out->batch_id, stmt, 0);
    out->policy_year = sqlite3_column_int(stmt, 1);
    copy_column(out->state, sizeof out->state, stmt, 2);
    copy_column(out->as_of, sizeof out->as_of, stmt, 3);
    copy_column(out->created_at, sizeof out->created_at, stmt, 4);
    copy_column(out->created_by, sizeof out->created_by, stmt, 5);
    copy_column(out->approved_at, sizeof out->approved_at, stmt, 6);
    copy_column(out->approved_by, sizeof out->approved_by, stmt, 7);
    copy_column(out->voided_at, sizeof out->voided_at, stmt, 8);
    copy_column(out->voided_by, sizeof out->voided_by, stmt, 9);
    copy_column(out->void_reason, sizeof out->void_reason, stmt, 10);
    copy_column(out->folder, sizeof out->folder, stmt, 11);
    copy_column(out->payout_sha256, sizeof out->payout_sha256, stmt, 12);
    out->firms = sqlite3_column_int64(stmt, 13);
    out->payments = sqlite3_column_int64(stmt, 14);
    out->total = sqlite3_column_int64(stmt, 15);
out:
    sqlite3_finalize(stmt);
    return st;
}

/* ---- verifying the published folder ---- */

/* Checks the folder's SHA256SUMS: every line "<64 hex>  <name>" with a name
 * in the folder, each file matching; which of the batch's files it listed
 * is marked in listed[]. */
static rb_status check_sums(const rb_batch_record *b, bool listed[N_BATCH_FILES], rb_error *err)
{
    char sums[4200];
    rb_status st = join(sums, sizeof sums, b->folder, "SHA256SUMS", err);
    if (st != RB_OK)
        return st;
    FILE *f = fopen(sums, "r");
    if (f == NULL)
        return rb_fail(err, RB_E_DATA, "cannot read '%s': %s; the folder of batch %s was changed after it was published",
                       sums, strerror(errno), b->batch_id);
    char line[1024];
    int line_no = 0;
    while (st == RB_OK && fgets(line, sizeof line, f) != NULL) {
        line_no++;
        char hex[RB_SHA256_HEX], name[256], actual[RB_SHA256_HEX], path[4600];
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len < 67 || strspn(line, "0123456789abcdef") != 64 || strncmp(line + 64, "  ", 2) != 0 ||
            len - 66 >= sizeof name || strchr(line + 66, '/') != NULL) {
            st = rb_fail(err, RB_E_DATA, "'%s' line %d is not a checksum line; the folder of batch %s was changed",
                         sums, line_no, b->batch_id);
            break;
        }
        memcpy(hex, line, 64);
        hex[64] = '\0';
        memcpy(name, line + 66, len - 66 + 1); /* len - 66 < sizeof name, checked above */
        snprintf(path, sizeof path, "%s/%s", b->folder, name);
        rb_status read = rb_sha256_file(path, actual, NULL);
        if (read != RB_OK)
            st = rb_fail(err, RB_E_DATA, "'%s' is listed in SHA256SUMS but cannot be read; refusing batch %s", path,
                         b->batch_id);
        else if (strcmp(actual, hex) != 0)
            st = rb_fail(err, RB_E_DATA, "'%s' does not match its SHA256SUMS: it was changed after batch %s was published",
                         path, b->batch_id);
        for (size_t i = 0; i < N_BATCH_FILES; i++)
            listed[i] = listed[i] || strcmp(name, batch_files[i]) == 0;
    }
    if (st == RB_OK && ferror(f))
        st = rb_fail(err, RB_E_DATA, "cannot read '%s'", sums);
    fclose(f);
    return st;
}

rb_status rb_batch_verify_folder(const rb_batch_record *b, rb_error *err)
{
    struct stat sb;
    if (stat(b->folder, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return rb_fail(err, RB_E_NOINPUT, "the folder of batch %s, '%s', is missing%s", b->batch_id, b->folder,
                       b->folder[0] != '/' ? " (the path is relative to where the batch was run)" : "");
    char payout[4200], actual[RB_SHA256_HEX];
    rb_status st = join(payout, sizeof payout, b->folder, "payout.csv", err);
    if (st != RB_OK)
        return st;
    if (rb_sha256_file(payout, actual, NULL) != RB_OK)
        return rb_fail(err, RB_E_DATA, "cannot read '%s': the folder of batch %s was changed after it was published",
                       payout, b->batch_id);
    /* The ledger's digest first: SHA256SUMS could have been rewritten with
     * the file it checks. */
    if (strcmp(actual, b->payout_sha256) != 0)
        return rb_fail(err, RB_E_DATA,
                       "'%s' is not the payout.csv published with batch %s: its SHA-256 differs from the one the "
                       "ledger recorded",
                       payout, b->batch_id);
    bool listed[N_BATCH_FILES] = {false};
    if ((st = check_sums(b, listed, err)) != RB_OK)
        return st;
    for (size_t i = 0; i < N_BATCH_FILES; i++)
        if (!listed[i])
            return rb_fail(err, RB_E_DATA, "'%s/SHA256SUMS' does not list %s; the folder of batch %s was changed",
                           b->folder, batch_files[i], b->batch_id);
    return RB_OK;
}

/* ---- small ledger helpers ---- */

/* Count and sum of the batch's payments in a state (NULL: in any state). */
static rb_status payments_in_state(sqlite3 *db, const char *batch_id, const char *state, int64_t *count,
                                   rb_fen *sum, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*), coalesce(sum(amount_fen), 0) FROM payments"
                           " WHERE batch_id = ?1 AND (?2 IS NULL OR state = ?2)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "counting the payments of the batch", err);
    sqlite3_bind_text(stmt, 1, batch_id, -1, SQLITE_STATIC);
    if (state != NULL)
        sqlite3_bind_text(stmt, 2, state, -1, SQLITE_STATIC);
    rb_status st = RB_OK;
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        st = rb_db_fail(db, "counting the payments of the batch", err);
    } else {
        *count = sqlite3_column_int64(stmt, 0);
        *sum = sqlite3_column_int64(stmt, 1);
    }
    sqlite3_finalize(stmt);
    return st;
}

/* Every payment of the batch is in `state` and they add up to what the batch
 * row recorded. */
static rb_status expect_payments(sqlite3 *db, const rb_batch_record *b, const char *state, rb_error *err)
{
    int64_t all = 0, in_state = 0;
    rb_fen all_sum = 0, state_sum = 0;
    rb_status st;
    if ((st = payments_in_state(db, b->batch_id, NULL, &all, &all_sum, err)) != RB_OK ||
        (st = payments_in_state(db, b->batch_id, state, &in_state, &state_sum, err)) != RB_OK)
        return st;
    if (all != b->payments || all_sum != b->total)
        return rb_fail(err, RB_E_INTERNAL,
                       "the ledger holds %lld payments of %lld fen for batch %s, but the batch row says %lld of %lld",
                       (long long)all, (long long)all_sum, b->batch_id, (long long)b->payments, (long long)b->total);
    if (in_state != all)
        return rb_fail(err, RB_E_INTERNAL, "%lld of the %lld payments of batch %s are not '%s' as its state requires",
                       (long long)(all - in_state), (long long)all, b->batch_id, state);
    return RB_OK;
}

/* UPDATE with the given bindings (text values), expecting `expected` rows
 * changed (-1: any number). */
static rb_status update(sqlite3 *db, const char *sql, const char *const *values, int n_values, int64_t expected,
                        const char *what, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, what, err);
    for (int i = 0; i < n_values; i++)
        sqlite3_bind_text(stmt, i + 1, values[i], -1, SQLITE_STATIC);
    rb_status st = RB_OK;
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = rb_db_fail(db, what, err);
    else if (expected >= 0 && sqlite3_changes(db) != expected)
        st = rb_fail(err, RB_E_INTERNAL, "%s changed %d rows instead of %lld", what, sqlite3_changes(db),
                     (long long)expected);
    sqlite3_finalize(stmt);
    return st;
}

/* ---- approve: the bank folder ---- */

/* The local date of an ISO 8601 UTC time, for ReqdExctnDt: the day the
 * approval was given where it was given. */
static bool local_date_of(const char *iso_utc, char out[11])
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(iso_utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end == NULL || *end != '\0')
        return false;
    time_t t = timegm(&tm);
    struct tm local;
    return localtime_r(&t, &local) != NULL && strftime(out, 11, "%Y-%m-%d", &local) == 10;
}

/* The debtor row, its texts copied into the buffers. */
typedef struct debtor_row {
    char name[512], account[128], bank_code[64], bank_name[512];
} debtor_row;

static rb_status load_debtor(sqlite3 *db, debtor_row *row, rb_bank_debtor *out, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT name, account, bank_code, bank_name FROM bank_debtor WHERE id = 1", -1, &stmt,
                           NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the bank debtor", err);
    rb_status st = RB_OK;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        copy_column(row->name, sizeof row->name, stmt, 0);
        copy_column(row->account, sizeof row->account, stmt, 1);
        copy_column(row->bank_code, sizeof row->bank_code, stmt, 2);
        copy_column(row->bank_name, sizeof row->bank_name, stmt, 3);
        out->name = row->name;
        out->account = row->account;
        out->bank_code = row->bank_code;
        out->bank_name = row->bank_name;
    } else if (rc == SQLITE_DONE) {
        st = rb_fail(err, RB_E_DATA, "table bank_debtor has no row (id 1): the bank file has no debtor");
    } else {
        st = rb_db_fail(db, "reading the bank debtor", err);
    }
    sqlite3_finalize(stmt);
    return st;
}

/* Writes dir/payout.xml from the ledger's payments of the batch, in the
 * order of payout.csv (uscc), then reads it back for its totals. */
static rb_status write_payout_xml(sqlite3 *db, const rb_batch_record *b, const char *approved_at, const char *dir,
                                  rb_error *err)
{
    char path[4300], execution_date[11];
    debtor_row row;
    rb_bank_header header = {.batch_id = b->batch_id, .created_at = approved_at, .execution_date = execution_date,
                             .policy_year = b->policy_year, .count = b->payments, .total = b->total};
    FILE *file = NULL;
    rb_bank_writer *writer = NULL;
    sqlite3_stmt *stmt = NULL;
    rb_status st;
    if ((st = join(path, sizeof path, dir, "payout.xml", err)) != RB_OK ||
        (st = load_debtor(db, &row, &header.debtor, err)) != RB_OK)
        return st;
    if (!local_date_of(approved_at, execution_date))
        return rb_fail(err, RB_E_INTERNAL, "the approval time '%s' of batch %s is not an ISO 8601 UTC time",
                       approved_at, b->batch_id);
    if (sqlite3_prepare_v2(db,
                           "SELECT reference, amount_fen, account_name, bank_account, bank_code, bank_name"
                           " FROM payments WHERE batch_id = ? ORDER BY uscc, attempt",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the payments of the batch", err);
    sqlite3_bind_text(stmt, 1, b->batch_id, -1, SQLITE_STATIC);
    if ((st = rb_fs_create(dir, "payout.xml", &file, err)) != RB_OK ||
        (st = rb_bank_file_begin(file, path, &header, &writer, err)) != RB_OK)
        goto out;
    int rc;
    while (st == RB_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        rb_bank_payment p = {
            .reference = (const char *)sqlite3_column_text(stmt, 0),
            .amount = sqlite3_column_int64(stmt, 1),
            .account_name = (const char *)sqlite3_column_text(stmt, 2),
            .bank_account = (const char *)sqlite3_column_text(stmt, 3),
            .bank_code = (const char *)sqlite3_column_text(stmt, 4),
            .bank_name = (const char *)sqlite3_column_text(stmt, 5),
        };
        st = rb_bank_file_add(writer, &p, err);
    }
    if (st == RB_OK && rc != SQLITE_DONE)
        st = rb_db_fail(db, "reading the payments of the batch", err);
    if (st == RB_OK) {
        st = rb_bank_file_end(writer, err);
        writer = NULL;
    }
    /* A writer left by a failure flushes into the stream as it is freed:
     * free it before the stream is closed. */
    rb_bank_file_abandon(writer);
    writer = NULL;
    FILE *closing = file;
    file = NULL;
    rb_status closed = rb_fs_close_synced(closing, path, err);
    if (st == RB_OK)
        st = closed;
    /* Control totals: what is on disk is what the ledger holds. */
    int64_t count = 0;
    rb_fen total = 0;
    if (st == RB_OK && (st = rb_bank_file_read_totals(path, &count, &total, err)) == RB_OK &&
        (count != b->payments || total != b->total))
        st = rb_fail(err, RB_E_INTERNAL, "'%s' holds %lld payments of %lld fen; the ledger holds %lld of %lld", path,
                     (long long)count, (long long)total, (long long)b->payments, (long long)b->total);
out:
    rb_bank_file_abandon(writer);
    if (file != NULL)
        fclose(file);
    sqlite3_finalize(stmt);
    return st;
}

static rb_status write_approval_txt(const rb_batch_record *b, const char *approved_by, const char *approved_at,
                                    const char *dir, rb_error *err)
{
    char path[4300], total[RB_MONEY_BUFSZ], words[RB_WORDS_BUFSZ];
    FILE *f = NULL;
    rb_status st;
    if ((st = join(path, sizeof path, dir, "approval.txt", err)) != RB_OK ||
        (st = rb_fs_create(dir, "approval.txt", &f, err)) != RB_OK)
        return st;
    rb_money_format(b->total, total);
    if (!rb_amount_in_words(b->total, true, words))
        words[0] = '\0';
    fprintf(f, "%d年失业保险稳岗返还 拨付批次审批记录\r\n\r\n", (int)b->policy_year);
    fprintf(f, "批次号 batch_id：%s\r\n", b->batch_id);
    fprintf(f, "审批人 approved_by：%s\r\n", approved_by);
    fprintf(f, "审批时间 approved_at：%s（UTC）\r\n", approved_at);
    fprintf(f, "经办人 created_by：%s（批次生成于 %s）\r\n", b->created_by, b->created_at);
    fprintf(f, "付款笔数 payments：%lld\r\n", (long long)b->payments);
    fprintf(f, "付款总额 total：%s 元（%s）\r\n", total, words);
    fprintf(f, "审批的 payout.csv 的 SHA-256 payout_sha256：%s\r\n", b->payout_sha256);
    fprintf(f, "银行文件 bank_file：payout.xml（ISO 20022 pain.001.001.03）\r\n");
    return rb_fs_close_synced(f, path, err);
}

/* dir/SHA256SUMS for the bank folder's two files. */
static rb_status write_bank_sums(const char *dir, rb_error *err)
{
    static const char *const names[] = {"approval.txt", "payout.xml"}; /* sorted */
    char sums[4300];
    FILE *f = NULL;
    rb_status st;
    if ((st = join(sums, sizeof sums, dir, "SHA256SUMS", err)) != RB_OK ||
        (st = rb_fs_create(dir, "SHA256SUMS", &f, err)) != RB_OK)
        return st;
    for (size_t i = 0; i < 2; i++) {
        char path[4300], hex[RB_SHA256_HEX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if ((st = rb_sha256_file(path, hex, err)) != RB_OK) {
            fclose(f);
            return st == RB_E_NOINPUT ? rb_fail(err, RB_E_CANTWRITE, "cannot read back '%s'", path) : st;
        }
        fprintf(f, "%s  %s\n", hex, names[i]);
    }
    if ((st = rb_fs_close_synced(f, sums, err)) != RB_OK)
        return st;
    return rb_fs_sync_dir(dir, err);
}

/* The whole bank folder under the staging name, durable. */
static rb_status write_bank_staging(sqlite3 *db, const rb_batch_record *b, const char *approved_by,
                                    const char *approved_at, const char *staging, rb_error *err)
{
    rb_status st;
    /* A leftover of an attempt that never committed. */
    if ((st = rb_fs_remove_tree(staging, err)) != RB_OK || (st = rb_fs_mkdir(staging, err)) != RB_OK ||
        (st = write_payout_xml(db, b, approved_at, staging, err)) != RB_OK ||
        (st = write_approval_txt(b, approved_by, approved_at, staging, err)) != RB_OK ||
        (st = write_bank_sums(staging, err)) != RB_OK)
        return st;
    return rb_fs_sync_dir(b->folder, err);
}

rb_status rb_batch_approve(sqlite3 *db, const char *batch_id, const char *by_typed, rb_approve_result *out,
                           rb_error *err)
{
    memset(out, 0, sizeof *out);
    rb_batch_record *b = rb_calloc(1, sizeof *b);
    char by[RB_LIFE_BY_MAX + 1], staging[4200];
    bool in_transaction = false, staging_written = false;
    rb_status st = check_typed("--by", by_typed, RB_LIFE_BY_MAX, err);
    if (st != RB_OK)
        goto out;
    if (b == NULL) {
        st = rb_fail(err, RB_E_INTERNAL, "out of memory");
        goto out;
    }
    trimmed(by_typed, by, sizeof by);
    if ((st = rb_db_begin(db, err)) != RB_OK)
        goto out;
    in_transaction = true;
    if ((st = rb_batch_record_load(db, batch_id, b, err)) != RB_OK ||
        (st = join(out->bank_dir, sizeof out->bank_dir, b->folder, BANK_DIR, err)) != RB_OK ||
        (st = join(staging, sizeof staging, b->folder, BANK_STAGING, err)) != RB_OK)
        goto out;

    if (strcmp(b->state, "voided") == 0) {
        st = rb_fail(err, RB_E_USAGE, "batch %s was voided by %s at %s (%s); a voided batch cannot be approved",
                     b->batch_id, b->voided_by, b->voided_at, b->void_reason);
        goto out;
    }
    if (strcmp(b->state, "approved") == 0) {
        if (path_exists(out->bank_dir)) {
            st = rb_fail(err, RB_E_USAGE, "batch %s is already approved (by %s at %s); its bank file is '%s/payout.xml'",
                         b->batch_id, b->approved_by, b->approved_at, out->bank_dir);
            goto out;
        }
        /* Recorded, but a crash kept bank/ from its place: write it again
         * from what was recorded, while no answer has changed a payment. */
        int64_t answered = 0, approved = 0;
        rb_fen sum = 0;
        if ((st = payments_in_state(db, b->batch_id, NULL, &answered, &sum, err)) != RB_OK ||
            (st = payments_in_state(db, b->batch_id, "approved", &approved, &sum, err)) != RB_OK)
            goto out;
        if (approved != answered) {
            st = rb_fail(err, RB_E_USAGE,
                         "batch %s is approved (by %s at %s) and the bank has answered for %lld of its payments, but "
                         "'%s' is missing: restore it from a backup; it is not written again",
                         b->batch_id, b->approved_by, b->approved_at, (long long)(answered - approved), out->bank_dir);
            goto out;
        }
        out->finished = true;
        snprintf(out->approved_by, sizeof out->approved_by, "%s", b->approved_by);
        snprintf(out->approved_at, sizeof out->approved_at, "%s", b->approved_at);
    } else if (strcmp(b->state, "published") == 0) {
        if (rb_same_person(by, b->created_by)) {
            st = rb_fail(err, RB_E_USAGE, "%s ran batch %s, so %s cannot approve it: someone else must sign it off",
                         b->created_by, b->batch_id, by);
            goto out;
        }
        if (b->payments == 0) {
            st = rb_fail(err, RB_E_USAGE, "batch %s has no payments: there is nothing to approve or send to the bank",
                         b->batch_id);
            goto out;
        }
        if (path_exists(out->bank_dir)) {
            st = rb_fail(err, RB_E_CANTWRITE,
                         "'%s' already exists although batch %s is not approved; rebate did not write it: move it "
                         "away and approve again",
                         out->bank_dir, b->batch_id);
            goto out;
        }
        snprintf(out->approved_by, sizeof out->approved_by, "%s", by);
        rb_now_utc(out->approved_at);
    } else {
        st = rb_fail(err, RB_E_INTERNAL, "batch %s has the unknown state '%s'", b->batch_id, b->state);
        goto out;
    }

    if ((st = rb_batch_verify_folder(b, err)) != RB_OK ||
        (st = expect_payments(db, b, out->finished ? "approved" : "published", err)) != RB_OK)
        goto out;
    staging_written = true;
    if ((st = write_bank_staging(db, b, out->approved_by, out->approved_at, staging, err)) != RB_OK)
        goto out;
    rb_crash_point("bank-written");
    if (!out->finished) {
        const char *batch_values[] = {out->approved_by, out->approved_at, b->batch_id};
        const char *payment_values[] = {out->approved_at, b->batch_id};
        if ((st = update(db,
                         "UPDATE batches SET state = 'approved', approved_by = ?1, approved_at = ?2"
                         " WHERE batch_id = ?3 AND state = 'published'",
                         batch_values, 3, 1, "recording the approval", err)) != RB_OK ||
            (st = update(db,
                         "UPDATE payments SET state = 'approved', state_at = ?1"
                         " WHERE batch_id = ?2 AND state = 'published'",
                         payment_values, 2, b->payments, "recording the approved payments", err)) != RB_OK)
            goto out;
    }
    if ((st = rb_db_commit(db, err)) != RB_OK)
        goto out;
    in_transaction = false;
    staging_written = false; /* from here the staging folder is the approval's */
    rb_crash_point("approve-committed");
    out->payments = b->payments;
    out->total = b->total;
    rb_error rename_err = {0};
    if (rb_fs_rename_noreplace(staging, out->bank_dir, &rename_err) != RB_OK)
        st = rb_fail(err, RB_E_CANTWRITE, "batch %s is approved in the ledger, but its bank folder is not in place (%s); "
                     "run approve again to finish", b->batch_id, rename_err.message);
out:
    if (in_transaction)
        rb_db_rollback(db);
    if (staging_written)
        rb_fs_remove_tree(staging, NULL); /* not recorded: not an approval */
    free(b);
    return st;
}

/* ---- void ---- */

static rb_status write_void_note(const rb_batch_record *b, const char *voided_by, const char *voided_at,
                                 const char *reason, const char *staging_path, rb_error *err)
{
    char total[RB_MONEY_BUFSZ];
    FILE *f = NULL;
    rb_status st;
    if (unlink(staging_path) != 0 && errno != ENOENT)
        return rb_fail(err, RB_E_CANTWRITE, "cannot remove '%s': %s", staging_path, strerror(errno));
    if ((st = rb_fs_create(b->folder, VOID_NOTE_STAGING, &f, err)) != RB_OK)
        return st;
    rb_money_format(b->total, total);
    fprintf(f, "*** 本批次已作废（VOIDED），不得据此拨付 ***\r\n\r\n");
    fprintf(f, "批次号 batch_id：%s\r\n", b->batch_id);
    fprintf(f, "作废人 voided_by：%s\r\n", voided_by);
    fprintf(f, "作废时间 voided_at：%s（UTC）\r\n", voided_at);
    fprintf(f, "作废原因 void_reason：%s\r\n", reason);
    fprintf(f, "作废的付款 payments：%lld 笔，合计 %s 元\r\n\r\n", (long long)b->payments, total);
    fprintf(f, "这些企业可由之后的批次重新评估和拨付（付款编号的次数加一）。本文件不在 SHA256SUMS 之内，\r\n");
    fprintf(f, "批次原有文件保持发布时的原样。\r\n");
    if ((st = rb_fs_close_synced(f, staging_path, err)) != RB_OK)
        return st;
    return rb_fs_sync_dir(b->folder, err);
}

/* Moves a written note into place. */
static rb_status place_void_note(const rb_batch_record *b, const char *staging_path, rb_error *err)
{
    char note[4200];
    rb_status st = join(note, sizeof note, b->folder, VOID_NOTE, err);
    return st == RB_OK ? rb_fs_rename_noreplace(staging_path, note, err) : st;
}

rb_status rb_batch_void(sqlite3 *db, const char *batch_id, const char *by_typed, const char *reason_typed,
                        rb_void_result *out, rb_error *err)
{
    memset(out, 0, sizeof *out);
    rb_batch_record *b = rb_calloc(1, sizeof *b);
    char by[RB_LIFE_BY_MAX + 1], reason[RB_LIFE_REASON_MAX + 1], note[4200], note_staging[4200], bank_staging[4200];
    bool in_transaction = false, folder = false;
    rb_status st;
    if ((st = check_typed("--by", by_typed, RB_LIFE_BY_MAX, err)) != RB_OK ||
        (st = check_typed("--reason", reason_typed, RB_LIFE_REASON_MAX, err)) != RB_OK)
        goto out;
    if (b == NULL) {
        st = rb_fail(err, RB_E_INTERNAL, "out of memory");
        goto out;
    }
    trimmed(by_typed, by, sizeof by);
    trimmed(reason_typed, reason, sizeof reason);
    if ((st = rb_db_begin(db, err)) != RB_OK)
        goto out;
    in_transaction = true;
    if ((st = rb_batch_record_load(db, batch_id, b, err)) != RB_OK ||
        (st = join(note, sizeof note, b->folder, VOID_NOTE, err)) != RB_OK ||
        (st = join(note_staging, sizeof note_staging, b->folder, VOID_NOTE_STAGING, err)) != RB_OK ||
        (st = join(bank_staging, sizeof bank_staging, b->folder, BANK_STAGING, err)) != RB_OK)
        goto out;
    struct stat sb;
    folder = stat(b->folder, &sb) == 0 && S_ISDIR(sb.st_mode);
    out->folder_missing = !folder;
    out->payments = b->payments;
    out->total = b->total;

    if (strcmp(b->state, "approved") == 0) {
        st = rb_fail(err, RB_E_USAGE,
                     "batch %s was approved by %s at %s; an approved batch cannot be voided: its bank file may be "
                     "at the bank already (a returned transfer comes back through 'rebate reconcile')",
                     b->batch_id, b->approved_by, b->approved_at);
        goto out;
    }
    if (strcmp(b->state, "voided") == 0) {
        if (!folder || path_exists(note)) {
            st = rb_fail(err, RB_E_USAGE, "batch %s is already voided (by %s at %s: %s)", b->batch_id, b->voided_by,
                         b->voided_at, b->void_reason);
            goto out;
        }
        /* Recorded, but a crash kept the note from its place. */
        out->finished = true;
        snprintf(out->voided_at, sizeof out->voided_at, "%s", b->voided_at);
        rb_db_rollback(db);
        in_transaction = false;
        if ((st = write_void_note(b, b->voided_by, b->voided_at, b->void_reason, note_staging, err)) == RB_OK)
            st = place_void_note(b, note_staging, err);
        goto out;
    }
    if (strcmp(b->state, "published") != 0) {
        st = rb_fail(err, RB_E_INTERNAL, "batch %s has the unknown state '%s'", b->batch_id, b->state);
        goto out;
    }
    rb_now_utc(out->voided_at);
    if (folder) {
        if (path_exists(note)) {
            st = rb_fail(err, RB_E_CANTWRITE,
                         "'%s' already exists although batch %s is not voided; rebate did not write it: move it away "
                         "and void again",
                         note, b->batch_id);
            goto out;
        }
        /* An approval that never committed leaves nothing to keep. */
        if ((st = rb_fs_remove_tree(bank_staging, err)) != RB_OK ||
            (st = write_void_note(b, by, out->voided_at, reason, note_staging, err)) != RB_OK)
            goto out;
    }
    rb_crash_point("void-note-written");
    const char *batch_values[] = {by, out->voided_at, reason, b->batch_id};
    const char *payment_values[] = {out->voided_at, b->batch_id};
    if ((st = expect_payments(db, b, "published", err)) != RB_OK ||
        (st = update(db,
                     "UPDATE batches SET state = 'voided', voided_by = ?1, voided_at = ?2, void_reason = ?3"
                     " WHERE batch_id = ?4 AND state = 'published'",
                     batch_values, 4, 1, "recording the void", err)) != RB_OK ||
        (st = update(db, "UPDATE payments SET state = 'voided', state_at = ?1 WHERE batch_id = ?2 AND state = 'published'",
                     payment_values, 2, b->payments, "voiding the payments", err)) != RB_OK ||
        (st = rb_db_commit(db, err)) != RB_OK)
        goto out;
    in_transaction = false;
    rb_crash_point("void-committed");
    rb_error rename_err = {0};
    if (folder && place_void_note(b, note_staging, &rename_err) != RB_OK)
        st = rb_fail(err, RB_E_CANTWRITE,
                     "batch %s is voided in the ledger, but its note is not in place (%s); run void again to finish",
                     b->batch_id, rename_err.message);
out:
    if (in_transaction) {
        rb_db_rollback(db);
        if (folder && !out->finished)
            unlink(note_staging); /* not recorded: no note */
    }
    free(b);
    return st;
}

/* ---- reconcile ---- */

#define MAX_FIELDS 4

/* One line's fields, as libcsv delivers them. */
typedef struct answer_line {
    rb_strbuf fields[MAX_FIELDS];
    int n_fields; /* may pass MAX_FIELDS: only counted then */
    int rows;     /* records in the line: 1 unless it is broken */
    bool out_of_memory;
} answer_line;

static void take_field(void *data, size_t len, void *ctx)
{
    answer_line *l = ctx;
    if (l->n_fields < MAX_FIELDS) {
        rb_strbuf *f = &l->fields[l->n_fields];
        rb_strbuf_reset(f);
        if (!rb_strbuf_add(f, data ? data : "", data ? len : 0))
            l->out_of_memory = true;
    }
    l->n_fields++;
}

static void take_row(int c, void *ctx)
{
    (void)c;
    ((answer_line *)ctx)->rows++;
}

/* The field trimmed, in place (fields are NUL-terminated strbufs). */
static const char *field(answer_line *l, int i)
{
    if (i >= l->n_fields || i >= MAX_FIELDS)
        return "";
    rb_strbuf *f = &l->fields[i];
    const char *start = f->buf;
    size_t len = f->len;
    rb_text_trim(&start, &len);
    memmove(f->buf, start, len);
    f->buf[len] = '\0';
    f->len = len;
    return f->buf;
}

/* The reconcile of one file: statements and counters. */
typedef struct reconcile {
    sqlite3 *db;
    const rb_batch_record *batch;
    const char *path;      /* as given, for messages */
    const char *file_name; /* its last component, for bank_answers */
    int64_t run_id;
    char now[32];
    sqlite3_stmt *find, *previous, *set_state, *record;
    rb_reconcile_result *result;
} reconcile;

static rb_status line_error(const reconcile *r, long line, rb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static rb_status line_error(const reconcile *r, long line, rb_error *err, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return rb_fail(err, RB_E_DATA, "cannot read bank answer '%s' line %ld: %s; nothing was recorded", r->path, line,
                   what);
}

static rb_status answer(reconcile *r, long line, const char *reference, const char *status, const char *reason,
                        rb_error *err)
{
    rb_status st = RB_OK;
    sqlite3_reset(r->find);
    sqlite3_bind_text(r->find, 1, reference, -1, SQLITE_STATIC);
    int rc = sqlite3_step(r->find);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return rb_db_fail(r->db, "looking up a payment", err);
    if (rc == SQLITE_DONE || strcmp((const char *)sqlite3_column_text(r->find, 0), r->batch->batch_id) != 0)
        return line_error(r, line, err, "reference '%s' is not a payment of batch %s", reference,
                          r->batch->batch_id);
    char state[16];
    copy_column(state, sizeof state, r->find, 1);
    sqlite3_reset(r->find);
    bool paid = strcmp(status, "paid") == 0;
    if (strcmp(state, status) == 0) {
        /* The same answer again changes nothing. */
        if (paid)
            r->result->paid_again++;
        else
            r->result->returned_again++;
        return RB_OK;
    }
    if (strcmp(state, "approved") != 0) {
        char earlier[600] = "";
        sqlite3_reset(r->previous);
        sqlite3_bind_text(r->previous, 1, reference, -1, SQLITE_STATIC);
        if (sqlite3_step(r->previous) == SQLITE_ROW)
            snprintf(earlier, sizeof earlier, " (from '%s' line %lld)", sqlite3_column_text(r->previous, 0),
                     (long long)sqlite3_column_int64(r->previous, 1));
        sqlite3_reset(r->previous);
        return line_error(r, line, err, "payment %s is already recorded as %s%s; this line says %s", reference, state,
                          earlier, status);
    }
    sqlite3_reset(r->set_state);
    sqlite3_bind_text(r->set_state, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(r->set_state, 2, r->now, -1, SQLITE_STATIC);
    sqlite3_bind_text(r->set_state, 3, reference, -1, SQLITE_STATIC);
    if (sqlite3_step(r->set_state) != SQLITE_DONE || sqlite3_changes(r->db) != 1)
        return rb_db_fail(r->db, "recording the bank's answer", err);
    sqlite3_reset(r->record);
    sqlite3_bind_text(r->record, 1, reference, -1, SQLITE_STATIC);
    sqlite3_bind_text(r->record, 2, r->batch->batch_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(r->record, 3, status, -1, SQLITE_STATIC);
    if (reason[0] != '\0')
        sqlite3_bind_text(r->record, 4, reason, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(r->record, 4);
    sqlite3_bind_text(r->record, 5, r->file_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(r->record, 6, line);
    if (r->run_id > 0)
        sqlite3_bind_int64(r->record, 7, r->run_id);
    else
        sqlite3_bind_null(r->record, 7);
    sqlite3_bind_text(r->record, 8, r->now, -1, SQLITE_STATIC);
    if (sqlite3_step(r->record) != SQLITE_DONE)
        st = rb_db_fail(r->db, "recording the bank's answer", err);
    sqlite3_reset(r->record);
    if (st == RB_OK) {
        if (paid)
            r->result->paid++;
        else
            r->result->returned++;
    }
    return st;
}

/* Reads the file line by line (a field never spans lines, so every error
 * names its line) and records each answer. */
static rb_status read_answers(reconcile *r, FILE *f, rb_error *err)
{
    struct csv_parser parser;
    answer_line l;
    memset(&l, 0, sizeof l);
    for (int i = 0; i < MAX_FIELDS; i++)
        rb_strbuf_init(&l.fields[i]);
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading '%s'", r->path);
    char *text = NULL;
    size_t cap = 0;
    ssize_t got;
    long line = 0;
    int header_fields = 0;
    rb_status st = RB_OK;
    errno = 0;
    while (st == RB_OK && (got = getline(&text, &cap, f)) >= 0) {
        line++;
        size_t len = (size_t)got;
        if (len > 0 && text[len - 1] == '\n')
            len--;
        if (len > 0 && text[len - 1] == '\r')
            len--;
        char *start = text;
        if (line == 1 && len >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
            start += 3;
            len -= 3;
        }
        if (len > MAX_ANSWER_LINE) {
            st = line_error(r, line, err, "the line is longer than 64 KiB");
            break;
        }
        if (memchr(start, '\0', len) != NULL || memchr(start, '\r', len) != NULL) {
            st = line_error(r, line, err, "a NUL byte or a carriage return inside the line");
            break;
        }
        size_t bad = 0;
        if (!rb_utf8_valid(start, len, &bad)) {
            st = line_error(r, line, err, "byte %zu is not UTF-8", bad + 1);
            break;
        }
        const char *blank = start;
        size_t blank_len = len;
        rb_text_trim(&blank, &blank_len);
        if (blank_len == 0)
            continue; /* empty lines, e.g. at the end, say nothing */
        l.n_fields = 0;
        l.rows = 0;
        if (csv_parse(&parser, start, len, take_field, take_row, &l) != len ||
            csv_fini(&parser, take_field, take_row, &l) != 0) {
            st = line_error(r, line, err, "broken quoting (a quoted field must end on its line)");
            break;
        }
        if (l.out_of_memory) {
            st = rb_fail(err, RB_E_INTERNAL, "out of memory reading '%s'", r->path);
            break;
        }
        if (header_fields == 0) {
            bool two = l.n_fields == 2, three = l.n_fields == 3;
            if ((!two && !three) || strcmp(field(&l, 0), "reference") != 0 || strcmp(field(&l, 1), "status") != 0 ||
                (three && strcmp(field(&l, 2), "reason") != 0)) {
                st = line_error(r, line, err, "the header must be reference,status,reason");
                break;
            }
            header_fields = l.n_fields;
            continue;
        }
        if (l.n_fields != header_fields && !(header_fields == 3 && l.n_fields == 2)) {
            st = line_error(r, line, err, "%d fields where the header has %d", l.n_fields, header_fields);
            break;
        }
        const char *reference = field(&l, 0), *reason = field(&l, 2);
        char status[16];
        snprintf(status, sizeof status, "%s", field(&l, 1));
        for (char *p = status; *p != '\0'; p++)
            *p = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
        if (reference[0] == '\0') {
            st = line_error(r, line, err, "the reference is empty");
        } else if (strcmp(status, "paid") != 0 && strcmp(status, "returned") != 0) {
            st = line_error(r, line, err, "status '%s' is neither paid nor returned", field(&l, 1));
        } else {
            st = answer(r, line, reference, status, reason, err);
        }
    }
    if (st == RB_OK && ferror(f))
        st = rb_fail(err, RB_E_DATA, "cannot read bank answer '%s': %s; nothing was recorded", r->path,
                     strerror(errno ? errno : EIO));
    if (st == RB_OK && header_fields == 0)
        st = rb_fail(err, RB_E_DATA, "bank answer '%s' is empty: it needs the header reference,status,reason", r->path);
    free(text);
    csv_free(&parser);
    for (int i = 0; i < MAX_FIELDS; i++)
        rb_strbuf_release(&l.fields[i]);
    return st;
}

rb_status rb_batch_reconcile(sqlite3 *db, const char *batch_id, const char *path, int64_t run_id,
                             rb_reconcile_result *out, rb_error *err)
{
    memset(out, 0, sizeof *out);
    rb_batch_record *b = rb_calloc(1, sizeof *b);
    reconcile r;
    memset(&r, 0, sizeof r);
    FILE *f = NULL;
    bool in_transaction = false;
    rb_status st = RB_OK;
    if (b == NULL) {
        st = rb_fail(err, RB_E_INTERNAL, "out of memory");
        goto out;
    }
    if ((st = rb_db_begin(db, err)) != RB_OK)
        goto out;
    in_transaction = true;
    if ((st = rb_batch_record_load(db, batch_id, b, err)) != RB_OK)
        goto out;
    if (strcmp(b->state, "approved") != 0) {
        st = strcmp(b->state, "voided") == 0
                 ? rb_fail(err, RB_E_USAGE, "batch %s was voided (by %s at %s): no bank file of it went to the bank",
                           b->batch_id, b->voided_by, b->voided_at)
                 : rb_fail(err, RB_E_USAGE,
                           "batch %s is %s, not approved: it has no bank file the bank could answer", b->batch_id,
                           b->state);
        goto out;
    }
    f = fopen(path, "rb");
    struct stat sb;
    if (f == NULL || fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = rb_fail(err, RB_E_NOINPUT, "cannot open bank answer '%s': %s", path,
                     f == NULL ? strerror(errno) : "not a regular file");
        goto out;
    }
    const char *slash = strrchr(path, '/');
    r.db = db;
    r.batch = b;
    r.path = path;
    r.file_name = slash ? slash + 1 : path;
    r.run_id = run_id;
    r.result = out;
    rb_now_utc(r.now);
    if (sqlite3_prepare_v2(db, "SELECT batch_id, state FROM payments WHERE reference = ?", -1, &r.find, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT file, line FROM bank_answers WHERE reference = ?", -1, &r.previous, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "UPDATE payments SET state = ?1, state_at = ?2 WHERE reference = ?3 AND state = 'approved'",
                           -1, &r.set_state, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO bank_answers (reference, batch_id, status, reason, file, line, run_id,"
                           " recorded_at) VALUES (?,?,?,?,?,?,?,?)",
                           -1, &r.record, NULL) != SQLITE_OK) {
        st = rb_db_fail(db, "preparing the reconcile statements", err);
        goto out;
    }
    rb_fen ignored = 0;
    if ((st = read_answers(&r, f, err)) != RB_OK ||
        (st = payments_in_state(db, b->batch_id, "approved", &out->open, &ignored, err)) != RB_OK ||
        (st = rb_db_commit(db, err)) != RB_OK)
        goto out;
    in_transaction = false;
out:
    sqlite3_finalize(r.find);
    sqlite3_finalize(r.previous);
    sqlite3_finalize(r.set_state);
    sqlite3_finalize(r.record);
    if (in_transaction)
        rb_db_rollback(db);
    if (f != NULL)
        fclose(f);
    free(b);
    if (st != RB_OK) {
        rb_reconcile_result none = {0};
        *out = none; /* nothing was recorded */
    }
    return st;
}
