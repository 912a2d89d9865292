/* `rebate status --db DB [--batch ID | --uscc CODE]`: where a batch or a
 * firm's payments stand, for the clerk who is asked (docs/batch-life.md).
 * Chinese with the codes beside; bank accounts masked to their last four
 * digits, as explain shows them. It only reads: like explain it takes no
 * lock and logs no run, so it answers while the nightly job works. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/status_more.h"
#include "cli/opts.h"
#include "rebate/batch.h"
#include "rebate/batches.h"
#include "rebate/db.h"
#include "rebate/money.h"
#include "rebate/date.h"
#include "rebate/notice_dates.h"
#include "rebate/outbox.h"
#include "rebate/workdays.h"
#include "rebate/rules.h"
#include "rebate/strbuf.h"
#include "rebate/uscc.h"

/* How many batches the overview lists. */
#define LATEST_BATCHES 20

static const char status_description[] =
    "Shows where things stand, in Chinese with the state codes beside:\n"
    "  without options   what waits for whom (to approve, from when; to\n"
    "                    reconcile; overdue), oldest first, then the latest\n"
    "                    batches: state, payments, who ran, approved or\n"
    "                    voided them\n"
    "  --batch ID        one batch: its state, who ran, approved or voided it\n"
    "                    and when, its payments counted by state, the total,\n"
    "                    and the transfers the bank returned\n"
    "  --decisions FILE  with --batch: rebuild the batch's decisions.csv from the\n"
    "                    ledger into FILE ('-': standard output) and check it\n"
    "                    against the SHA-256 recorded with the batch\n"
    "  --uscc CODE       one firm: its latest decision and review verdicts for\n"
    "                    every policy year, its payments (reference, batch,\n"
    "                    amount, state, the bank's answer) and their events\n"
    "Bank accounts are shown masked to their last four digits. The database\n"
    "is only read; nothing is written but the FILE of --decisions.\n"
    "\n";

static const char status_footer[] =
    "Exit status: 0 shown; 64 bad option or an invalid code; 65 the database\n"
    "needs rebate migrate, or a rebuilt decisions.csv differs from the one\n"
    "published; 66 no such database or batch; 77 no read access.\n"
    "It opens the database read-only: a member of the group reads it without\n"
    "write access. It first warns when an outbox holds batches this database\n"
    "does not know (an older copy).\n";

static const struct {
    const char *code, *words;
} batch_states[] = {{"published", "已发布待审批"}, {"approved", "已审批"}, {"voided", "已作废"},
                   {"settled", "已结清"}, {"closed", "无付款已关闭"}},
  payment_states[] = {{"published", "已发布待审批"}, {"approved", "已审批待银行处理"}, {"paid", "已到账"},
                      {"returned", "被银行退回"},    {"voided", "已作废"}};

static const char *words_of(const char *code, bool batch)
{
    size_t n = batch ? sizeof batch_states / sizeof batch_states[0] : sizeof payment_states / sizeof payment_states[0];
    for (size_t i = 0; i < n; i++) {
        const char *c = batch ? batch_states[i].code : payment_states[i].code;
        if (strcmp(code, c) == 0)
            return batch ? batch_states[i].words : payment_states[i].words;
    }
    return "未知状态";
}

static const char *text(sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return t ? (const char *)t : "";
}

/* The notice end and due date of a batch, and 逾期 when it is overdue
 * (docs/batch-life.md): one line, or nothing for a batch without them. */
static rb_status print_dates(sqlite3 *db, const char *batch_id, const char *state, int64_t payments, bool inline_mark,
                             rb_error *err)
{
    rb_notice_dates d;
    rb_status st = rb_notice_dates_get(db, batch_id, &d, err);
    if (st != RB_OK || !d.recorded)
        return st;
    char end[32], due[32];
    const char *mark = d.provisional ? "（暂按周末计算）" : "";
    bool overdue = rb_notice_dates_overdue(&d, state, payments, rb_date_today());
    if (inline_mark) {
        if (overdue)
            printf("  逾期 overdue（拨付期限 %s%s）", rb_date_format_zh(d.due_date, due), mark);
        return RB_OK;
    }
    printf("公示截止 notice_end：%s%s    拨付期限 due_date：%s%s%s\n", rb_date_format_zh(d.notice_end, end), mark,
           rb_date_format_zh(d.due_date, due), mark, overdue ? "    逾期 overdue：拨付期限已过仍未审批" : "");
    return RB_OK;
}

static rb_status show_latest(sqlite3 *db, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    rb_status st = RB_OK;
    if (sqlite3_prepare_v2(db,
                           "SELECT batch_id, state, payments, total_fen, created_by, created_at, approved_by,"
                           " approved_at, voided_by, voided_at, (SELECT count(*) FROM batches)"
                           " FROM batches ORDER BY created_at DESC, batch_id DESC LIMIT ?",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "listing the batches", err);
    sqlite3_bind_int(stmt, 1, LATEST_BATCHES);
    int rc, n = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (n++ == 0)
            printf("最近的批次 latest batches（共 %lld 个，列出最近 %d 个）\n", sqlite3_column_int64(stmt, 10),
                   LATEST_BATCHES);
        char total[RB_MONEY_BUFSZ];
        const char *state = text(stmt, 1);
        printf("%s  %s %s  付款 %lld 笔，合计 %s 元  经办 %s（%s）", text(stmt, 0), words_of(state, true), state,
               sqlite3_column_int64(stmt, 2), rb_money_format(sqlite3_column_int64(stmt, 3), total), text(stmt, 4),
               text(stmt, 5));
        if (strcmp(state, "approved") == 0)
            printf("  审批 %s（%s）", text(stmt, 6), text(stmt, 7));
        else if (strcmp(state, "voided") == 0)
            printf("  作废 %s（%s）", text(stmt, 8), text(stmt, 9));
        if ((st = print_dates(db, text(stmt, 0), state, sqlite3_column_int64(stmt, 2), true, err)) != RB_OK)
            break;
        printf("\n");
    }
    if (st == RB_OK && rc != SQLITE_DONE)
        st = rb_db_fail(db, "listing the batches", err);
    else if (n == 0)
        printf("台账中还没有批次 no batches in the ledger\n");
    sqlite3_finalize(stmt);
    return st;
}

static rb_status show_batch(sqlite3 *db, const char *batch_id, rb_error *err)
{
    rb_batch_record b = {0};
    sqlite3_stmt *stmt = NULL;
    char money[RB_MONEY_BUFSZ], masked[RB_ACCOUNT_MASKED_BUFSZ];
    rb_status st = rb_batch_record_load(db, batch_id, &b, err);
    if (st != RB_OK)
        return st;
    printf("批次 batch_id：%s\n", b.batch_id);
    printf("政策年度 policy_year：%d    业务日期 as_of：%s\n", (int)b.policy_year, b.as_of);
    printf("状态 state：%s %s\n", words_of(b.state, true), b.state);
    if ((st = print_dates(db, b.batch_id, b.state, b.payments, false, err)) != RB_OK) {
        rb_batch_record_free(&b);
        return st;
    }
    printf("经办 created_by：%s（%s）\n", b.created_by, b.created_at);
    if (b.approved_by[0] != '\0')
        printf("审批 approved_by：%s（%s）\n", b.approved_by, b.approved_at);
    if (b.voided_by[0] != '\0')
        printf("作废 voided_by：%s（%s），原因 void_reason：%s\n", b.voided_by, b.voided_at, b.void_reason);
    printf("批次文件夹 folder：%s\n", b.folder);
    if (strcmp(b.state, "approved") == 0) {
        rb_strbuf xml = RB_STRBUF_INIT;
        struct stat sb;
        if (!rb_path_join(&xml, b.folder, "bank/payout.xml")) {
            st = rb_fail(err, RB_E_INTERNAL, "out of memory");
            goto out;
        }
        if (stat(xml.buf, &sb) == 0)
            printf("银行文件 bank_file：%s\n", xml.buf);
        else
            printf("银行文件 bank_file：缺失 missing（%s）；再次运行 rebate approve 可补齐\n", xml.buf);
        rb_strbuf_release(&xml);
    }
    printf("评估企业 firms：%lld    付款 payments：%lld 笔，合计 %s 元\n", (long long)b.firms, (long long)b.payments,
           rb_money_format(b.total, money));

    printf("按付款状态 by payment state：\n");
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*), coalesce(sum(amount_fen), 0) FROM payments WHERE batch_id = ? AND state = ?",
                           -1, &stmt, NULL) != SQLITE_OK) {
        st = rb_db_fail(db, "counting the payments of the batch", err);
        goto out;
    }
    for (size_t i = 0; i < sizeof payment_states / sizeof payment_states[0]; i++) {
        sqlite3_reset(stmt);
        sqlite3_bind_text(stmt, 1, b.batch_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, payment_states[i].code, -1, SQLITE_STATIC);
        if (sqlite3_step(stmt) != SQLITE_ROW) {
            st = rb_db_fail(db, "counting the payments of the batch", err);
            goto out;
        }
        printf("  %s %s：%lld 笔，%s 元\n", payment_states[i].words, payment_states[i].code,
               sqlite3_column_int64(stmt, 0), rb_money_format(sqlite3_column_int64(stmt, 1), money));
    }
    sqlite3_finalize(stmt);
    stmt = NULL;

    if (sqlite3_prepare_v2(db,
                           "SELECT p.reference, p.uscc, p.amount_fen, p.account_name, p.bank_account, a.reason"
                           " FROM payments p LEFT JOIN bank_answers a ON a.reference = p.reference"
                           " WHERE p.batch_id = ? AND p.state = 'returned' ORDER BY p.uscc",
                           -1, &stmt, NULL) != SQLITE_OK) {
        st = rb_db_fail(db, "listing the returned payments", err);
        goto out;
    }
    sqlite3_bind_text(stmt, 1, b.batch_id, -1, SQLITE_STATIC);
    int rc, n = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (n++ == 0)
            printf("被银行退回的付款 returned payments：\n");
        printf("  %s  %s  %s 元  户名 %s  账号 %s  原因 reason：%s\n", text(stmt, 0), text(stmt, 1),
               rb_money_format(sqlite3_column_int64(stmt, 2), money), text(stmt, 3),
               rb_account_masked(text(stmt, 4), masked), sqlite3_column_type(stmt, 5) == SQLITE_NULL ? "（未说明）" : text(stmt, 5));
    }
    if (rc != SQLITE_DONE)
        st = rb_db_fail(db, "listing the returned payments", err);
out:
    sqlite3_finalize(stmt);
    rb_batch_record_free(&b);
    return st;
}

static rb_status show_firm(sqlite3 *db, const char *uscc, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    char money[RB_MONEY_BUFSZ], masked[RB_ACCOUNT_MASKED_BUFSZ];
    rb_status st = RB_OK;
    if (sqlite3_prepare_v2(db,
                           "SELECT p.policy_year, p.reference, p.batch_id, p.amount_fen, p.state, p.state_at,"
                           " p.account_name, p.bank_account, a.reason"
                           " FROM payments p LEFT JOIN bank_answers a ON a.reference = p.reference"
                           " WHERE p.uscc = ? ORDER BY p.policy_year, p.attempt",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the firm's payments", err);
    sqlite3_bind_text(stmt, 1, uscc, -1, SQLITE_STATIC);
    printf("企业 uscc：%s\n", uscc);
    int rc, n = 0, year = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        n++;
        if (sqlite3_column_int(stmt, 0) != year) {
            year = sqlite3_column_int(stmt, 0);
            printf("%d 年度 policy_year %d：\n", year, year);
        }
        const char *state = text(stmt, 4);
        printf("  %s  批次 %s  %s 元  %s %s（%s）  户名 %s  账号 %s", text(stmt, 1), text(stmt, 2),
               rb_money_format(sqlite3_column_int64(stmt, 3), money), words_of(state, false), state, text(stmt, 5),
               text(stmt, 6), rb_account_masked(text(stmt, 7), masked));
        if (strcmp(state, "returned") == 0)
            printf("  退回原因 reason：%s", sqlite3_column_type(stmt, 8) == SQLITE_NULL ? "（未说明）" : text(stmt, 8));
        printf("\n");
    }
    if (rc != SQLITE_DONE)
        st = rb_db_fail(db, "reading the firm's payments", err);
    else if (n == 0)
        printf("台账中没有该企业的付款 no payments in the ledger\n");
    sqlite3_finalize(stmt);
    return st;
}

/* A copy of the database (same ledger, older state) answers with what it
 * knew when it was copied; the outboxes its batches went to (and the
 * config's, when given) tell whether batches were published since that it
 * does not know. Warned about first. */
static rb_status warn_about_outboxes(sqlite3 *db, const char *config_outbox, rb_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT ?1 WHERE ?1 IS NOT NULL UNION"
                           " SELECT rtrim(rtrim(folder, replace(folder, '/', '')), '/') FROM batches"
                           " WHERE instr(folder, '/') > 0",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_bind_text(q, 1, config_outbox, -1, SQLITE_STATIC) != SQLITE_OK) {
        sqlite3_finalize(q);
        return rb_db_fail(db, "listing the outboxes", err);
    }
    rb_status st = RB_OK;
    int rc;
    while (st == RB_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *outbox = (const char *)sqlite3_column_text(q, 0);
        rb_outbox_report report;
        rb_error ignored = {0};
        /* An outbox this account cannot read is simply not looked at. */
        if (outbox == NULL || outbox[0] == '\0' || rb_outbox_inspect(db, outbox, &report, &ignored) != RB_OK)
            continue;
        if (report.other_ledger)
            printf("警告 warning: 发件箱 %s 属于另一个台账 the outbox belongs to another ledger\n", outbox);
        if (report.unknown_batches > 0)
            printf("警告 warning: 发件箱 %s 中有 %d 个本台账不知道的批次（最新 %s）：此数据库可能是旧的副本，"
                   "以下情况可能不是最新的 the outbox holds %d batch(es) this ledger does not know (newest %s): this "
                   "database may be an older copy, and what follows may be out of date\n",
                   outbox, report.unknown_batches, report.newest_unknown, report.unknown_batches,
                   report.newest_unknown);
    }
    if (st == RB_OK && rc != SQLITE_DONE)
        st = rb_db_fail(db, "listing the outboxes", err);
    sqlite3_finalize(q);
    return st;
}

/* --decisions FILE: the batch's decisions.csv rebuilt from the ledger. The
 * report goes to standard error when the file goes to standard output. */
static rb_status rebuild_decisions(sqlite3 *db, const char *batch_id, const char *path, rb_error *err)
{
    bool to_stdout = strcmp(path, "-") == 0;
    FILE *out = to_stdout ? stdout : fopen(path, "wb");
    if (out == NULL)
        return rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': %s", path, strerror(errno));
    rb_decisions_check check;
    rb_status st = rb_batch_rebuild_decisions(db, batch_id, out, to_stdout ? "standard output" : path, &check, err);
    if (!to_stdout && fclose(out) != 0 && st == RB_OK)
        st = rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': %s", path, strerror(errno));
    if (st != RB_OK)
        return st;
    FILE *report = to_stdout ? stderr : stdout;
    fprintf(report, "重建 rebuilt decisions.csv：%lld 家企业 firms，SHA-256 %s\n", (long long)check.firms,
            check.rebuilt_sha);
    if (check.recorded_sha[0] == '\0') {
        fprintf(report, "该批次未记录 decisions.csv 的 SHA-256（早于按变更记录决定）no SHA-256 recorded%s\n",
                check.names_missing ? "；台账中无企业名称，名称列为空 names not in the ledger" : "");
        return RB_OK;
    }
    if (!check.matches)
        return rb_fail(err, RB_E_DATA, "the decisions.csv rebuilt for batch %s has SHA-256 %s, not the %s recorded",
                       batch_id, check.rebuilt_sha, check.recorded_sha);
    fprintf(report, "与发布时记录的 SHA-256 一致 matches the one recorded\n");
    return RB_OK;
}

int cmd_status(int argc, char **argv)
{
    const char *batch_id = NULL, *uscc_text = NULL, *decisions_path = NULL;
    const rb_option options[] = {
        {"batch", "ID", RB_OPT_STRING, &batch_id, false, "one batch", NULL},
        {"uscc", "CODE", RB_OPT_STRING, &uscc_text, false, "one firm's payments", NULL},
        {"decisions", "FILE", RB_OPT_STRING, &decisions_path, false,
         "with --batch: rebuild its decisions.csv from the ledger into FILE ('-': standard output)", NULL},
        RB_OPT_END,
    };
    const rb_command_line line = {.name = "status", .synopsis = "--db DB [--batch ID [--decisions FILE] | --uscc CODE]",
                                  .description = status_description, .footer = status_footer, .options = options,
                                  .db_help = "the rebate database (must exist)"};
    rb_session s;
    int status = rb_session_start(&s, &line, argc, argv);
    if (status >= 0)
        return status;
    if (batch_id != NULL && uscc_text != NULL) {
        rb_session_end(&s, RB_OK, NULL);
        return rb_usage_error("status", "give --batch or --uscc, not both");
    }
    if (decisions_path != NULL && batch_id == NULL) {
        rb_session_end(&s, RB_OK, NULL);
        return rb_usage_error("status", "--decisions needs --batch");
    }
    char uscc[RB_USCC_LEN + 1];
    rb_status st = uscc_text != NULL ? rb_uscc_parse(uscc_text, uscc, &s.err) : RB_OK;
    /* It only reads: no lock, no run logged, so it answers while the
     * nightly job works. */
    if (st == RB_OK && (st = rb_session_open(&s, RB_DB_READONLY, false, NULL, NULL)) == RB_OK &&
        (st = warn_about_outboxes(s.db, s.config_path != NULL ? s.config.outbox : NULL, &s.err)) == RB_OK) {
        if (decisions_path != NULL) {
            st = rebuild_decisions(s.db, batch_id, decisions_path, &s.err);
        } else if (batch_id != NULL) {
            if ((st = show_batch(s.db, batch_id, &s.err)) == RB_OK)
                st = rb_status_events(s.db, batch_id, NULL, &s.err);
        } else if (uscc_text != NULL) {
            if ((st = rb_status_firm_decisions(s.db, uscc, &s.err)) == RB_OK &&
                (st = show_firm(s.db, uscc, &s.err)) == RB_OK)
                st = rb_status_events(s.db, NULL, uscc, &s.err);
        } else if ((st = rb_status_waiting(s.db, &s.err)) == RB_OK) {
            st = show_latest(s.db, &s.err);
        }
    }
    return rb_session_end(&s, st, NULL);
}
