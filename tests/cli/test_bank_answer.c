/* Tests of the bank's answer through the built program (src/import/
 * bank_answer*.c, src/life/reconcile.c): ISO 20022 pain.002.001.03 reports
 * written here (transaction statuses, a group-level rejection, pending
 * codes), CSV as a Chinese bank portal or Excel writes it (GBK, Chinese
 * headers and words), answers refused whole with every problem named,
 * hostile files refused unread, reading twice, settling, and the walk from
 * a returned transfer to the next run paying exactly the returned firms. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rebate/uscc.h"
#include "test_support.h"

/* Policy year 2022 (data year 2021, rate 90 %): three firms, each 12 months
 * of 150.00 + 150.00 -> 3240.00. The batch: 3 payments, 9720.00. */
#define N_FIRMS 3
#define BATCH1 "2022-20261127-001"
static char codes[N_FIRMS][19];
static const char *names[N_FIRMS] = {"鞍山市铁东区晨光商贸有限公司", "鞍山市铁西区红旗五金有限公司",
                                     "鞍山市立山区远航物流有限公司"};
static char work[4096], db_path[4200], out_dir[4200], in_dir[4200], config_path[4200];
static char *out_text, *err_text;

static void write_extracts(const char *account1, const char *account2)
{
    char text[32768];
    int n = snprintf(text, sizeof text, "uscc,name,status,established_on,region_code,industry_code\n");
    for (int i = 0; i < N_FIRMS; i++)
        n += snprintf(text + n, sizeof text - n, "%s,%s,存续,2015-03-01,210302,F5191\n", codes[i], names[i]);
    ts_write_file(in_dir, "registration.csv", text, (size_t)-1);
    const char *accounts[N_FIRMS] = {"6222020708001234567", account1, account2};
    n = snprintf(text, sizeof text,
                 "uscc,unit_name,insured_on,ui_status,account_name,bank_name,bank_account,bank_code\n");
    for (int i = 0; i < N_FIRMS; i++)
        n += snprintf(text + n, sizeof text - n, "%s,%s,2015-04-01,正常,%s,中国工商银行鞍山分行,%s,102223000011\n",
                      codes[i], names[i], names[i], accounts[i]);
    ts_write_file(in_dir, "insured_units.csv", text, (size_t)-1);
    n = snprintf(text, sizeof text, "uscc,period,insured_count,employer_due,employer_paid,employee_due,employee_paid\n");
    for (int i = 0; i < N_FIRMS; i++)
        for (int p = 0; p <= 12; p++)
            n += snprintf(text + n, sizeof text - n, "%s,%d,5,150.00,150.00,150.00,150.00\n", codes[i],
                          p == 0 ? 202012 : 202100 + p);
    ts_write_file(in_dir, "contributions.csv", text, (size_t)-1);
    if (access(db_path, F_OK) != 0) /* the first import of the test */
        ts_init_db(db_path);
    char *err = NULL;
    int rc = ts_run_rebate(NULL, &err, "import", "--db", db_path, in_dir, (char *)NULL);
    ck_assert_msg(rc == 0, "import exited %d: %s", rc, err);
    free(err);
}

static void setup(void)
{
    for (int i = 0; i < N_FIRMS; i++) {
        char first17[18];
        snprintf(first17, sizeof first17, "91210302MA00002%02d", i + 1);
        snprintf(codes[i], sizeof codes[i], "%s%c", first17, rb_uscc_check_char(first17));
    }
    snprintf(work, sizeof work, "%s", ts_tmpdir());
    snprintf(db_path, sizeof db_path, "%s/rebate.db", work);
    snprintf(out_dir, sizeof out_dir, "%s/out", work);
    snprintf(in_dir, sizeof in_dir, "%s/in", work);
    snprintf(config_path, sizeof config_path, "%s/rebate.ini", work);
    mkdir(in_dir, 0750);
    ts_write_file(work, "rebate.ini",
                  "[rebate]\ndatabase = rebate.db\ninbox = in\noutbox = out\narchive = archive\npolicy_year = 2022\n"
                  "encoding = auto\nfund_account_name = 鞍山市失业保险基金专户\nfund_account = 2102020000000000001\n"
                  "fund_bank_name = 中国工商银行股份有限公司鞍山分行\nfund_bank_code = 102223000000\n",
                  (size_t)-1);
    write_extracts("0401020309000123", "0401020309000456");
}

static void teardown(void)
{
    free(out_text);
    free(err_text);
    out_text = err_text = NULL;
    ts_rmtree(work);
}

/* Runs rebate (arguments NULL-terminated), keeping its output in out_text
 * and err_text. */
#define rebate(...) ts_rerun_rebate(&out_text, &err_text, __VA_ARGS__)

static void run_batch(const char *as_of)
{
    int rc = rebate("run", "--db", db_path, "--year", "2022", "--out", out_dir, "--as-of", as_of, "--by", "开票员",
                    NULL);
    ck_assert_msg(rc == 0, "run: %s", err_text);
}

static void approve(const char *batch)
{
    int rc = rebate("approve", "--config", config_path, "--batch", batch, "--by", "王会计", NULL);
    ck_assert_msg(rc == 0, "approve: %s", err_text);
}

static int reconcile(const char *batch, const char *name)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", work, name);
    return rebate("reconcile", "--db", db_path, "--batch", batch, "--by", "王出纳", path, NULL);
}

static long long db_int(const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    sqlite3 *db = ts_open_db(db_path);
    long long v = ts_query_int(db, sql);
    sqlite3_close(db);
    return v;
}

static const char *ref(int firm, int attempt)
{
    static char buf[4][64];
    static int next;
    char *out = buf[next++ % 4];
    snprintf(out, 64, "2022-%s-%d", codes[firm], attempt);
    return out;
}

/* A pain.002.001.03 report: the group status (NULL: none given) and one
 * transaction per "reference status reason" item (reason "-" for none). */
static void write_pain002(const char *name, const char *group_status, int n, const char *const *items)
{
    char text[16384];
    int len = snprintf(text, sizeof text,
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.03\">\n"
                       "  <CstmrPmtStsRpt>\n"
                       "    <GrpHdr><MsgId>ICBC-20261201-0001</MsgId><CreDtTm>2026-12-01T09:00:00</CreDtTm></GrpHdr>\n"
                       "    <OrgnlGrpInfAndSts>\n"
                       "      <OrgnlMsgId>" BATCH1 "</OrgnlMsgId>\n"
                       "      <OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId>\n"
                       "%s%s%s"
                       "    </OrgnlGrpInfAndSts>\n",
                       group_status ? "      <GrpSts>" : "", group_status ? group_status : "",
                       group_status ? "</GrpSts><StsRsnInf><Rsn><Cd>AM05</Cd></Rsn></StsRsnInf>\n" : "");
    if (n > 0)
        len += snprintf(text + len, sizeof text - len,
                        "    <OrgnlPmtInfAndSts>\n      <OrgnlPmtInfId>" BATCH1 "</OrgnlPmtInfId>\n");
    for (int i = 0; i < n; i++) {
        char reference[64], status[16], reason[64];
        ck_assert_int_eq(sscanf(items[i], "%63s %15s %63s", reference, status, reason), 3);
        len += snprintf(text + len, sizeof text - len,
                        "      <TxInfAndSts>\n"
                        "        <OrgnlEndToEndId>%s</OrgnlEndToEndId>\n"
                        "        <TxSts>%s</TxSts>\n",
                        reference, status);
        if (strcmp(reason, "-") != 0)
            len += snprintf(text + len, sizeof text - len,
                            "        <StsRsnInf><Rsn><Cd>%s</Cd></Rsn><AddtlInf>账号错误</AddtlInf></StsRsnInf>\n",
                            reason);
        len += snprintf(text + len, sizeof text - len, "      </TxInfAndSts>\n");
    }
    if (n > 0)
        len += snprintf(text + len, sizeof text - len, "    </OrgnlPmtInfAndSts>\n");
    snprintf(text + len, sizeof text - len, "  </CstmrPmtStsRpt>\n</Document>\n");
    ts_write_file(work, name, text, (size_t)-1);
}

/* ---- the walk of issue 10: a returned transfer paid again, once ---- */

START_TEST(two_returned_payments_are_paid_by_the_next_run_once)
{
    run_batch("2026-11-27");
    approve(BATCH1);
    const char *items[] = {NULL, NULL, NULL};
    char a[128], b[128], c[128];
    snprintf(a, sizeof a, "%s ACSC -", ref(0, 1));
    snprintf(b, sizeof b, "%s RJCT AC01", ref(1, 1));
    snprintf(c, sizeof c, "%s RJCT AC04", ref(2, 1));
    items[0] = a, items[1] = b, items[2] = c;
    write_pain002("pain002.xml", "PART", 3, items);
    ck_assert_msg(reconcile(BATCH1, "pain002.xml") == 0, "%s", err_text);
    ck_assert_msg(strstr(out_text, "pain.002.001.03") != NULL, "%s", out_text);
    ck_assert_msg(strstr(out_text, "recorded 1 paid and 2 returned now") != NULL, "%s", out_text);
    ck_assert_msg(strstr(out_text, "the batch is settled") != NULL, "%s", out_text);
    ck_assert_msg(strstr(out_text, "退回 returned: 2 笔 payments, 合计 total 6480.00 元 yuan") != NULL, "%s", out_text);
    ck_assert_msg(strstr(out_text, "原因 reason: AC01 账号错误") != NULL, "%s", out_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM batches WHERE state = 'settled' AND settled_at IS NOT NULL"), 1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM events WHERE kind = 'payment' AND to_state = 'returned'"
                            " AND by_whom = '王出纳'"), 2);
    /* Twice: exit 0, nothing recorded, also on a settled batch. */
    long long events = db_int("SELECT count(*) FROM events");
    ck_assert_int_eq(reconcile(BATCH1, "pain002.xml"), 0);
    ck_assert_msg(strstr(out_text, "nothing changed") != NULL, "%s", out_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM events"), events);
    ck_assert_int_eq(db_int("SELECT count(*) FROM bank_answers"), 3);
    /* Same accounts: TRANSFER_RETURNED, no payment; the batch is closed. */
    run_batch("2026-11-28");
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE batch_id = '2022-20261128-001'"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM batches WHERE batch_id = '2022-20261128-001' AND state = 'closed'"),
                     1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM decisions WHERE batch_id = '2022-20261128-001'"
                            " AND reasons = 'TRANSFER_RETURNED'"), 2);
    /* The accounts fixed: the next run pays exactly those two, attempt 2. */
    write_extracts("0401020309000999", "0401020309000888");
    run_batch("2026-11-29");
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE batch_id = '2022-20261129-001'"), 2);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE batch_id = '2022-20261129-001'"
                            " AND reference IN ('%s', '%s')", ref(1, 2), ref(2, 2)), 2);
    /* ... and once. */
    run_batch("2026-11-30");
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE batch_id = '2022-20261130-001'"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE state <> 'returned'"), 3);
}
END_TEST

START_TEST(group_rejection_returns_every_payment)
{
    run_batch("2026-11-27");
    approve(BATCH1);
    write_pain002("rjct.xml", "RJCT", 0, NULL);
    ck_assert_msg(reconcile(BATCH1, "rjct.xml") == 0, "%s", err_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE state = 'returned'"), 3);
    ck_assert_int_eq(db_int("SELECT count(*) FROM bank_answers WHERE reason = 'AM05'"), 3);
    ck_assert_int_eq(db_int("SELECT count(*) FROM batches WHERE state = 'settled'"), 1);
}
END_TEST

START_TEST(pending_codes_leave_the_payment_approved)
{
    run_batch("2026-11-27");
    approve(BATCH1);
    static const char *const pending[] = {"ACTC", "ACCP", "ACSP", "ACWC", "PDNG"};
    for (size_t i = 0; i < sizeof pending / sizeof pending[0]; i++) {
        char a[128], b[128];
        snprintf(a, sizeof a, "%s %s -", ref(0, 1), pending[i]);
        snprintf(b, sizeof b, "%s ACCC -", ref(1, 1));
        const char *items[] = {a, b};
        write_pain002("pending.xml", NULL, 2, items);
        ck_assert_msg(reconcile(BATCH1, "pending.xml") == 0, "%s: %s", pending[i], err_text);
        ck_assert_msg(strstr(out_text, "处理中 pending: 1 笔") != NULL, "%s", out_text);
        ck_assert_msg(strstr(out_text, "未答复 unanswered: 1 笔") != NULL, "%s", out_text);
    }
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE state = 'approved'"), 2);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE state = 'paid'"), 1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM batches WHERE state = 'approved'"), 1);
    /* An answer of pending statuses only says so, records nothing. */
    char only[256];
    snprintf(only, sizeof only, "reference,status\n%s,PDNG\n", ref(2, 1));
    ts_write_file(work, "only_pending.csv", only, (size_t)-1);
    ck_assert_msg(reconcile(BATCH1, "only_pending.csv") == 0, "%s", err_text);
    ck_assert_msg(strstr(out_text, "no final status in it, nothing recorded (1 pending, 2 payments still open)") !=
                      NULL,
                  "%s", out_text);
    /* A final status after a pending one. */
    char a[128];
    snprintf(a, sizeof a, "%s ACSC -", ref(0, 1));
    const char *items[] = {a};
    write_pain002("final.xml", NULL, 1, items);
    ck_assert_int_eq(reconcile(BATCH1, "final.xml"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE state = 'paid'"), 2);
}
END_TEST

/* Converts UTF-8 text to GBK with iconv(1), as Excel on a Chinese Windows saves it. */
static void write_gbk(const char *name, const char *utf8)
{
    ts_write_file(work, "utf8.tmp", utf8, (size_t)-1);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "iconv -f UTF-8 -t GBK '%s/utf8.tmp' > '%s/%s'", work, work, name);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(gbk_csv_with_chinese_headers_is_reconciled)
{
    run_batch("2026-11-27");
    approve(BATCH1);
    char text[2048];
    snprintf(text, sizeof text,
             "序号,支付编号,收款户名,金额,处理结果,失败原因\r\n"
             "1,%s,%s,3240.00,已到账,\r\n"
             "2,%s,%s,3240.00,退票,户名与账号不符\r\n"
             "3,%s,%s,3240.00,交易成功,\r\n",
             ref(0, 1), names[0], ref(1, 1), names[1], ref(2, 1), names[2]);
    write_gbk("回单.csv", text);
    ck_assert_msg(reconcile(BATCH1, "回单.csv") == 0, "%s", err_text);
    ck_assert_msg(strstr(out_text, "CSV (gb18030)") != NULL, "%s", out_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE state = 'paid'"), 2);
    ck_assert_int_eq(db_int("SELECT count(*) FROM bank_answers WHERE status = 'returned' AND reason = '户名与账号不符'"
                            " AND line = 3"),
                     1);
    /* English headers, ISO codes, a BOM. */
    run_batch("2026-11-28"); /* nothing to pay: closed */
    ck_assert_int_eq(db_int("SELECT count(*) FROM batches WHERE state = 'closed'"), 1);
}
END_TEST

START_TEST(an_answer_with_problems_is_refused_whole_naming_each)
{
    run_batch("2026-11-27");
    approve(BATCH1);
    char text[2048];
    snprintf(text, sizeof text,
             "\xEF\xBB\xBFreference,status,reason,amount\r\n"
             "%s,ACSC,,3240.00\r\n"
             "2022-91210302MA0000009X-1,RJCT,AC01,3240.00\r\n"
             "%s,RJCT,AC01,3240.01\r\n"
             "%s,paid,,\r\n"
             "%s,returned,,\r\n",
             ref(0, 1), ref(1, 1), ref(2, 1), ref(2, 1));
    ts_write_file(work, "bad.csv", text, (size_t)-1);
    ck_assert_int_eq(reconcile(BATCH1, "bad.csv"), 65);
    ck_assert_msg(strstr(err_text, "refused whole, nothing was recorded (3 problems)") != NULL, "%s", err_text);
    ck_assert_msg(strstr(err_text, "line 3: reference '2022-91210302MA0000009X-1' is no payment") != NULL, "%s",
                  err_text);
    ck_assert_msg(strstr(err_text, "line 4: payment ") != NULL && strstr(err_text, "is 3240.00 yuan, the answer says "
                                                                                   "3240.01") != NULL,
                  "%s", err_text);
    ck_assert_msg(strstr(err_text, "is answered returned here and paid on line 5") != NULL, "%s", err_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM bank_answers"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE state = 'approved'"), 3);
    /* A status that contradicts a final one recorded. */
    snprintf(text, sizeof text, "reference,status\n%s,ACSC\n", ref(0, 1));
    ts_write_file(work, "paid.csv", text, (size_t)-1);
    ck_assert_int_eq(reconcile(BATCH1, "paid.csv"), 0);
    snprintf(text, sizeof text, "reference,status\n%s,RJCT\n", ref(0, 1));
    ts_write_file(work, "rjct.csv", text, (size_t)-1);
    ck_assert_int_eq(reconcile(BATCH1, "rjct.csv"), 65);
    ck_assert_msg(strstr(err_text, "is recorded as paid (from 'paid.csv' line 2)") != NULL, "%s", err_text);
    /* A status rebate does not know is no "not yet": refused, not pending. */
    snprintf(text, sizeof text, "reference,status\n%s,FAIL\n", ref(1, 1));
    ts_write_file(work, "fail.csv", text, (size_t)-1);
    ck_assert_int_eq(reconcile(BATCH1, "fail.csv"), 65);
    ck_assert_msg(strstr(err_text, "status 'FAIL' is none of") != NULL, "%s", err_text);
    /* Rows of empty cells, as a spreadsheet leaves them, are no lines. */
    snprintf(text, sizeof text, "reference,status,reason\r\n%s,RJCT,AC01 账号错误\r\n,,\r\n , ,\r\n", ref(1, 1));
    ts_write_file(work, "trailing.csv", text, (size_t)-1);
    ck_assert_msg(reconcile(BATCH1, "trailing.csv") == 0, "%s", err_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE state = 'returned'"), 1);
    /* A cell a spreadsheet would run. */
    snprintf(text, sizeof text, "reference,status,reason\n%s,RJCT,=HYPERLINK(\"http://x\")\n", ref(1, 1));
    ts_write_file(work, "formula.csv", text, (size_t)-1);
    ck_assert_int_eq(reconcile(BATCH1, "formula.csv"), 65);
    ck_assert_msg(strstr(err_text, "formula") != NULL, "%s", err_text);
    /* A NUL byte. */
    snprintf(text, sizeof text, "reference,status\n%s,RJ", ref(1, 1));
    size_t len = strlen(text);
    memcpy(text + len, "\0CT\n", 4);
    ts_write_file(work, "nul.csv", text, len + 4);
    ck_assert_int_eq(reconcile(BATCH1, "nul.csv"), 65);
    /* A line of 2 MB. */
    char *huge = malloc(2 * 1024 * 1024 + 64);
    ck_assert_ptr_nonnull(huge);
    int n = snprintf(huge, 64, "reference,status\n%s,", ref(1, 1));
    memset(huge + n, 'A', 2 * 1024 * 1024);
    memcpy(huge + n + 2 * 1024 * 1024, "\n", 2);
    ts_write_file(work, "huge.csv", huge, (size_t)-1);
    free(huge);
    ck_assert_int_eq(reconcile(BATCH1, "huge.csv"), 65);
    ck_assert_int_eq(db_int("SELECT count(*) FROM bank_answers"), 2); /* paid.csv and trailing.csv */
}
END_TEST

/* A symlink to a good answer, XML or CSV, is refused before anything is
 * read; the file itself, named, is reconciled. */
START_TEST(a_symlinked_answer_is_refused_in_either_format)
{
    run_batch("2026-11-27");
    approve(BATCH1);
    char items[N_FIRMS][96];
    const char *xml[N_FIRMS];
    for (int i = 0; i < N_FIRMS; i++) {
        snprintf(items[i], sizeof items[i], "%s ACSC -", ref(i, 1));
        xml[i] = items[i];
    }
    write_pain002("answer.xml", NULL, N_FIRMS, xml);
    char csv[1024];
    snprintf(csv, sizeof csv, "reference,status,reason\n%s,paid,\n%s,paid,\n%s,paid,\n", ref(0, 1), ref(1, 1),
             ref(2, 1));
    ts_write_file(work, "answer.csv", csv, (size_t)-1);
    const char *answers[] = {"answer.xml", "answer.csv"};
    for (int i = 0; i < 2; i++) {
        char target[4400], link[4400];
        snprintf(target, sizeof target, "%s/%s", work, answers[i]);
        snprintf(link, sizeof link, "%s/link-%s", work, answers[i]);
        ck_assert_int_eq(symlink(target, link), 0);
        ck_assert_int_eq(reconcile(BATCH1, link + strlen(work) + 1), 66);
        ck_assert_msg(strstr(err_text, "it is a symlink, which is not followed") != NULL &&
                          strstr(err_text, "nothing was recorded") != NULL,
                      "%s", err_text);
        ck_assert_int_eq(db_int("SELECT count(*) FROM bank_answers"), 0);
        ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE state = 'approved'"), 3);
    }
    ck_assert_msg(reconcile(BATCH1, "answer.xml") == 0, "%s", err_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE state = 'paid'"), 3);
}
END_TEST

START_TEST(hostile_xml_is_refused_unread)
{
    run_batch("2026-11-27");
    approve(BATCH1);
    /* An external entity naming a local file, and one naming a URL. */
    char text[4096];
    snprintf(text, sizeof text,
             "<?xml version=\"1.0\"?>\n<!DOCTYPE Document [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
             "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.03\"><CstmrPmtStsRpt>"
             "<OrgnlPmtInfAndSts><TxInfAndSts><OrgnlEndToEndId>&x;</OrgnlEndToEndId><TxSts>ACSC</TxSts>"
             "</TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>\n");
    ts_write_file(work, "xxe.xml", text, (size_t)-1);
    ck_assert_int_eq(reconcile(BATCH1, "xxe.xml"), 65);
    ck_assert_msg(strstr(err_text, "DTD") != NULL && strstr(err_text, "root:") == NULL, "%s", err_text);
    snprintf(text, sizeof text,
             "<?xml version=\"1.0\"?>\n<!DOCTYPE Document SYSTEM \"http://127.0.0.1:9/pain.dtd\">\n"
             "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.03\"/>\n");
    ts_write_file(work, "url.xml", text, (size_t)-1);
    ck_assert_int_eq(reconcile(BATCH1, "url.xml"), 65);
    /* A billion laughs. */
    int len = snprintf(text, sizeof text, "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">");
    for (int i = 1; i < 10; i++) {
        char prev[16];
        snprintf(prev, sizeof prev, i == 1 ? "lol" : "lol%d", i - 1);
        len += snprintf(text + len, sizeof text - len, "<!ENTITY lol%d \"", i);
        for (int k = 0; k < 10; k++)
            len += snprintf(text + len, sizeof text - len, "&%s;", prev);
        len += snprintf(text + len, sizeof text - len, "\">");
    }
    snprintf(text + len, sizeof text - len, "]>\n<lolz>&lol9;</lolz>\n");
    ts_write_file(work, "bomb.xml", text, (size_t)-1);
    ck_assert_int_eq(reconcile(BATCH1, "bomb.xml"), 65);
    /* Nesting 100000 deep. */
    size_t depth = 100000;
    char *deep = malloc(depth * 7 + 256);
    ck_assert_ptr_nonnull(deep);
    size_t at = (size_t)sprintf(deep, "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.03\">");
    for (size_t i = 0; i < depth; i++)
        at += (size_t)sprintf(deep + at, "<a>");
    for (size_t i = 0; i < depth; i++)
        at += (size_t)sprintf(deep + at, "</a>");
    sprintf(deep + at, "</Document>\n");
    ts_write_file(work, "deep.xml", deep, (size_t)-1);
    free(deep);
    ck_assert_int_eq(reconcile(BATCH1, "deep.xml"), 65);
    /* Larger than the cap: refused unread (a sparse file, read at once). */
    char big[4400];
    snprintf(big, sizeof big, "%s/big.xml", work);
    FILE *f = fopen(big, "w");
    ck_assert_ptr_nonnull(f);
    fputs("<Document>", f);
    ck_assert_int_eq(ftruncate(fileno(f), 65L * 1024 * 1024), 0);
    fclose(f);
    ck_assert_int_eq(reconcile(BATCH1, "big.xml"), 65);
    ck_assert_msg(strstr(err_text, "it was not read") != NULL, "%s", err_text);
    /* Not a pain.002 at all. */
    ts_write_file(work, "other.xml", "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\"/>",
                  (size_t)-1);
    ck_assert_int_eq(reconcile(BATCH1, "other.xml"), 65);
    ck_assert_msg(strstr(err_text, "not an ISO 20022 pain.002.001.03") != NULL, "%s", err_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM bank_answers"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM events WHERE kind = 'payment' AND to_state <> 'approved'"
                            " AND to_state <> 'published'"), 0);
}
END_TEST

static Suite *bank_answer_suite(void)
{
    Suite *s = suite_create("cli/bank_answer");
    TCase *tc = tcase_create("bank_answer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, two_returned_payments_are_paid_by_the_next_run_once);
    tcase_add_test(tc, group_rejection_returns_every_payment);
    tcase_add_test(tc, pending_codes_leave_the_payment_approved);
    tcase_add_test(tc, gbk_csv_with_chinese_headers_is_reconciled);
    tcase_add_test(tc, an_answer_with_problems_is_refused_whole_naming_each);
    tcase_add_test(tc, a_symlinked_answer_is_refused_in_either_format);
    tcase_add_test(tc, hostile_xml_is_refused_unread);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(bank_answer_suite)
