/* The parts of `rebate status` about the audit trail and the queues
 * (status_more.h): Chinese for the clerks, with the codes beside. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/status_more.h"
#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/events.h"
#include "rebate/money.h"
#include "rebate/workdays.h"

static const char *text(sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return t ? (const char *)t : "";
}

/* A batch's payments change state together (a batch of a million firms
 * publishes half a million at once): in a batch's view, consecutive payment
 * events alike but for the payment are one line with their count, the first
 * and the last; `status --uscc` shows a firm's own. */
typedef struct event_group {
    int64_t first_id, last_id, count;
    char first[64], last[64];
    char at[40], from[32], to[32], by[160], login[64], why[512];
} event_group;

typedef struct event_printer {
    int n;
    bool collapse;           /* the view of a batch */
    event_group g;           /* the payment events not printed yet (count 0: none) */
} event_printer;

/* One line of the list: ids ("#12" or "#12-#20"), then what happened
 * ("payment 2024-…-1", or the group's count and first and last). */
static void put_line(event_printer *p, const char *ids, const char *at, const char *what, const char *from_state,
                     const char *to_state, const char *by, const char *login, const char *why)
{
    if (p->n++ == 0)
        printf("事件记录 events（只增不改 append-only）：\n");
    printf("  %s  %s  %s  %s → %s  经办 by %s（登录 login %s）", ids, at, what,
           from_state ? from_state : "（新建 new）", to_state, by, login);
    if (why != NULL && why[0] != '\0')
        printf("  说明 why：%s", why);
    printf("\n");
}

static void print_line(event_printer *p, int64_t event_id, const char *at, const char *kind, const char *subject,
                       const char *from_state, const char *to_state, const char *by, const char *login,
                       const char *why)
{
    char ids[32], what[512];
    snprintf(ids, sizeof ids, "#%lld", (long long)event_id);
    snprintf(what, sizeof what, "%s %s", kind, subject);
    put_line(p, ids, at, what, from_state, to_state, by, login, why);
}

static void flush_group(event_printer *p)
{
    event_group *g = &p->g;
    const char *from = g->from[0] ? g->from : NULL;
    if (g->count == 1) {
        print_line(p, g->first_id, g->at, "payment", g->first, from, g->to, g->by, g->login, g->why);
    } else if (g->count > 1) {
        char ids[64], what[256];
        snprintf(ids, sizeof ids, "#%lld-#%lld", (long long)g->first_id, (long long)g->last_id);
        snprintf(what, sizeof what, "payment ×%lld（%s … %s）", (long long)g->count, g->first, g->last);
        put_line(p, ids, g->at, what, from, g->to, g->by, g->login, g->why);
    }
    g->count = 0;
}

static bool same_group(const event_group *g, const char *at, const char *from_state, const char *to_state,
                       const char *by, const char *login, const char *why)
{
    return g->count > 0 && strcmp(g->at, at) == 0 && strcmp(g->from, from_state ? from_state : "") == 0 &&
           strcmp(g->to, to_state) == 0 && strcmp(g->by, by) == 0 && strcmp(g->login, login) == 0 &&
           strcmp(g->why, why ? why : "") == 0;
}

static rb_status print_event(void *ctx, int64_t event_id, const char *at, const char *kind, const char *subject,
                             const char *from_state, const char *to_state, const char *by, const char *login,
                             const char *why)
{
    event_printer *p = ctx;
    event_group *g = &p->g;
    /* Texts longer than a group keeps are printed on their own line. */
    bool groupable = p->collapse && strcmp(kind, "payment") == 0 && strlen(subject) < sizeof g->first &&
                     strlen(at) < sizeof g->at && strlen(from_state ? from_state : "") < sizeof g->from &&
                     strlen(to_state) < sizeof g->to && strlen(by) < sizeof g->by && strlen(login) < sizeof g->login &&
                     strlen(why ? why : "") < sizeof g->why;
    if (groupable && same_group(g, at, from_state, to_state, by, login, why)) {
        g->count++;
        g->last_id = event_id;
        snprintf(g->last, sizeof g->last, "%s", subject);
        return RB_OK;
    }
    flush_group(p);
    if (!groupable) {
        print_line(p, event_id, at, kind, subject, from_state, to_state, by, login, why);
        return RB_OK;
    }
    g->count = 1;
    g->first_id = g->last_id = event_id;
    snprintf(g->first, sizeof g->first, "%s", subject);
    snprintf(g->last, sizeof g->last, "%s", subject);
    snprintf(g->at, sizeof g->at, "%s", at);
    snprintf(g->from, sizeof g->from, "%s", from_state ? from_state : "");
    snprintf(g->to, sizeof g->to, "%s", to_state);
    snprintf(g->by, sizeof g->by, "%s", by);
    snprintf(g->login, sizeof g->login, "%s", login);
    snprintf(g->why, sizeof g->why, "%s", why ? why : "");
    return RB_OK;
}

rb_status rb_status_events(sqlite3 *db, const char *batch_id, const char *uscc, rb_error *err)
{
    event_printer p = {.collapse = batch_id != NULL};
    rb_status st = rb_events_each(db, batch_id, uscc, print_event, &p, err);
    if (st == RB_OK)
        flush_group(&p);
    if (st == RB_OK && p.n == 0)
        printf("事件记录 events：无 none\n");
    return st;
}

rb_status rb_status_waiting(sqlite3 *db, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT b.batch_id, b.state, b.created_at, b.created_by, b.payments, b.total_fen,"
                           " (SELECT count(*) FROM payments p WHERE p.batch_id = b.batch_id AND p.state = 'approved'),"
                           " b.approved_by, b.approved_at, b.notice_end"
                           " FROM batches b WHERE b.state = 'published' OR b.state = 'approved'"
                           " ORDER BY b.created_at, b.batch_id",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "listing what waits", err);
    int rc, n = 0;
    char money[RB_MONEY_BUFSZ];
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (n++ == 0)
            printf("待办 waiting（最早的在前 oldest first）：\n");
        if (strcmp(text(stmt, 1), "published") == 0) {
            /* Approval waits for the end of the public notice, by the real date. */
            int32_t notice_end = 0;
            char end_zh[32], from[96] = "";
            if (rb_date_parse(text(stmt, 9), strlen(text(stmt, 9)), &notice_end) && rb_date_today() < notice_end)
                snprintf(from, sizeof from, "，公示中，%s起可审批 approvable from then",
                         rb_date_format_zh(notice_end, end_zh));
            printf("  待审批 to approve（财务 finance，经办人 %s 以外的人）：%s  付款 %lld 笔，合计 %s 元，发布于 %s%s\n",
                   text(stmt, 3), text(stmt, 0), sqlite3_column_int64(stmt, 4),
                   rb_money_format(sqlite3_column_int64(stmt, 5), money), text(stmt, 2), from);
        } else
            printf("  待对账 to reconcile（银行回单 the bank's answer）：%s  尚无结果 %lld 笔 of %lld，审批 %s（%s）\n",
                   text(stmt, 0), sqlite3_column_int64(stmt, 6), sqlite3_column_int64(stmt, 4), text(stmt, 7),
                   text(stmt, 8));
    }
    rb_status st = RB_OK;
    if (rc != SQLITE_DONE)
        st = rb_db_fail(db, "listing what waits", err);
    else if (n == 0)
        printf("待办 waiting：无 nothing waits\n");
    sqlite3_finalize(stmt);
    return st;
}

/* True when the code is anywhere: a snapshot row (loaded or rejected), a
 * decision, a payment or a verdict. */
static rb_status known_code(sqlite3 *db, const char *uscc, bool *known, rb_error *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT EXISTS (SELECT 1 FROM registration WHERE uscc = ?1)"
                           " OR EXISTS (SELECT 1 FROM insured_units WHERE uscc = ?1)"
                           " OR EXISTS (SELECT 1 FROM contribution_months WHERE uscc = ?1)"
                           " OR EXISTS (SELECT 1 FROM row_errors WHERE uscc = ?1)"
                           " OR EXISTS (SELECT 1 FROM decisions WHERE policy_year IN"
                           "            (SELECT DISTINCT policy_year FROM batches) AND uscc = ?1)"
                           " OR EXISTS (SELECT 1 FROM payments WHERE uscc = ?1)"
                           " OR EXISTS (SELECT 1 FROM review_verdicts WHERE uscc = ?1)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "looking up the firm", err);
    sqlite3_bind_text(stmt, 1, uscc, -1, SQLITE_STATIC);
    rb_status st = RB_OK;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        *known = sqlite3_column_int(stmt, 0) != 0;
    else
        st = rb_db_fail(db, "looking up the firm", err);
    sqlite3_finalize(stmt);
    return st;
}

rb_status rb_status_firm_decisions(sqlite3 *db, const char *uscc, rb_error *err)
{
    bool known = false;
    rb_status st = known_code(db, uscc, &known, err);
    if (st != RB_OK)
        return st;
    if (!known)
        return rb_fail(err, RB_E_NOINPUT,
                       "%s is in no extract of the last import and nowhere in the ledger (no decision, payment or "
                       "review): check the code",
                       uscc);
    sqlite3_stmt *stmt = NULL;
    /* The latest decision per policy year. The ledger records a decision
     * when it changes (docs/batch.md, "Decisions kept as changes"), so the
     * latest row is the decision since that batch; the key (policy_year,
     * uscc, batch_no) finds it without a scan. */
    if (sqlite3_prepare_v2(db,
                           "SELECT d.policy_year, d.outcome, d.reasons, d.amount_fen, d.batch_id, b.created_at"
                           " FROM decisions d JOIN batches b ON b.batch_id = d.batch_id"
                           " WHERE d.policy_year IN (SELECT DISTINCT policy_year FROM batches) AND d.uscc = ?1"
                           "  AND d.batch_no = (SELECT max(d2.batch_no) FROM decisions d2"
                           "                    WHERE d2.policy_year = d.policy_year AND d2.uscc = ?1)"
                           " ORDER BY d.policy_year",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the firm's decisions", err);
    sqlite3_bind_text(stmt, 1, uscc, -1, SQLITE_STATIC);
    int rc, n = 0;
    char money[RB_MONEY_BUFSZ];
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (n++ == 0)
            printf("最近的决定 latest decision per policy year：\n");
        printf("  %d 年度：%s%s%s  金额 %s 元  记录于批次 recorded by %s（%s）\n", sqlite3_column_int(stmt, 0), text(stmt, 1),
               text(stmt, 2)[0] ? " " : "", text(stmt, 2), rb_money_format(sqlite3_column_int64(stmt, 3), money),
               text(stmt, 4), text(stmt, 5));
    }
    if (rc != SQLITE_DONE)
        st = rb_db_fail(db, "reading the firm's decisions", err);
    else if (n == 0)
        printf("最近的决定 decisions：尚无批次评估过该企业 no batch decided it yet\n");
    sqlite3_finalize(stmt);
    if (st != RB_OK)
        return st;
    if (sqlite3_prepare_v2(db,
                           "SELECT verdict_id, policy_year, verdict, reasons, amount_fen, by_whom, at, note"
                           " FROM review_verdicts WHERE uscc = ? ORDER BY policy_year, verdict_id",
                           -1, &stmt, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the firm's review verdicts", err);
    sqlite3_bind_text(stmt, 1, uscc, -1, SQLITE_STATIC);
    n = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (n++ == 0)
            printf("复核结论 review verdicts（后者取代前者 the later supersedes）：\n");
        printf("  #%lld  %d 年度  %s %s  覆盖 covers %s，%s 元  %s（%s）  说明 note：%s\n",
               sqlite3_column_int64(stmt, 0), sqlite3_column_int(stmt, 1),
               strcmp(text(stmt, 2), "accept") == 0 ? "复核通过" : "复核不予返还", text(stmt, 2), text(stmt, 3),
               rb_money_format(sqlite3_column_int64(stmt, 4), money), text(stmt, 5), text(stmt, 6), text(stmt, 7));
    }
    if (rc != SQLITE_DONE)
        st = rb_db_fail(db, "reading the firm's review verdicts", err);
    sqlite3_finalize(stmt);
    return st;
}
