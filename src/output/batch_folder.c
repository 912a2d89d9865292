/* The folder steps of approval and void (rebate/batch_folder.h): the check
 * of a published folder, bank/ and VOIDED.txt. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "output/batch_files.h"
#include "rebate/bank.h"
#include "rebate/batch_folder.h"
#include "rebate/fsutil.h"
#include "rebate/money.h"
#include "rebate/sha256.h"
#include "rebate/strbuf.h"
#include "rebate/sums.h"
#include "rebate/words.h"

static rb_status out_of_memory(rb_error *err)
{
    return rb_fail(err, RB_E_INTERNAL, "out of memory");
}

rb_status rb_batch_folder_verify(const rb_batch_record *b, rb_error *err)
{
    struct stat sb;
    if (stat(b->folder, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return rb_fail(err, RB_E_NOINPUT, "the folder of batch %s, '%s', is missing%s", b->batch_id, b->folder,
                       b->folder[0] != '/' ? " (the path is relative to where the batch was run)" : "");
    char actual[RB_SHA256_HEX];
    char *payout = rb_path_joined(b->folder, "payout.csv");
    if (payout == NULL)
        return out_of_memory(err);
    rb_status st = RB_OK;
    if (rb_sha256_file(payout, actual, NULL) != RB_OK)
        st = rb_fail(err, RB_E_DATA, "cannot read '%s': the folder of batch %s was changed after it was published",
                     payout, b->batch_id);
    /* The ledger's digest first: SHA256SUMS could have been rewritten with
     * the file it checks. */
    else if (strcmp(actual, b->payout_sha256) != 0)
        st = rb_fail(err, RB_E_DATA,
                     "'%s' is not the payout.csv published with batch %s: its SHA-256 differs from the one the "
                     "ledger recorded",
                     payout, b->batch_id);
    free(payout);
    if (st == RB_OK)
        st = rb_sums_check(b->folder, rb_batch_files_names, RB_BATCH_FILES, b->batch_id, err);
    return st;
}

/* ---- bank/ ---- */

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

static rb_status add_payment(void *ctx, const rb_batch_payment *row, rb_error *err)
{
    rb_bank_payment p = {
        .reference = row->reference,
        .amount = row->amount,
        .account_name = row->account_name,
        .bank_account = row->bank_account,
        .bank_code = row->bank_code,
        .bank_name = row->bank_name,
    };
    return rb_bank_file_add(ctx, &p, err);
}

/* Writes dir/payout.xml from the ledger's payments of the batch, in the
 * order of payout.csv (uscc), then reads it back for its totals. */
static rb_status write_payout_xml(sqlite3 *db, const rb_batch_record *b, const char *approved_at, const char *dir,
                                  rb_error *err)
{
    char execution_date[11];
    rb_debtor_row row = {0};
    rb_bank_header header = {.batch_id = b->batch_id, .created_at = approved_at, .execution_date = execution_date,
                             .policy_year = b->policy_year, .count = b->payments, .total = b->total};
    FILE *file = NULL;
    rb_bank_writer *writer = NULL;
    char *path = rb_path_joined(dir, "payout.xml");
    rb_status st;
    if (path == NULL)
        return out_of_memory(err);
    if ((st = rb_debtor_load(db, &row, err)) != RB_OK)
        goto out;
    header.debtor = (rb_bank_debtor){
        .name = row.name, .account = row.account, .bank_code = row.bank_code, .bank_name = row.bank_name};
    if (!local_date_of(approved_at, execution_date)) {
        st = rb_fail(err, RB_E_INTERNAL, "the approval time '%s' of batch %s is not an ISO 8601 UTC time", approved_at,
                     b->batch_id);
        goto out;
    }
    if ((st = rb_fs_create(dir, "payout.xml", &file, err)) != RB_OK ||
        (st = rb_bank_file_begin(file, path, &header, &writer, err)) != RB_OK)
        goto out;
    st = rb_batch_each_payment(db, b->batch_id, add_payment, writer, err);
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
    rb_debtor_row_free(&row);
    free(path);
    return st;
}

static rb_status write_approval_txt(const rb_batch_record *b, const char *approved_by, const char *approved_at,
                                    const char *dir, rb_error *err)
{
    char total[RB_MONEY_BUFSZ], words[RB_WORDS_BUFSZ];
    FILE *f = NULL;
    char *path = rb_path_joined(dir, "approval.txt");
    if (path == NULL)
        return out_of_memory(err);
    rb_status st = rb_fs_create(dir, "approval.txt", &f, err);
    if (st == RB_OK) {
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
        st = rb_fs_close_synced(f, path, err);
    }
    free(path);
    return st;
}

rb_status rb_bank_folder_write(sqlite3 *db, const rb_batch_record *b, const char *approved_by,
                               const char *approved_at, const char *staging, rb_error *err)
{
    static const char *const bank_files[] = {"approval.txt", "payout.xml"}; /* sorted */
    rb_status st;
    /* A leftover of an attempt that never committed. */
    if ((st = rb_fs_remove_tree(staging, err)) != RB_OK || (st = rb_fs_mkdir(staging, err)) != RB_OK ||
        (st = write_payout_xml(db, b, approved_at, staging, err)) != RB_OK ||
        (st = write_approval_txt(b, approved_by, approved_at, staging, err)) != RB_OK ||
        (st = rb_sums_write_hashing(staging, bank_files, 2, err)) != RB_OK)
        return st;
    return rb_fs_sync_dir(b->folder, err);
}

/* ---- VOIDED.txt ---- */

static rb_status write_void_note(FILE *f, const rb_batch_record *b, const char *voided_by, const char *voided_at,
                                 const char *reason, const char *staging_path, rb_error *err);

rb_status rb_void_note_write(const rb_batch_record *b, const char *voided_by, const char *voided_at,
                             const char *reason, const char *staging_name, rb_error *err)
{
    FILE *f = NULL;
    char *staging_path = rb_path_joined(b->folder, staging_name);
    if (staging_path == NULL)
        return out_of_memory(err);
    rb_status st = RB_OK;
    if (unlink(staging_path) != 0 && errno != ENOENT)
        st = rb_fail(err, RB_E_CANTWRITE, "cannot remove '%s': %s", staging_path, strerror(errno));
    else if ((st = rb_fs_create(b->folder, staging_name, &f, err)) == RB_OK)
        st = write_void_note(f, b, voided_by, voided_at, reason, staging_path, err);
    free(staging_path);
    return st;
}

static rb_status write_void_note(FILE *f, const rb_batch_record *b, const char *voided_by, const char *voided_at,
                                 const char *reason, const char *staging_path, rb_error *err)
{
    char total[RB_MONEY_BUFSZ];
    rb_status st;
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
