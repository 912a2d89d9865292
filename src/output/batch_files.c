/* Writers of the batch files: one row per firm into decisions.csv, payout.csv
 * and exceptions.csv as the firms are decided, then the rejected input rows,
 * summary.txt and SHA256SUMS. Column orders are those of docs/formats.md. */
#define _GNU_SOURCE /* fopencookie: payout.csv's bytes go to the file and to payout.xlsx's thread */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <csv.h>

#include "output/batch_files.h"
#include "output/report.h"
#include "output/workbook.h"
#include "rebate/workdays.h"
#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/fsutil.h"
#include "rebate/money.h"
#include "rebate/words.h"

static const char *const payout_header[] = {"seq", "batch_id", "reference", "uscc", "name",
                                            "account_name", "bank_name", "bank_code", "bank_account",
                                            "amount", "amount_in_words", "policy_year", "purpose"};
static const char *const exceptions_header[] = {"kind", "uscc", "name", "reasons", "detail", "file", "line", "amount"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define CSV_BUFFER (256 * 1024)

static rb_status open_csv(rb_batch_files *files, const char *name, char **path_out, FILE **file, rb_csv_writer *w,
                          const char *const *header, size_t n, rb_error *err)
{
    char *path = *path_out = rb_path_joined(files->dir, name);
    if (path == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory");
    rb_status st = rb_fs_create(files->dir, name, file, err);
    if (st != RB_OK)
        return st;
    /* A million rows: write them in large blocks, not 4 KiB ones. */
    if (setvbuf(*file, NULL, _IOFBF, CSV_BUFFER) != 0)
        return rb_fail(err, RB_E_INTERNAL, "cannot set up writing '%s'", path);
    return rb_csv_begin(w, *file, path, header, n, err);
}

/* The stream payout.csv is written through: each block goes to the file
 * and to the pipe of payout.xlsx's thread (which reads to the end whatever
 * happens, so a write here never waits for ever). */
static ssize_t tee_write(void *cookie, const char *buf, size_t size)
{
    rb_batch_files *files = cookie;
    if (fwrite(buf, 1, size, files->payout_real) != size)
        return -1;
    for (size_t done = 0; done < size;) {
        ssize_t n = write(files->payout_pipe, buf + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return (ssize_t)size;
}

static int tee_close(void *cookie)
{
    (void)cookie; /* the file and the pipe are closed by their owner */
    return 0;
}

/* payout.csv through the tee, with payout.xlsx's thread started. */
static rb_status open_payout(rb_batch_files *files, int32_t as_of, bool dry_run, rb_error *err)
{
    files->payout_path = rb_path_joined(files->dir, "payout.csv");
    if (files->payout_path == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory");
    rb_status st = rb_fs_create(files->dir, "payout.csv", &files->payout_real, err);
    if (st != RB_OK)
        return st;
    rb_workbook_batch book = {.dir = files->dir, .batch_id = files->batch_id,
                              .policy_year = files->params->policy_year, .as_of = as_of, .dry_run = dry_run};
    if ((st = rb_payout_book_start(&book, &files->payout_book, &files->payout_pipe, err)) != RB_OK)
        return st;
    cookie_io_functions_t io = {.read = NULL, .write = tee_write, .seek = NULL, .close = tee_close};
    if ((files->payout_file = fopencookie(files, "w", io)) == NULL ||
        setvbuf(files->payout_file, NULL, _IOFBF, CSV_BUFFER) != 0)
        return rb_fail(err, RB_E_INTERNAL, "cannot set up writing '%s'", files->payout_path);
    return rb_csv_begin(&files->payout, files->payout_file, files->payout_path, payout_header,
                        COUNT(payout_header), err);
}

/* Closes payout.csv (synced) and the pipe; the thread is told the
 * ledger's count and total unless the file failed. */
static rb_status close_payout(rb_batch_files *files, int64_t payments, rb_fen total, rb_error *err)
{
    bool flushed = fclose(files->payout_file) == 0;
    files->payout_file = NULL;
    close(files->payout_pipe);
    files->payout_pipe = -1;
    FILE *real = files->payout_real;
    files->payout_real = NULL;
    rb_status st = rb_fs_close_synced(real, files->payout_path, err);
    if (st == RB_OK && !flushed)
        st = rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': %s", files->payout_path, strerror(errno));
    if (st == RB_OK)
        rb_payout_book_expect(files->payout_book, payments, total);
    return st;
}

rb_status rb_batch_files_open(rb_batch_files *files, const char *dir, const char *batch_id,
                              const rb_params *params, int32_t as_of, bool dry_run, rb_error *err)
{
    memset(files, 0, sizeof *files);
    files->payout_pipe = -1;
    snprintf(files->batch_id, sizeof files->batch_id, "%s", batch_id); /* both 128 bytes */
    files->params = params;
    rb_status st;
    if ((files->report = malloc(sizeof *files->report)) == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory");
    rb_report_init(files->report);
    if ((files->dir = strdup(dir)) == NULL) {
        st = rb_fail(err, RB_E_INTERNAL, "out of memory");
        rb_batch_files_abandon(files);
        return st;
    }
    if ((st = open_payout(files, as_of, dry_run, err)) != RB_OK ||
        (st = open_csv(files, "exceptions.csv", &files->exceptions_path, &files->exceptions_file, &files->exceptions,
                       exceptions_header, COUNT(exceptions_header), err)) != RB_OK ||
        (st = open_csv(files, "decisions.csv", &files->decisions_path, &files->decisions_file, &files->decisions,
                       rb_decisions_header, RB_DECISIONS_COLUMNS, err)) != RB_OK) {
        rb_batch_files_abandon(files);
        return st;
    }
    return RB_OK;
}

static void free_paths(rb_batch_files *files)
{
    char **all[] = {&files->dir, &files->payout_path, &files->exceptions_path, &files->decisions_path};
    for (size_t i = 0; i < COUNT(all); i++) {
        free(*all[i]);
        *all[i] = NULL;
    }
}

void rb_batch_files_abandon(rb_batch_files *files)
{
    /* payout.xlsx's thread first: it ends once its pipe is closed. */
    if (files->payout_file != NULL)
        fclose(files->payout_file);
    files->payout_file = NULL;
    if (files->payout_pipe >= 0)
        close(files->payout_pipe);
    files->payout_pipe = -1;
    if (files->payout_book != NULL) {
        rb_error ignored = {0};
        rb_payout_book_join(files->payout_book, &ignored);
        files->payout_book = NULL;
    }
    FILE **all[] = {&files->payout_real, &files->exceptions_file, &files->decisions_file};
    for (size_t i = 0; i < COUNT(all); i++) {
        if (*all[i] != NULL)
            fclose(*all[i]);
        *all[i] = NULL;
    }
    if (files->report != NULL) {
        rb_report_release(files->report);
        free(files->report);
        files->report = NULL;
    }
    free_paths(files);
}

/* The name a firm is known by: the registered name, else the unit's. */
static const char *firm_name(const rb_firm_input *firm)
{
    if (firm->has_registration && firm->reg_name)
        return firm->reg_name;
    if (firm->has_unit && firm->unit_name)
        return firm->unit_name;
    return "";
}

void rb_decision_row_of(const rb_firm_input *firm, const rb_decision *decision, rb_decision_row *row)
{
    const rb_measures *m = &decision->measures;
    memcpy(row->uscc, firm->uscc, sizeof row->uscc);
    row->outcome = rb_outcome_code(decision->outcome);
    row->name = firm_name(firm);
    rb_reasons_format(decision->reasons, row->reasons, sizeof row->reasons);
    row->headcount_known = m->headcount_known;
    row->headcount_num = m->headcount_known ? m->headcount_num : 0;
    row->headcount_den = m->headcount_known ? m->headcount_den : 0;
    row->full_months = m->full_months;
    row->arrears = m->arrears;
    row->base = m->base;
    row->layoff_num = m->layoff_num;
    row->layoff_den = m->layoff_den;
    row->rate_pct = m->rate_pct;
    row->amount = m->amount;
    /* The verdict the decision followed (docs/rules.md, "Review verdicts"). */
    if (decision->verdict == RB_VERDICT_APPLIES) {
        row->verdict_id = decision->verdict_id;
        rb_decision_review_text(firm->verdict.accept, firm->verdict.at, firm->verdict.by, row->review,
                                sizeof row->review);
    } else {
        row->verdict_id = 0;
        row->review[0] = '\0';
    }
}

const char *const rb_decisions_header[RB_DECISIONS_COLUMNS] = {"uscc", "name", "outcome", "reasons", "headcount",
                                                               "full_months", "arrears", "layoff_rate", "base",
                                                               "rate", "amount", "review"};

void rb_decisions_csv_add(rb_csv_writer *w, const rb_decision_row *row, rb_headcount_basis basis)
{
    char buf[RB_MONEY_BUFSZ];
    rb_csv_text(w, row->uscc);
    rb_csv_text(w, row->name ? row->name : "");
    rb_csv_text(w, row->outcome);
    rb_csv_text(w, row->reasons);
    if (!row->headcount_known)
        rb_csv_text(w, "");
    else if (basis == RB_HEADCOUNT_AVERAGE)
        rb_csv_text(w, rb_ratio_format(row->headcount_num, row->headcount_den, buf));
    else
        rb_csv_int(w, (long long)(row->headcount_num / (row->headcount_den ? row->headcount_den : 1)));
    rb_csv_int(w, (long long)row->full_months);
    rb_csv_money(w, row->arrears);
    rb_csv_text(w, row->layoff_den > 0 ? rb_percent_format(row->layoff_num, row->layoff_den, buf) : "");
    rb_csv_money(w, row->base);
    rb_csv_int(w, row->rate_pct);
    rb_csv_money(w, row->amount);
    rb_csv_text(w, row->review);
    rb_csv_end_row(w);
}

rb_status rb_batch_files_add(rb_batch_files *files, const rb_firm_input *firm, const rb_decision *decision,
                             const rb_decision_row *row, const char *reference, rb_error *err)
{
    const rb_measures *m = &decision->measures;
    const char *reasons = row->reasons;
    const char *name = row->name;

    rb_csv_writer *w = &files->decisions;
    rb_decisions_csv_add(w, row, files->params->headcount_basis);

    if (decision->outcome == RB_OUTCOME_PAY) {
        char words[RB_WORDS_BUFSZ], purpose[64];
        rb_amount_in_words(m->amount, true, words);
        snprintf(purpose, sizeof purpose, "%d年失业保险稳岗返还", (int)files->params->policy_year);
        w = &files->payout;
        rb_csv_int(w, (long long)++files->payout_seq);
        rb_csv_text(w, files->batch_id);
        rb_csv_text(w, reference);
        rb_csv_text(w, firm->uscc);
        rb_csv_text(w, name);
        rb_csv_text(w, firm->account_name);
        rb_csv_text(w, firm->bank_name);
        rb_csv_text(w, firm->bank_code);
        rb_csv_text(w, firm->bank_account);
        rb_csv_money(w, m->amount);
        rb_csv_text(w, words);
        rb_csv_int(w, files->params->policy_year);
        rb_csv_text(w, purpose);
        rb_csv_end_row(w);
    } else if (decision->outcome == RB_OUTCOME_REVIEW) {
        rb_strbuf detail = RB_STRBUF_INIT;
        if (!rb_decision_detail(files->params, firm, decision, &detail)) {
            rb_strbuf_release(&detail);
            return rb_fail(err, RB_E_INTERNAL, "out of memory writing '%s'", files->exceptions_path);
        }
        w = &files->exceptions;
        rb_csv_text(w, "ENTERPRISE");
        rb_csv_text(w, firm->uscc);
        rb_csv_text(w, name);
        rb_csv_text(w, reasons);
        rb_csv_text(w, detail.buf);
        rb_csv_text(w, "");
        rb_csv_text(w, "");
        rb_csv_money(w, m->amount);
        rb_csv_end_row(w);
        rb_strbuf_release(&detail);
    }
    if (files->report != NULL && !rb_report_add(files->report, files->params, firm, decision, name))
        return rb_fail(err, RB_E_INTERNAL, "out of memory gathering the report of '%s'", files->dir);
    /* A failed write stops the run at once; the rows still in the buffers
     * are flushed, and a full disk found, when the files are closed
     * (rb_batch_files_finish), not after every row. */
    rb_csv_writer *all[] = {&files->decisions, &files->payout, &files->exceptions};
    for (size_t i = 0; i < COUNT(all); i++)
        if (all[i]->failed)
            return rb_csv_status(all[i], err);
    return RB_OK;
}

static bool selected_row(const rb_batch_summary *summary, const char *uscc, const char *prefix)
{
    if (!summary->selected)
        return true;
    for (size_t i = 0; i < summary->n_usccs; i++) {
        if (uscc && strcmp(uscc, summary->usccs[i]) == 0)
            return true;
        if (prefix && strncmp(prefix, summary->usccs[i], 17) == 0 && strlen(prefix) == 17)
            return true;
    }
    return false;
}

/* Appends every input row kept out of the snapshot (ROW rows). */
static rb_status write_row_errors(rb_batch_files *files, const rb_batch_summary *summary, int64_t *count,
                                  rb_error *err)
{
    sqlite3_stmt *st = NULL;
    *count = 0;
    /* A --uscc rerun reads only the rows of its firms, through the indexes
     * of row_errors (the placeholders ?1..?n are the codes, ?n+1..?2n their
     * first 17 characters), rather than every rejected row of a province. */
    rb_strbuf sql = RB_STRBUF_INIT;
    bool ok = rb_strbuf_adds(&sql, "SELECT e.uscc_field, r.name, e.rule, e.message, e.file, e.line, e.uscc,"
                                   " e.uscc_prefix FROM row_errors e LEFT JOIN registration r ON r.uscc = e.uscc");
    if (summary->selected) {
        ok = ok && rb_strbuf_adds(&sql, " WHERE e.uscc IN (");
        for (size_t i = 0; i < summary->n_usccs; i++)
            ok = ok && rb_strbuf_addf(&sql, "%s?%zu", i ? ", " : "", i + 1);
        ok = ok && rb_strbuf_adds(&sql, ") OR e.uscc_prefix IN (");
        for (size_t i = 0; i < summary->n_usccs; i++)
            ok = ok && rb_strbuf_addf(&sql, "%s?%zu", i ? ", " : "", summary->n_usccs + i + 1);
        ok = ok && rb_strbuf_adds(&sql, ")");
    }
    ok = ok && rb_strbuf_adds(&sql, " ORDER BY e.file, e.line");
    if (!ok) {
        rb_strbuf_release(&sql);
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading the rejected rows");
    }
    int prepared = sqlite3_prepare_v2(summary->db, sql.buf, -1, &st, NULL);
    rb_strbuf_release(&sql);
    if (prepared != SQLITE_OK)
        return rb_db_fail(summary->db, "reading the rejected rows", err);
    for (size_t i = 0; summary->selected && i < summary->n_usccs; i++) {
        sqlite3_bind_text(st, (int)i + 1, summary->usccs[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, (int)(summary->n_usccs + i) + 1, summary->usccs[i], 17, SQLITE_STATIC);
    }
    rb_csv_writer *w = &files->exceptions;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!selected_row(summary, (const char *)sqlite3_column_text(st, 6), (const char *)sqlite3_column_text(st, 7)))
            continue;
        rb_csv_text(w, "ROW");
        rb_csv_text(w, (const char *)sqlite3_column_text(st, 0));
        rb_csv_text(w, (const char *)sqlite3_column_text(st, 1));
        rb_csv_text(w, (const char *)sqlite3_column_text(st, 2));
        rb_csv_text(w, (const char *)sqlite3_column_text(st, 3));
        rb_csv_text(w, (const char *)sqlite3_column_text(st, 4));
        rb_csv_int(w, sqlite3_column_int64(st, 5));
        rb_csv_text(w, "");
        rb_csv_end_row(w);
        (*count)++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rb_db_fail(summary->db, "reading the rejected rows", err);
    return rb_csv_status(w, err);
}

static rb_status write_summary_to(const rb_batch_files *files, const rb_batch_summary *s, const char *now,
                                  rb_error *err, const char *path)
{
    FILE *f = NULL;
    rb_status st = rb_fs_create(files->dir, "summary.txt", &f, err);
    if (st != RB_OK)
        return st;
    const rb_params *p = s->params;
    const rb_run_result *r = s->result;
    char day[11], a[RB_MONEY_BUFSZ], b[RB_MONEY_BUFSZ], words[RB_WORDS_BUFSZ];
    rb_date_format(s->as_of, day);

    fprintf(f, "%d年失业保险稳岗返还（免申即享）拨付批次汇总\r\n\r\n", (int)p->policy_year);
    if (s->dry_run)
        fprintf(f, "*** 预览（DRY RUN）：本批次仅供核对，未记入台账，不得据此拨付 ***\r\n\r\n");
    fprintf(f, "批次号 batch_id：%s\r\n", s->batch_id);
    fprintf(f, "范围：%s\r\n", s->selected ? "指定单位重算（--uscc）" : "全部参保单位");
    fprintf(f, "政策年度 policy_year：%d    数据年度 data_year：%d\r\n", (int)p->policy_year, (int)p->policy_year - 1);
    fprintf(f, "业务日期 as_of：%s    生成时间：%s    操作人：%s\r\n", day, now, s->by);
    if (r->payments > 0 && s->dates != NULL && s->dates->recorded) {
        char end[32], due[32];
        const char *mark = s->dates->provisional ? "（暂按周末计算）" : "";
        fprintf(f, "公示截止：%s%s（业务日期后第 %d 个工作日）    拨付期限：%s%s（公示截止后第 %d 个工作日）\r\n",
                rb_date_format_zh(s->dates->notice_end, end), mark, s->dates->notice_days,
                rb_date_format_zh(s->dates->due_date, due), mark, RB_DUE_WORKING_DAYS);
    }
    fprintf(f, "\r\n");

    fprintf(f, "参数（policy_params %d，依据：%s）\r\n", (int)p->policy_year, p->legal_reference);
    fprintf(f, "  返还比例：中小微企业 %d%%，大型企业 %d%%（参保人数 ≥ %lld 为大型）\r\n", (int)p->rate_smm_pct,
            (int)p->rate_large_pct, (long long)p->large_firm_min_headcount);
    fprintf(f, "  裁员率上限：%lld 人及以下 %s%%，以上 %s%%；裁员率口径 %s\r\n", (long long)p->small_unit_max_headcount,
            rb_percent_format(p->small_unit_layoff_cap_permille, 1000, a),
            rb_percent_format(p->layoff_target_permille, 1000, b),
            p->layoff_method == RB_LAYOFF_CLAIMANTS ? "claimants（新增领金人数/平均参保人数）"
                                                    : "december_stock（年末参保人数降幅）");
    fprintf(f, "  足额缴费月数：至少 %lld 个月（%s）；范围：参保人数 ≤ %lld（口径 %s）\r\n", (long long)p->min_full_months,
            p->full_months_rule == RB_FULL_MONTHS_CUMULATIVE ? "cumulative 累计" : "data_year 数据年度内",
            (long long)p->scope_max_headcount, p->headcount_basis == RB_HEADCOUNT_AVERAGE ? "average" : "december");
    fprintf(f, "  税务账户：%s；复核金额：超过 %s 元\r\n\r\n", p->tax_account_allowed ? "允许" : "不允许",
            rb_money_format(p->review_amount, a));

    fprintf(f, "输入文件（导入批次 %lld）\r\n", (long long)s->import_id);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT file, sha256, encoding, rows_read, rows_loaded, rows_rejected, rows_duplicate,"
                           " rows_conflicting FROM import_files WHERE import_id = ? ORDER BY file",
                           -1, &q, NULL) != SQLITE_OK) {
        fclose(f);
        return rb_db_fail(s->db, "reading the import record", err);
    }
    sqlite3_bind_int64(q, 1, s->import_id);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        fprintf(f, "  %s  SHA-256 %s  编码 %s\r\n    读入 %lld = 载入 %lld + 拒收 %lld + 重复 %lld + 冲突 %lld\r\n",
                (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
                (const char *)sqlite3_column_text(q, 2), (long long)sqlite3_column_int64(q, 3),
                (long long)sqlite3_column_int64(q, 4), (long long)sqlite3_column_int64(q, 5),
                (long long)sqlite3_column_int64(q, 6), (long long)sqlite3_column_int64(q, 7));
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        fclose(f);
        return rb_db_fail(s->db, "reading the import record", err);
    }

    fprintf(f, "\r\n决定（共 %lld 家单位）\r\n", (long long)r->firms);
    static const rb_outcome order[] = {RB_OUTCOME_PAY, RB_OUTCOME_REVIEW, RB_OUTCOME_REJECT, RB_OUTCOME_SKIP};
    for (size_t i = 0; i < 4; i++)
        fprintf(f, "  %-6s %-8s %lld\r\n", rb_outcome_code(order[i]), rb_outcome_label(order[i]),
                (long long)r->by_outcome[order[i]]);
    fprintf(f, "\r\n原因（一家单位可有多个原因）\r\n");
    for (int i = 0; i < RB_R_COUNT; i++)
        if (s->reason_counts[i] > 0)
            fprintf(f, "  %-18s %s  %lld\r\n", rb_reason_code((rb_reason)i), rb_reason_label((rb_reason)i),
                    (long long)s->reason_counts[i]);
    fprintf(f, "\r\n导入拒收行（见 exceptions.csv 的 ROW 行）：%lld\r\n", (long long)r->row_errors);

    rb_amount_in_words(r->total, true, words);
    fprintf(f, "\r\n拨付笔数：%lld\r\n拨付总额：%s 元（%s）\r\n", (long long)r->payments, rb_money_format(r->total, a), words);
    fprintf(f, "单笔最大：%s 元\r\n", rb_money_format(r->largest, a));
    fprintf(f, "中位数：%s 元\r\n", rb_money_format(files->report ? files->report->median : 0, a));
    fprintf(f, "\r\n文件：payout.xlsx（拨付明细表，供打印签字）、exceptions.xlsx（人工复核与导入拒收行）、"
               "payout.csv（拨付明细表）、exceptions.csv（人工复核）、decisions.csv（全部决定）、"
               "notice.csv 与 notice.html（公示名单）、report.html（审核报告）、SHA256SUMS（校验：sha256sum -c SHA256SUMS）\r\n");
    return rb_fs_close_synced(f, path, err);
}

static rb_status write_summary(rb_batch_files *files, const rb_batch_summary *s, const char *now, rb_error *err)
{
    char *path = rb_path_joined(files->dir, "summary.txt");
    if (path == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory");
    rb_status st = write_summary_to(files, s, now, err, path);
    free(path);
    return st;
}

typedef struct exceptions_job {
    rb_workbook_batch books;
    rb_status status;
    rb_error error;
} exceptions_job;

static void *exceptions_main(void *arg)
{
    exceptions_job *job = arg;
    prctl(PR_SET_NAME, "rebate-xlsx-exc"); /* as top -H and perf show it */
    job->status = rb_exceptions_book_write(&job->books, &job->error);
    return NULL;
}

rb_status rb_batch_files_finish(rb_batch_files *files, const rb_batch_summary *summary, int64_t *row_errors,
                                rb_error *err)
{
    rb_status st = write_row_errors(files, summary, row_errors, err);
    if (st != RB_OK) {
        rb_batch_files_abandon(files);
        return st;
    }
    st = close_payout(files, summary->result->payments, summary->result->total, err);
    FILE **all[] = {&files->exceptions_file, &files->decisions_file};
    const char *paths[] = {files->exceptions_path, files->decisions_path};
    for (size_t i = 0; i < COUNT(all); i++) {
        FILE *f = *all[i];
        *all[i] = NULL;
        rb_status close_st = rb_fs_close_synced(f, paths[i], err);
        if (st == RB_OK)
            st = close_st;
    }
    /* exceptions.xlsx, from the closed exceptions.csv and checked against
     * the same counts (docs/batch.md, "The workbooks"), on a thread of its
     * own while this one writes the report and the notice (and payout.xlsx's
     * thread finishes its own workbook). */
    const rb_run_result *r = summary->result;
    exceptions_job job = {.books = {.dir = files->dir, .batch_id = files->batch_id,
                                    .policy_year = files->params->policy_year, .as_of = summary->as_of,
                                    .dry_run = summary->dry_run, .payments = r->payments, .total = r->total,
                                    .review_firms = r->by_outcome[RB_OUTCOME_REVIEW], .rejected_rows = *row_errors},
                          .status = RB_OK};
    pthread_t thread;
    bool threaded = st == RB_OK && pthread_create(&thread, NULL, exceptions_main, &job) == 0;
    /* summary.txt, report.html and the notice say the same time. */
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL || strftime(now, sizeof now, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(now, sizeof now, "unknown");
    if (st == RB_OK)
        st = rb_report_prepare(files->report, summary->db, err);
    if (st == RB_OK)
        st = write_summary(files, summary, now, err);
    if (st == RB_OK)
        st = rb_report_write_html(files->report, files->dir, summary, now, err);
    if (st == RB_OK)
        st = rb_notice_write(files->report, files->dir, summary, err);
    if (threaded)
        pthread_join(thread, NULL);
    else if (st == RB_OK) /* no thread: here, after the report */
        job.status = rb_exceptions_book_write(&job.books, &job.error);
    if (st == RB_OK && job.status != RB_OK)
        st = rb_fail(err, job.status, "%s", job.error.message);
    return st;
}

rb_status rb_batch_files_join(rb_batch_files *files, rb_error *err)
{
    rb_payout_book *book = files->payout_book;
    files->payout_book = NULL;
    rb_status st = rb_payout_book_join(book, err);
    if (st == RB_OK)
        rb_batch_files_abandon(files); /* everything is closed: frees the paths and the report */
    return st;
}

/* libcsv callbacks for reading payout.csv back. */
typedef struct payout_reader {
    size_t field;      /* index of the current field in its row */
    int64_t rows;      /* data rows seen (header excluded) */
    rb_fen sum;
    bool header_done;
    bool bad;          /* an amount did not parse */
} payout_reader;

static void payout_field(void *data, size_t len, void *ctx)
{
    payout_reader *r = ctx;
    if (r->header_done && r->field == 9) {
        rb_fen v = 0;
        if (rb_money_parse(data, len, &v) != RB_MONEY_OK || v > RB_FEN_MAX - r->sum)
            r->bad = true;
        else
            r->sum += v;
    }
    r->field++;
}

static void payout_row(int c, void *ctx)
{
    (void)c;
    payout_reader *r = ctx;
    if (r->header_done)
        r->rows++;
    r->header_done = true;
    r->field = 0;
}

rb_status rb_batch_files_read_payout_totals(const char *path, int64_t *rows, rb_fen *sum, char sha[RB_SHA256_HEX],
                                            rb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return rb_fail(err, RB_E_CANTWRITE, "cannot read back '%s': %s", path, strerror(errno));
    struct csv_parser parser;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        fclose(f);
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading back '%s'", path);
    }
    /* The bytes read back are hashed on the way: payout.csv, the largest
     * file of a batch, is read once for its totals and its SHA256SUMS line. */
    rb_sha256 *h = sha != NULL ? rb_sha256_new() : NULL;
    payout_reader r = {0};
    char buf[65536];
    size_t got;
    bool first = true, parse_ok = true, hash_ok = sha == NULL || h != NULL;
    while (parse_ok && (got = fread(buf, 1, sizeof buf, f)) > 0) {
        hash_ok = hash_ok && (h == NULL || rb_sha256_update(h, buf, got));
        const char *p = buf;
        if (first && got >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
            p += 3, got -= 3;
        first = false;
        parse_ok = csv_parse(&parser, p, got, payout_field, payout_row, &r) == got;
    }
    bool read_error = ferror(f) != 0;
    fclose(f);
    parse_ok = parse_ok && csv_fini(&parser, payout_field, payout_row, &r) == 0;
    csv_free(&parser);
    if (h != NULL) {
        hash_ok = hash_ok && parse_ok && !read_error && rb_sha256_finish(h, sha);
        if (!(parse_ok && !read_error))
            rb_sha256_free(h);
    }
    if (read_error || !parse_ok || r.bad)
        return rb_fail(err, RB_E_CANTWRITE, "'%s' does not read back as written", path);
    if (!hash_ok)
        return rb_fail(err, RB_E_INTERNAL, "cannot hash '%s'", path);
    *rows = r.rows;
    *sum = r.sum;
    return RB_OK;
}

const char *const rb_batch_files_required[RB_BATCH_FILES_REQUIRED] = {"decisions.csv", "exceptions.csv", "payout.csv",
                                                                     "summary.txt"};

const char *const rb_batch_files_names[RB_BATCH_FILES] = {
    "decisions.csv", "exceptions.csv", "exceptions.xlsx", "notice.csv", "notice.html",
    "payout.csv",    "payout.xlsx",    "report.html",     "summary.txt"};
