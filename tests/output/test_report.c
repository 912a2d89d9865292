/* Tests of the review report and the public notice (src/output/report_*.c,
 * notice_files.c) and of the notice end and due date of a batch, through
 * `rebate run`: the dates across the National Day week and a missing year,
 * notice.csv's exact rows and order, escaping of hostile names, the pages
 * parsed by libxml2's HTML parser, no address of the network in them, and
 * the changes since the previous batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

#include "rebate/db.h"
#include "rebate/uscc.h"
#include "output/report.h"
#include "test_support.h"

/* Five firms for policy year 2022 (data year 2021, rate 90%), all paid
 * 3240.00 at first (5 staff, 12 full months of 300.00), in three districts;
 * names that must print as text. */
#define FIRMS 5
static char codes[FIRMS][19];
static const char *names[FIRMS] = {"<script>alert(1)</script>", "\"&'公司", "鞍山市海城市乙商贸有限公司",
                                   "鞍山市海城市甲商贸有限公司", "鞍山市千山区丙餐饮有限公司"};
static const char *regions[FIRMS] = {"210302", "210302", "210381", "210381", "210311"};

static char db_path[4200], out_dir[4400];
static const char *work;

static void make_codes(void)
{
    for (int i = 0; i < FIRMS; i++) {
        char first17[18];
        snprintf(first17, sizeof first17, "91%sMA00000%02d", regions[i], i + 1);
        snprintf(codes[i], sizeof codes[i], "%s%c", first17, rb_uscc_check_char(first17));
    }
}

/* The snapshot; firm 4's amount is `paid4` fen a month (15000: paid in full). */
static void write_snapshot(sqlite3 *db, long long paid4)
{
    ts_snapshot *s = ts_snapshot_begin(db);
    for (int i = 0; i < FIRMS; i++) {
        ts_snapshot_exec(s,
                         "INSERT INTO registration VALUES (%Q, %Q, '存续', 'active', '2015-03-01', NULL, %Q,"
                         " 'F5191', 0, %d)",
                         codes[i], names[i], regions[i], i + 2);
        ts_snapshot_exec(s,
                         "INSERT INTO insured_units VALUES (%Q, 'U%d', %Q, '2015-04-01', '正常', 'active', %Q,"
                         " '中国工商银行鞍山分行', '6222020708001234567', '对公', '102223000011', %d)",
                         codes[i], i, names[i], names[i], i + 2);
        for (int p = 0; p <= 12; p++) {
            int period = p == 0 ? 202012 : 202100 + p;
            long long paid = (i == 4 && period == 202106) ? paid4 : 15000;
            ts_snapshot_month(s, codes[i], period, 5, 15000, paid, 15000, 15000, 0, 2 + i * 13 + p);
        }
    }
    ts_snapshot_publish(s, db);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
}

static void make_db(void)
{
    make_codes();
    work = strdup(ts_tmpdir());
    snprintf(db_path, sizeof db_path, "%s/rebate.db", work);
    snprintf(out_dir, sizeof out_dir, "%s/out", work);
    sqlite3 *db = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_db_init(db_path, &db, &err), RB_OK);
    exec_sql(db, "INSERT INTO imports VALUES (1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 'x', 'auto')");
    exec_sql(db, "INSERT INTO import_files VALUES (1, 'contributions.csv', 'ab', 'utf-8', 65, 65, 0, 0, 0)");
    write_snapshot(db, 14999); /* firm 4 in arrears: REJECT at first */
    rb_db_close(db);
}

static void drop_db(void)
{
    ts_rmtree(work);
    free((void *)work);
}

static void run_ok(const char *as_of, const char *notice_days)
{
    char *err = NULL;
    int rc = ts_run_rebate(NULL, &err, "run", "--db", db_path, "--year", "2022", "--out", out_dir, "--as-of", as_of,
                           "--by", "tester", "--notice-days", notice_days, (char *)NULL);
    ck_assert_msg(rc == 0, "rebate run exited %d: %s", rc, err ? err : "");
    free(err);
}

static char *batch_file(const char *batch, const char *name)
{
    char path[8400];
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, batch, name);
    return ts_read_file(path, NULL);
}

static char *db_text(const char *sql)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    char *v = strdup(sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "(null)");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* docs/report.md's example: as of 2020-09-28 with 5 days of notice, the notice
 * ends 2020-10-12 and the payment is due 2020-10-19, in the ledger, in
 * summary.txt and on both pages. */
START_TEST(notice_and_due_dates_across_national_day)
{
    make_db();
    run_ok("2020-09-28", "5");
    const char *batch = "2022-20200928-001";
    char *v = db_text("SELECT notice_end || ' ' || due_date || ' ' || notice_days || ' ' || dates_provisional"
                      " FROM batches");
    ck_assert_str_eq(v, "2020-10-12 2020-10-19 5 0");
    free(v);
    char *summary = batch_file(batch, "summary.txt");
    ck_assert_ptr_nonnull(strstr(summary, "公示截止：2020年10月12日（业务日期后第 5 个工作日）"));
    ck_assert_ptr_nonnull(strstr(summary, "拨付期限：2020年10月19日"));
    ck_assert_ptr_null(strstr(summary, "暂按周末计算"));
    ck_assert_ptr_nonnull(strstr(summary, "中位数：3240.00 元"));
    char *report = batch_file(batch, "report.html");
    ck_assert_ptr_nonnull(strstr(report, "<td id=\"notice-end\">2020年10月12日"));
    ck_assert_ptr_nonnull(strstr(report, "<td id=\"due-date\">2020年10月19日"));
    char *notice = batch_file(batch, "notice.html");
    ck_assert_ptr_nonnull(strstr(notice, "<title>2022年失业保险稳岗返还（免申即享）拟拨付单位名单公示</title>"));
    ck_assert_ptr_nonnull(strstr(notice, "公示期：<b id=\"notice-period\">2020年9月28日至2020年10月12日</b>（5 个工作日）"));
    free(summary);
    free(report);
    free(notice);
    drop_db();
}
END_TEST

/* A year with no calendar (2099): counted Monday to Friday, marked
 * provisional in the ledger and wherever the dates are shown. */
START_TEST(missing_year_is_provisional)
{
    make_db();
    run_ok("2099-12-30", "3");
    const char *batch = "2022-20991230-001";
    /* 2099-12-30 is a Wednesday: 12-31, 2100-01-01 (Friday), 01-04. */
    char *v = db_text("SELECT notice_end || ' ' || due_date || ' ' || dates_provisional FROM batches");
    ck_assert_str_eq(v, "2100-01-04 2100-01-11 1");
    free(v);
    char *summary = batch_file(batch, "summary.txt");
    ck_assert_ptr_nonnull(strstr(summary, "公示截止：2100年1月4日（暂按周末计算）"));
    char *report = batch_file(batch, "report.html");
    ck_assert_ptr_nonnull(strstr(report, "暂按周末计算"));
    char *notice = batch_file(batch, "notice.html");
    ck_assert_ptr_nonnull(strstr(notice, "暂按周末计算"));
    free(summary);
    free(report);
    free(notice);
    drop_db();
}
END_TEST

/* notice.csv: by district code, then name (in the order of Unicode code
 * points: 乙 U+4E59 before 甲 U+7532); one row per payment; no total, no
 * account; listed in SHA256SUMS with the other files. */
START_TEST(notice_csv_rows_and_order)
{
    make_db();
    run_ok("2026-11-27", "0");
    const char *batch = "2022-20261127-001";
    char *csv = batch_file(batch, "notice.csv");
    char expected[4096];
    snprintf(expected, sizeof expected,
             "\xEF\xBB\xBF序号,单位名称,统一社会信用代码,所属区县,返还金额（元）\r\n"
             "1,\"\"\"&'公司\",%s,铁东区,3240.00\r\n"
             "2,<script>alert(1)</script>,%s,铁东区,3240.00\r\n"
             "3,鞍山市海城市乙商贸有限公司,%s,海城市,3240.00\r\n"
             "4,鞍山市海城市甲商贸有限公司,%s,海城市,3240.00\r\n",
             codes[1], codes[0], codes[2], codes[3]);
    ck_assert_str_eq(csv, expected);
    ck_assert_ptr_null(strstr(csv, "6222020708001234567"));
    char *sums = batch_file(batch, "SHA256SUMS");
    static const char *const files[] = {"decisions.csv", "exceptions.csv", "notice.csv", "notice.html",
                                        "payout.csv", "report.html", "summary.txt"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char line[64];
        snprintf(line, sizeof line, "  %s\n", files[i]);
        ck_assert_msg(strstr(sums, line) != NULL, "%s not in SHA256SUMS", files[i]);
    }
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "cd '%s/%s' && sha256sum --quiet --strict -c SHA256SUMS", out_dir, batch);
    ck_assert_int_eq(system(cmd), 0);
    /* notice_days 0: the notice ends on the as-of date itself. */
    char *notice = batch_file(batch, "notice.html");
    ck_assert_ptr_nonnull(strstr(notice, "2026年11月27日至2026年11月27日</b>。"));
    ck_assert_ptr_nonnull(strstr(notice, "<th colspan=\"4\">合计 4 家</th><th class=\"n\">12960.00</th>"));
    free(notice);
    free(sums);
    free(csv);
    drop_db();
}
END_TEST

/* libxml2's HTML parser: the errors it reports, other than its reports of
 * tags it does not know (svg and its children, HTML5 elements). */
static int parse_errors;
static char first_error[512];

#if LIBXML_VERSION >= 21200
#define XML_ERROR_CONST const /* the handler's type changed in libxml2 2.12 */
#else
#define XML_ERROR_CONST
#endif

static void on_error(void *ctx, XML_ERROR_CONST xmlError *error)
{
    (void)ctx;
    if (error->code == XML_HTML_UNKNOWN_TAG)
        return;
    if (parse_errors++ == 0)
        snprintf(first_error, sizeof first_error, "line %d: %s", error->line, error->message);
}

static void check_page(const char *html)
{
    parse_errors = 0;
    first_error[0] = '\0';
    htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
    ck_assert_ptr_nonnull(ctxt);
    xmlSetStructuredErrorFunc(NULL, on_error);
    htmlDocPtr doc = htmlCtxtReadMemory(ctxt, html, (int)strlen(html), "page.html", "UTF-8", HTML_PARSE_NONET);
    ck_assert_ptr_nonnull(doc);
    ck_assert_msg(parse_errors == 0, "%d errors, the first %s", parse_errors, first_error);
    xmlFreeDoc(doc);
    htmlFreeParserCtxt(ctxt);
    xmlSetStructuredErrorFunc(NULL, NULL);
    /* Self-contained: no address of the network, no script, nothing loaded. */
    ck_assert_ptr_null(strstr(html, "http://"));
    ck_assert_ptr_null(strstr(html, "https://"));
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_null(strstr(html, "<img"));
    ck_assert_ptr_null(strstr(html, "<link"));
    ck_assert_ptr_null(strstr(html, "url("));
    ck_assert_ptr_null(strstr(html, "@import"));
}

START_TEST(pages_escape_names_and_parse)
{
    make_db();
    run_ok("2026-11-27", "5");
    const char *batch = "2022-20261127-001";
    static const char *const pages[] = {"report.html", "notice.html"};
    for (size_t i = 0; i < 2; i++) {
        char *html = batch_file(batch, pages[i]);
        check_page(html);
        ck_assert_msg(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL, "%s", pages[i]);
        ck_assert_msg(strstr(html, "&quot;&amp;&#39;公司") != NULL, "%s", pages[i]);
        free(html);
    }
    /* The report's control totals are summary.txt's. */
    char *report = batch_file(batch, "report.html");
    ck_assert_ptr_nonnull(strstr(report, "<td class=\"n\" id=\"total-count\">4</td>"));
    ck_assert_ptr_nonnull(strstr(report, "<td class=\"n\" id=\"total-yuan\">12960.00</td>"));
    ck_assert_ptr_nonnull(strstr(report, "<td class=\"n\" id=\"largest\">3240.00</td>"));
    ck_assert_ptr_nonnull(strstr(report, "<td class=\"n\" id=\"median\">3240.00</td>"));
    ck_assert_ptr_nonnull(strstr(report, "人民币壹万贰仟玖佰陆拾元整"));
    /* Districts by name with their codes; the arrears firm under its reason. */
    ck_assert_ptr_nonnull(strstr(report, "铁东区 210302"));
    ck_assert_ptr_nonnull(strstr(report, "海城市 210381"));
    ck_assert_ptr_nonnull(strstr(report, "ARREARS"));
    ck_assert_ptr_nonnull(strstr(report, "@bottom-center{content:\"第 \" counter(page)"));
    ck_assert_ptr_nonnull(strstr(report, "tr{break-inside:avoid"));
    char *summary = batch_file(batch, "summary.txt");
    ck_assert_ptr_nonnull(strstr(summary, "拨付笔数：4\r\n拨付总额：12960.00 元（人民币壹万贰仟玖佰陆拾元整）"));
    free(summary);
    free(report);
    drop_db();
}
END_TEST

/* Firm 4's arrears paid, then a run on as_of. */
static void pay_arrears_and_run(const char *as_of)
{
    sqlite3 *db = ts_open_db(db_path);
    write_snapshot(db, 15000);
    sqlite3_close(db);
    run_ok(as_of, "5");
}

/* batch's report names the first batch (2022-20261127-001) as the
 * previous one and lists one change since it: firm 4, REJECT for its
 * arrears then, a new payment of 3240.00 now. */
static void assert_firm4_paid_since_first(const char *batch)
{
    char *report = batch_file(batch, "report.html");
    ck_assert_ptr_nonnull(strstr(report, "上一批次：<span class=\"code\">2022-20261127-001</span>"));
    ck_assert_ptr_nonnull(strstr(report, "新增拨付 <b>1</b> 笔，共 3240.00 元"));
    ck_assert_ptr_nonnull(strstr(report, "结果或原因有变化的单位共 <b>1</b> 家"));
    char row[256];
    snprintf(row, sizeof row, "<td class=\"code\">%s</td><td>鞍山市千山区丙餐饮有限公司</td><td><span class=\"code\">REJECT</span>",
             codes[4]);
    const char *at = strstr(report, row);
    ck_assert_msg(at != NULL, "%s: the changed firm's row is missing", batch);
    const char *row_end = strstr(at, "</tr>");
    const char *arrears = strstr(at, "<span class=\"code\">ARREARS</span> 欠缴");
    const char *now_paid = strstr(at, "</td><td><span class=\"code\">PAY</span> 拨付");
    ck_assert(row_end != NULL && arrears != NULL && now_paid != NULL && arrears < now_paid && now_paid < row_end);
    free(report);
}

/* The second batch of the year lists what changed since the first: the
 * firm whose arrears were paid is a new payment, REJECT -> PAY; the firms
 * paid before and now skipped as already paid do not count as changes. */
START_TEST(changes_since_previous_batch)
{
    make_db();
    run_ok("2026-11-27", "5");
    char *first = batch_file("2022-20261127-001", "report.html");
    ck_assert_ptr_nonnull(strstr(first, "这是 2022 政策年度的第一个批次"));
    free(first);
    pay_arrears_and_run("2026-11-28");
    assert_firm4_paid_since_first("2022-20261128-001");
    drop_db();
}
END_TEST

/* The previous batch named is the latest not voided, and the changes are
 * counted against it: the firm paid by the voided batch is, in the batch
 * after, still a new payment and a REJECT -> PAY since the named one,
 * although the ledger's row for it compares with the voided batch. */
START_TEST(changes_skip_a_voided_batch)
{
    make_db();
    run_ok("2026-11-27", "5");
    pay_arrears_and_run("2026-11-28");
    char *void_err = NULL;
    int rc = ts_run_rebate(NULL, &void_err, "void", "--db", db_path, "--batch", "2022-20261128-001", "--by", "tester",
                           "--reason", "test", (char *)NULL);
    ck_assert_msg(rc == 0, "void exited %d: %s", rc, void_err ? void_err : "");
    free(void_err);
    run_ok("2026-11-29", "5");
    assert_firm4_paid_since_first("2022-20261129-001");
    drop_db();
}
END_TEST

/* A payment whose firm has no registration row is placed by positions 3-8
 * of its code; an unknown code prints as such. */
START_TEST(district_from_uscc_without_registration)
{
    make_db();
    sqlite3 *db = ts_open_db(db_path);
    rb_report report;
    rb_report_init(&report);
    rb_params params;
    memset(&params, 0, sizeof params);
    rb_firm_input firm;
    memset(&firm, 0, sizeof firm);
    rb_decision decision;
    memset(&decision, 0, sizeof decision);
    decision.outcome = RB_OUTCOME_PAY;
    decision.measures.amount = 100;
    snprintf(firm.uscc, sizeof firm.uscc, "%s", "91210323MA0000009X");
    ck_assert(rb_report_add(&report, &params, &firm, &decision, "岫岩的单位"));
    snprintf(firm.uscc, sizeof firm.uscc, "%s", "91990101MA0000009X");
    decision.measures.amount = 300;
    ck_assert(rb_report_add(&report, &params, &firm, &decision, "某单位"));
    snprintf(firm.uscc, sizeof firm.uscc, "%s", codes[2]);
    decision.measures.amount = 200;
    ck_assert(rb_report_add(&report, &params, &firm, &decision, names[2]));
    rb_error err = {0};
    ck_assert_int_eq(rb_report_prepare(&report, db, &err), RB_OK);
    ck_assert_int_eq((int)report.n_districts, 3);
    ck_assert_str_eq(report.districts[0].code, "210323");
    ck_assert_str_eq(report.districts[0].name, "岫岩满族自治县");
    ck_assert_str_eq(report.districts[1].code, "210381");
    ck_assert_str_eq(report.districts[2].code, "990101");
    ck_assert_ptr_null(report.districts[2].name);
    ck_assert_int_eq(report.median, 200);
    rb_report_release(&report);
    sqlite3_close(db);
    drop_db();
}
END_TEST

/* A config naming the test's database and outbox and the fund's account,
 * which approve needs for the bank file; returns its path. */
static const char *write_approve_config(void)
{
    static char path[4500];
    char text[16000];
    snprintf(text, sizeof text,
             "[rebate]\ndatabase = %s\ninbox = %s/inbox\noutbox = %s\narchive = %s/archive\npolicy_year = 2022\n"
             "encoding = auto\nfund_account_name = 鞍山市失业保险基金专户\nfund_account = 2102020000000000001\n"
             "fund_bank_name = 中国工商银行股份有限公司鞍山分行\nfund_bank_code = 102223000000\n",
             db_path, work, out_dir, work);
    ts_write_file(work, "approve.ini", text, (size_t)-1);
    snprintf(path, sizeof path, "%s/approve.ini", work);
    return path;
}

/* approve before the notice end (by the real date) is refused, naming the
 * date; a batch past its due date and not approved is overdue in status
 * until it is approved. The dates are far from today either way. */
START_TEST(approve_waits_for_the_notice_and_overdue_in_status)
{
    make_db();
    run_ok("2099-12-30", "3");
    char *out = NULL, *err = NULL;
    int rc = ts_run_rebate(&out, &err, "approve", "--config", write_approve_config(), "--batch", "2022-20991230-001", "--by", "王会计",
                           (char *)NULL);
    ck_assert_msg(rc == 64, "approve exited %d: %s", rc, err);
    ck_assert_msg(strstr(err, "under public notice until 2100-01-04 (公示截止 2100年1月4日，暂按周末计算)") != NULL, "%s",
                  err);
    free(out);
    free(err);
    /* status says from when finance may approve it. */
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "status", "--db", db_path, (char *)NULL), 0);
    ck_assert_msg(strstr(out, "公示中，2100年1月4日起可审批") != NULL, "%s", out);
    free(out);
    drop_db();

    make_db();
    run_ok("2020-09-28", "5");
    const char *batch = "2022-20200928-001";
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "status", "--db", db_path, (char *)NULL), 0);
    ck_assert_msg(strstr(out, "逾期 overdue（拨付期限 2020年10月19日）") != NULL, "%s", out);
    free(out);
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "status", "--db", db_path, "--batch", batch, (char *)NULL), 0);
    ck_assert_msg(strstr(out, "公示截止 notice_end：2020年10月12日    拨付期限 due_date：2020年10月19日    逾期 overdue") != NULL,
                  "%s", out);
    free(out);
    rc = ts_run_rebate(NULL, &err, "approve", "--config", write_approve_config(), "--batch", batch, "--by", "王会计", (char *)NULL);
    ck_assert_msg(rc == 0, "approve exited %d: %s", rc, err);
    free(err);
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "status", "--db", db_path, "--batch", batch, (char *)NULL), 0);
    ck_assert_ptr_null(strstr(out, "逾期"));
    ck_assert_ptr_nonnull(strstr(out, "拨付期限 due_date：2020年10月19日"));
    free(out);
    drop_db();
}
END_TEST

/* run --config takes the config's notice_days (5 by default) unless
 * --notice-days is given: an option given wins over the file. */
START_TEST(run_with_config_takes_its_notice_days)
{
    make_db();
    const char *config = write_approve_config();
    char *err = NULL;
    int rc = ts_run_rebate(NULL, &err, "run", "--config", config, "--as-of", "2020-09-28", "--by", "tester",
                           (char *)NULL);
    ck_assert_msg(rc == 0, "run exited %d: %s", rc, err);
    free(err);
    sqlite3 *db = ts_open_db(db_path);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM batches WHERE batch_id = '2022-20200928-001'"
                                      " AND notice_end = '2020-10-12' AND due_date = '2020-10-19'"),
                     1);
    sqlite3_close(db);
    drop_db();

    make_db();
    config = write_approve_config();
    rc = ts_run_rebate(NULL, &err, "run", "--config", config, "--as-of", "2020-09-28", "--by", "tester",
                       "--notice-days", "0", (char *)NULL);
    ck_assert_msg(rc == 0, "run exited %d: %s", rc, err);
    free(err);
    db = ts_open_db(db_path);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM batches WHERE batch_id = '2022-20200928-001'"
                                      " AND notice_end = '2020-09-28'"),
                     1);
    sqlite3_close(db);
    drop_db();
}
END_TEST

/* The nightly log names every batch overdue, each night until approved. */
START_TEST(nightly_logs_overdue_batches)
{
    make_db();
    run_ok("2020-09-28", "5");
    char config[20000], inbox[4500];
    snprintf(inbox, sizeof inbox, "%s/inbox", work);
    char mk[4600];
    snprintf(mk, sizeof mk, "mkdir -p '%s'", inbox);
    ck_assert_int_eq(system(mk), 0);
    snprintf(config, sizeof config,
             "[rebate]\ndatabase = %s\ninbox = %s\noutbox = %s\narchive = %s/archive\npolicy_year = 2022\n"
             "encoding = auto\n",
             db_path, inbox, out_dir, work);
    ts_write_file(work, "rebate.ini", config, (size_t)-1);
    char path[4500];
    snprintf(path, sizeof path, "%s/rebate.ini", work);
    char *out = NULL, *err = NULL;
    int rc = ts_run_rebate(&out, &err, "nightly", "--config", path, (char *)NULL);
    ck_assert_msg(rc == 0, "nightly exited %d: %s", rc, err);
    ck_assert_msg(strstr(out, "overdue  batch 2022-20200928-001 is overdue (逾期): not approved by its due date "
                              "2020-10-19") != NULL,
                  "%s", out);
    free(out);
    free(err);
    drop_db();
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, notice_and_due_dates_across_national_day);
    tcase_add_test(tc, missing_year_is_provisional);
    tcase_add_test(tc, notice_csv_rows_and_order);
    tcase_add_test(tc, pages_escape_names_and_parse);
    tcase_add_test(tc, changes_since_previous_batch);
    tcase_add_test(tc, changes_skip_a_voided_batch);
    tcase_add_test(tc, district_from_uscc_without_registration);
    tcase_add_test(tc, approve_waits_for_the_notice_and_overdue_in_status);
    tcase_add_test(tc, run_with_config_takes_its_notice_days);
    tcase_add_test(tc, nightly_logs_overdue_batches);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(report_suite)
