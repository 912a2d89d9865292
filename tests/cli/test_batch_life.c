/* Tests of a batch's life after publication through the built program
 * (src/cli/cmd_{approve,void,reconcile,status}.c, src/store/batch_life.c):
 * approval and its bank folder, the four-eyes rule, refusals of a changed
 * folder, voiding and paying again, the bank's answer and what the next run
 * makes of a returned transfer, status, and a crash at each step. The
 * snapshot is loaded with `rebate import` from extracts written here. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "rebate/lock.h"
#include "rebate/sha256.h"
#include "rebate/uscc.h"
#include "test_support.h"

#define BATCH1 "2022-20261127-001"
#define BATCH2 "2022-20261127-002"
#define BATCH3 "2022-20261127-003"
#define NS "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"

/* Two firms paid in policy year 2022 (data year 2021, rate 90%):
 *   firm 0: 12 months of 150.00 + 150.00 -> base 3600.00, amount 3240.00,
 *           CNAPS code known
 *   firm 1: 12 months of 200.00 + 200.00 -> base 4800.00, amount 4320.00,
 *           no CNAPS code
 * The batch: 2 payments, 7560.00. */
static char codes[2][19];
static const char *names[2] = {"鞍山市铁东区晨光商贸有限公司", "鞍山市铁西区红旗五金有限公司"};
static const char *accounts[2] = {"6222020708001234567", "0401020309000123"};

static char work[4096], db_path[4200], out_dir[4200], in_dir[4200], config_path[4200];

/* The config approve reads the database and the fund's account from. */
static void write_config(void)
{
    snprintf(config_path, sizeof config_path, "%s/rebate.ini", work);
    ts_write_file(work, "rebate.ini",
                  "[rebate]\n"
                  "database = rebate.db\n"
                  "inbox = in\n"
                  "outbox = out\n"
                  "archive = archive\n"
                  "policy_year = 2022\n"
                  "encoding = auto\n"
                  "fund_account_name = 鞍山市失业保险基金专户\n"
                  "fund_account = 2102020000000000001\n"
                  "fund_bank_name = 中国工商银行股份有限公司鞍山分行\n"
                  "fund_bank_code = 102223000000\n",
                  (size_t)-1);
}

static void write_extracts(const char *account1)
{
    char text[16384];
    int n = snprintf(text, sizeof text, "uscc,name,status,established_on,region_code,industry_code\n");
    for (int i = 0; i < 2; i++)
        n += snprintf(text + n, sizeof text - n, "%s,%s,存续,2015-03-01,210302,F5191\n", codes[i], names[i]);
    ts_write_file(in_dir, "registration.csv", text, (size_t)-1);
    n = snprintf(text, sizeof text,
                 "uscc,unit_name,insured_on,ui_status,account_name,bank_name,bank_account,bank_code\n");
    n += snprintf(text + n, sizeof text - n, "%s,%s,2015-04-01,正常,%s,中国工商银行鞍山分行,%s,102223000011\n",
                  codes[0], names[0], names[0], accounts[0]);
    n += snprintf(text + n, sizeof text - n, "%s,%s,2015-04-01,正常,%s,中国银行鞍山分行,%s,\n", codes[1], names[1],
                  names[1], account1);
    ts_write_file(in_dir, "insured_units.csv", text, (size_t)-1);
    n = snprintf(text, sizeof text, "uscc,period,insured_count,employer_due,employer_paid,employee_due,employee_paid\n");
    for (int i = 0; i < 2; i++)
        for (int p = 0; p <= 12; p++) {
            const char *money = i == 0 ? "150.00" : "200.00";
            n += snprintf(text + n, sizeof text - n, "%s,%d,5,%s,%s,%s,%s\n", codes[i], p == 0 ? 202012 : 202100 + p,
                          money, money, money, money);
        }
    ts_write_file(in_dir, "contributions.csv", text, (size_t)-1);
    char *err = NULL;
    int rc = ts_run_rebate(NULL, &err, "import", "--db", db_path, in_dir, (char *)NULL);
    ck_assert_msg(rc == 0, "import exited %d: %s", rc, err);
    free(err);
}

static void setup(void)
{
    for (int i = 0; i < 2; i++) {
        char first17[18];
        snprintf(first17, sizeof first17, "91210302MA00000%02d", i + 1);
        snprintf(codes[i], sizeof codes[i], "%s%c", first17, rb_uscc_check_char(first17));
    }
    snprintf(work, sizeof work, "%s", ts_tmpdir());
    snprintf(db_path, sizeof db_path, "%s/rebate.db", work);
    ts_init_db(db_path);
    snprintf(out_dir, sizeof out_dir, "%s/out", work);
    snprintf(in_dir, sizeof in_dir, "%s/in", work);
    mkdir(in_dir, 0750);
    write_config();
    write_extracts(accounts[1]);
}

static void teardown(void)
{
    ts_rmtree(work);
}

/* ---- helpers ---- */

static void run_batch(void)
{
    char *err = NULL;
    int rc = ts_run_rebate(NULL, &err, "run", "--db", db_path, "--year", "2022", "--out", out_dir, "--as-of",
                           "2026-11-27", "--by", "tester", (char *)NULL);
    ck_assert_msg(rc == 0, "run exited %d: %s", rc, err);
    free(err);
}

/* Runs a command, keeping stdout and stderr for the checks. */
static char *out_text, *err_text;

static int rebate(const char *a, const char *b, const char *c, const char *d, const char *e, const char *f,
                  const char *g, const char *h, const char *i)
{
    return ts_rerun_rebate(&out_text, &err_text, a, b, c, d, e, f, g, h, i, (char *)NULL);
}

static int approve(const char *batch, const char *by)
{
    return rebate("approve", "--config", config_path, "--batch", batch, "--by", by, NULL, NULL);
}

static int void_batch(const char *batch, const char *by, const char *reason)
{
    return rebate("void", "--db", db_path, "--batch", batch, "--by", by, "--reason", reason);
}

static int reconcile(const char *batch, const char *file)
{
    return rebate("reconcile", "--db", db_path, "--batch", batch, file, NULL, NULL, NULL);
}

static void free_outputs(void)
{
    free(out_text);
    free(err_text);
    out_text = err_text = NULL;
}

static long long db_int(const char *sql)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    long long v = ts_query_int(db, sql);
    sqlite3_close(db);
    return v;
}

/* The count of rows matching a query with one text parameter. */
static long long db_count(const char *sql, const char *param)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    sqlite3_bind_text(stmt, 1, param, -1, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
    long long v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

static char *path_in(const char *batch, const char *name)
{
    static char path[8400];
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, batch, name);
    return path;
}

static bool exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

static int sha256sum_check(const char *dir)
{
    char cmd[8600];
    snprintf(cmd, sizeof cmd, "cd '%s' && sha256sum --quiet --strict -c SHA256SUMS", dir);
    return system(cmd);
}

static char *reference(int firm, int attempt)
{
    static char buf[2][64];
    snprintf(buf[firm], sizeof buf[firm], "2022-%s-%d", codes[firm], attempt);
    return buf[firm];
}

static void assert_contains(const char *text, const char *part)
{
    ck_assert_msg(text != NULL && strstr(text, part) != NULL, "'%s' not in:\n%s", part, text ? text : "(null)");
}

static void print_error(void *context, xmlErrorPtr error)
{
    (void)context;
    fprintf(stderr, "schema: line %d: %s", error->line, error->message ? error->message : "?\n");
}

static int validate(const char *document)
{
    char path[8400];
    snprintf(path, sizeof path, "%s", document);
    xmlSchemaParserCtxtPtr parser = xmlSchemaNewParserCtxt(ts_fixture("bank/pain.001.001.03.xsd"));
    xmlSchemaPtr schema = xmlSchemaParse(parser);
    ck_assert_ptr_nonnull(schema);
    xmlSchemaValidCtxtPtr valid = xmlSchemaNewValidCtxt(schema);
    xmlSchemaSetValidStructuredErrors(valid, print_error, NULL);
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    int rc = doc ? xmlSchemaValidateDoc(valid, doc) : -1;
    xmlFreeDoc(doc);
    xmlSchemaFreeValidCtxt(valid);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(parser);
    return rc;
}

static char *xpath(const char *path, const char *expr)
{
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    ck_assert_ptr_nonnull(doc);
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(ctx, BAD_CAST "p", BAD_CAST NS);
    xmlXPathObjectPtr result = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    ck_assert_ptr_nonnull(result);
    xmlChar *text = xmlXPathCastToString(result);
    char *copy = strdup((const char *)text);
    xmlFree(text);
    xmlXPathFreeObject(result);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return copy;
}

static void assert_xpath(const char *path, const char *expr, const char *expected)
{
    char *value = xpath(path, expr);
    ck_assert_msg(strcmp(value, expected) == 0, "%s: got '%s', expected '%s'", expr, value, expected);
    free(value);
}

/* Writes the bank's answer into the work folder; returns its path. */
static const char *answer_file(const char *name, const char *text)
{
    static char path[4300];
    ts_write_file(work, name, text, (size_t)-1);
    snprintf(path, sizeof path, "%s/%s", work, name);
    return path;
}

/* ---- approve ---- */

START_TEST(approve_writes_the_bank_folder_and_records_the_approval)
{
    run_batch();
    char *sums_before = ts_read_file(path_in(BATCH1, "SHA256SUMS"), NULL);
    ck_assert_int_eq(approve(BATCH1, "王会计"), 0);
    assert_contains(out_text, "batch " BATCH1 " approved by 王会计");
    assert_contains(out_text, "2 payments totalling 7560.00 yuan");
    /* The ledger: batch and payments approved, who and when recorded. */
    ck_assert_int_eq(db_count("SELECT count(*) FROM batches WHERE batch_id = ?1 AND state = 'approved'"
                              " AND approved_by = '王会计' AND approved_at LIKE '____-__-__T__:__:__Z'",
                              BATCH1),
                     1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM payments WHERE batch_id = ?1 AND state = 'approved'", BATCH1), 2);
    /* bank/: three files whose SHA256SUMS checks; nothing left staged. */
    char bank[8400];
    snprintf(bank, sizeof bank, "%s", path_in(BATCH1, "bank"));
    ck_assert(exists(path_in(BATCH1, "bank/payout.xml")));
    ck_assert(exists(path_in(BATCH1, "bank/approval.txt")));
    ck_assert_int_eq(sha256sum_check(bank), 0);
    ck_assert(!exists(path_in(BATCH1, ".bank-staging")));
    struct stat sb;
    ck_assert_int_eq(stat(bank, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0007, 0);
    /* The batch's own files are untouched and still check. */
    char *sums_after = ts_read_file(path_in(BATCH1, "SHA256SUMS"), NULL);
    ck_assert_str_eq(sums_before, sums_after);
    char batch_dir[8400];
    snprintf(batch_dir, sizeof batch_dir, "%s/%s", out_dir, BATCH1);
    ck_assert_int_eq(sha256sum_check(batch_dir), 0);
    /* approval.txt: who, when, and the digest of the payout.csv approved. */
    char payout_sha[RB_SHA256_HEX];
    ck_assert_int_eq(rb_sha256_file(path_in(BATCH1, "payout.csv"), payout_sha, NULL), RB_OK);
    char *approval = ts_read_file(path_in(BATCH1, "bank/approval.txt"), NULL);
    assert_contains(approval, "审批人 approved_by：王会计");
    assert_contains(approval, "审批时间 approved_at：20");
    assert_contains(approval, payout_sha);
    assert_contains(approval, "7560.00");
    free(approval);
    free(sums_before);
    free(sums_after);
    free_outputs();
}
END_TEST

START_TEST(bank_file_validates_with_references_and_control_totals)
{
    run_batch();
    ck_assert_int_eq(approve(BATCH1, "王会计"), 0);
    char xml[8400];
    snprintf(xml, sizeof xml, "%s", path_in(BATCH1, "bank/payout.xml"));
    ck_assert_int_eq(validate(xml), 0);
    /* 3240.00 + 4320.00 at both levels, one PmtInf for the batch. */
    assert_xpath(xml, "/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", "2");
    assert_xpath(xml, "/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", "7560.00");
    assert_xpath(xml, "count(//p:PmtInf)", "1");
    assert_xpath(xml, "//p:PmtInf/p:NbOfTxs", "2");
    assert_xpath(xml, "//p:PmtInf/p:CtrlSum", "7560.00");
    assert_xpath(xml, "//p:GrpHdr/p:MsgId", BATCH1);
    assert_xpath(xml, "//p:PmtInf/p:PmtMtd", "TRF");
    assert_xpath(xml, "//p:PmtInf/p:Dbtr/p:Nm", "鞍山市失业保险基金专户");
    assert_xpath(xml, "//p:PmtInf/p:DbtrAcct/p:Id/p:Othr/p:Id", "2102020000000000001");
    assert_xpath(xml, "//p:PmtInf/p:DbtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId", "102223000000");
    /* In payout.csv's order (uscc); EndToEndId = the reference. */
    assert_xpath(xml, "//p:CdtTrfTxInf[1]/p:PmtId/p:EndToEndId", reference(0, 1));
    assert_xpath(xml, "//p:CdtTrfTxInf[2]/p:PmtId/p:EndToEndId", reference(1, 1));
    assert_xpath(xml, "//p:CdtTrfTxInf[1]/p:Amt/p:InstdAmt", "3240.00");
    assert_xpath(xml, "//p:CdtTrfTxInf[2]/p:Amt/p:InstdAmt", "4320.00");
    assert_xpath(xml, "//p:CdtTrfTxInf[1]/p:Amt/p:InstdAmt/@Ccy", "CNY");
    assert_xpath(xml, "//p:CdtTrfTxInf[1]/p:Cdtr/p:Nm", names[0]);
    assert_xpath(xml, "//p:CdtTrfTxInf[2]/p:CdtrAcct/p:Id/p:Othr/p:Id", accounts[1]);
    assert_xpath(xml, "//p:CdtTrfTxInf[1]/p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:ClrSysId/p:Cd", "CNAPS");
    assert_xpath(xml, "//p:CdtTrfTxInf[1]/p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId", "102223000011");
    assert_xpath(xml, "count(//p:CdtTrfTxInf[2]/p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId)", "0");
    assert_xpath(xml, "//p:CdtTrfTxInf[2]/p:CdtrAgt/p:FinInstnId/p:Nm", "中国银行鞍山分行");
    assert_xpath(xml, "//p:CdtTrfTxInf[2]/p:RmtInf/p:Ustrd", "2022年失业保险稳岗返还");
    free_outputs();
}
END_TEST

START_TEST(approve_by_the_person_who_ran_it_is_refused)
{
    run_batch();
    ck_assert_int_eq(approve(BATCH1, "tester"), 64);
    assert_contains(err_text, "tester ran batch " BATCH1);
    /* Case, spaces and full-width letters do not make another person. */
    ck_assert_int_eq(approve(BATCH1, " Tester "), 64);
    ck_assert_int_eq(approve(BATCH1, "ｔｅｓｔｅｒ"), 64);
    /* Nobody is not someone else either. */
    ck_assert_int_eq(approve(BATCH1, ""), 64);
    assert_contains(err_text, "--by is empty");
    ck_assert_int_eq(approve(BATCH1, "\xE3\x80\x80"), 64); /* U+3000 alone */
    ck_assert_int_eq(db_count("SELECT count(*) FROM batches WHERE batch_id = ?1 AND state = 'published'", BATCH1), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM payments WHERE batch_id = ?1 AND state = 'published'", BATCH1), 2);
    ck_assert(!exists(path_in(BATCH1, "bank")));
    free_outputs();
}
END_TEST

START_TEST(approve_twice_is_refused)
{
    run_batch();
    ck_assert_int_eq(approve(BATCH1, "王会计"), 0);
    char *xml_before = ts_read_file(path_in(BATCH1, "bank/payout.xml"), NULL);
    ck_assert_int_eq(approve(BATCH1, "李科长"), 64);
    assert_contains(err_text, "already approved (by 王会计");
    char *xml_after = ts_read_file(path_in(BATCH1, "bank/payout.xml"), NULL);
    ck_assert_str_eq(xml_before, xml_after);
    ck_assert_int_eq(db_count("SELECT count(*) FROM batches WHERE batch_id = ?1 AND approved_by = '王会计'", BATCH1),
                     1);
    free(xml_before);
    free(xml_after);
    free_outputs();
}
END_TEST

/* Appends one byte to a file of the batch. */
static void alter(const char *batch, const char *name)
{
    FILE *f = fopen(path_in(batch, name), "ab");
    ck_assert_ptr_nonnull(f);
    fputs(" ", f);
    fclose(f);
}

START_TEST(approve_of_an_altered_payout_csv_is_refused)
{
    run_batch();
    alter(BATCH1, "payout.csv");
    ck_assert_int_eq(approve(BATCH1, "王会计"), 65);
    assert_contains(err_text, "payout.csv");
    ck_assert_int_eq(db_count("SELECT count(*) FROM batches WHERE batch_id = ?1 AND state = 'published'", BATCH1), 1);
    ck_assert(!exists(path_in(BATCH1, "bank")));
    ck_assert(!exists(path_in(BATCH1, ".bank-staging")));
    free_outputs();
}
END_TEST

START_TEST(approve_with_a_rewritten_sha256sums_is_refused_by_the_ledger_digest)
{
    run_batch();
    /* payout.csv changed and SHA256SUMS made to agree: only the ledger
     * still knows the published digest. */
    alter(BATCH1, "payout.csv");
    char cmd[8600];
    snprintf(cmd, sizeof cmd, "cd '%s/%s' && chmod u+w SHA256SUMS && sha256sum decisions.csv exceptions.csv payout.csv "
                              "summary.txt > SHA256SUMS",
             out_dir, BATCH1);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(approve(BATCH1, "王会计"), 65);
    assert_contains(err_text, "payout.csv");
    assert_contains(err_text, "ledger");
    free_outputs();
}
END_TEST

START_TEST(approve_of_an_altered_summary_is_refused)
{
    run_batch();
    alter(BATCH1, "summary.txt");
    ck_assert_int_eq(approve(BATCH1, "王会计"), 65);
    assert_contains(err_text, "summary.txt");
    ck_assert(!exists(path_in(BATCH1, "bank")));
    free_outputs();
}
END_TEST

START_TEST(approve_refusals_and_exit_statuses)
{
    run_batch();
    ck_assert_int_eq(approve("2022-20261127-009", "王会计"), 66);
    assert_contains(err_text, "not in the ledger");
    ck_assert_int_eq(approve("PREVIEW-2022-20261127-001", "王会计"), 66);
    assert_contains(err_text, "dry-run preview");
    char missing[4300];
    snprintf(missing, sizeof missing, "%s/none.db", work);
    ck_assert_int_eq(rebate("approve", "--db", missing, "--batch", BATCH1, "--by", "王会计", NULL, NULL), 66);
    ck_assert_int_eq(rebate("approve", "--db", db_path, "--batch", BATCH1, NULL, NULL, NULL, NULL), 64);
    ck_assert_int_eq(rebate("approve", "--db", db_path, "--batch", BATCH1, "--by", "王会计", "--force", NULL), 64);
    ck_assert_int_eq(rebate("approve", "--help", NULL, NULL, NULL, NULL, NULL, NULL, NULL), 0);
    assert_contains(out_text, "usage: rebate approve --config FILE --batch ID --by NAME");
    /* The lock of run and nightly. */
    rb_lock *lock = NULL;
    ck_assert_int_eq(rb_lock_database(db_path, &lock, NULL), RB_OK);
    ck_assert_int_eq(approve(BATCH1, "王会计"), 75);
    rb_lock_release(lock);
    /* The folder moved away: 66, nothing recorded. */
    char moved[8400];
    snprintf(moved, sizeof moved, "%s/moved", work);
    char folder[8400];
    snprintf(folder, sizeof folder, "%s/%s", out_dir, BATCH1);
    ck_assert_int_eq(rename(folder, moved), 0);
    ck_assert_int_eq(approve(BATCH1, "王会计"), 66);
    assert_contains(err_text, "is missing");
    ck_assert_int_eq(rename(moved, folder), 0);
    /* Every command logged its run with its exit status. */
    ck_assert_int_eq(db_int("SELECT count(*) FROM runs WHERE command = 'approve' AND exit_status = 66"), 3);
    ck_assert_int_eq(approve(BATCH1, "王会计"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM runs WHERE command = 'approve' AND exit_status = 0"), 1);
    free_outputs();
}
END_TEST

START_TEST(a_batch_without_payments_cannot_be_approved)
{
    run_batch();
    /* A second run pays nobody: both firms are ALREADY_PAID. */
    run_batch();
    ck_assert_int_eq(db_count("SELECT count(*) FROM batches WHERE batch_id = ?1 AND state = 'closed'", BATCH2), 1);
    ck_assert_int_eq(approve(BATCH2, "王会计"), 64);
    assert_contains(err_text, "no payments");
    ck_assert_int_eq(void_batch(BATCH2, "李科长", "无付款"), 64);
    free_outputs();
}
END_TEST

/* ---- crashes ---- */

static int approve_crashing_at(const char *step, const char *by)
{
    setenv("REBATE_CRASH_AT", step, 1);
    int rc = approve(BATCH1, by);
    unsetenv("REBATE_CRASH_AT");
    return rc;
}

START_TEST(crash_before_the_commit_leaves_the_batch_published_and_approve_again_works)
{
    run_batch();
    ck_assert_int_eq(approve_crashing_at("bank-written", "王会计"), -SIGKILL);
    ck_assert_int_eq(db_count("SELECT count(*) FROM batches WHERE batch_id = ?1 AND state = 'published'", BATCH1), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM payments WHERE batch_id = ?1 AND state = 'published'", BATCH1), 2);
    ck_assert(!exists(path_in(BATCH1, "bank")));
    ck_assert(exists(path_in(BATCH1, ".bank-staging")));
    ck_assert_int_eq(approve(BATCH1, "李科长"), 0);
    ck_assert(!exists(path_in(BATCH1, ".bank-staging")));
    char bank[8400];
    snprintf(bank, sizeof bank, "%s", path_in(BATCH1, "bank"));
    ck_assert_int_eq(sha256sum_check(bank), 0);
    char *approval = ts_read_file(path_in(BATCH1, "bank/approval.txt"), NULL);
    assert_contains(approval, "李科长");
    free(approval);
    free_outputs();
}
END_TEST

START_TEST(void_removes_what_an_unrecorded_approval_left)
{
    run_batch();
    ck_assert_int_eq(approve_crashing_at("bank-written", "王会计"), -SIGKILL);
    ck_assert(exists(path_in(BATCH1, ".bank-staging")));
    ck_assert_int_eq(void_batch(BATCH1, "李科长", "不批"), 0);
    ck_assert(!exists(path_in(BATCH1, ".bank-staging")));
    ck_assert(!exists(path_in(BATCH1, "bank")));
    free_outputs();
}
END_TEST

START_TEST(a_bank_folder_rebate_did_not_write_is_not_replaced)
{
    run_batch();
    ck_assert_int_eq(mkdir(path_in(BATCH1, "bank"), 0750), 0);
    ck_assert_int_eq(approve(BATCH1, "王会计"), 73);
    assert_contains(err_text, "already exists although batch " BATCH1 " is not approved");
    ck_assert_int_eq(db_count("SELECT count(*) FROM batches WHERE batch_id = ?1 AND state = 'published'", BATCH1), 1);
    free_outputs();
}
END_TEST

START_TEST(crash_after_the_commit_is_finished_by_approve_again)
{
    run_batch();
    ck_assert_int_eq(approve_crashing_at("approve-committed", "王会计"), -SIGKILL);
    ck_assert_int_eq(db_count("SELECT count(*) FROM batches WHERE batch_id = ?1 AND state = 'approved'", BATCH1), 1);
    ck_assert(!exists(path_in(BATCH1, "bank")));
    char *staged = ts_read_file(path_in(BATCH1, ".bank-staging/payout.xml"), NULL);
    ck_assert_ptr_nonnull(staged);
    /* Anyone may finish it; the approval stays the one recorded. */
    ck_assert_int_eq(approve(BATCH1, "李科长"), 0);
    assert_contains(out_text, "finished the approval by 王会计");
    ck_assert(!exists(path_in(BATCH1, ".bank-staging")));
    char *placed = ts_read_file(path_in(BATCH1, "bank/payout.xml"), NULL);
    ck_assert_str_eq(staged, placed); /* written again from the ledger: the same bytes */
    char *approval = ts_read_file(path_in(BATCH1, "bank/approval.txt"), NULL);
    assert_contains(approval, "审批人 approved_by：王会计");
    ck_assert_int_eq(db_count("SELECT count(*) FROM batches WHERE batch_id = ?1 AND approved_by = '王会计'", BATCH1),
                     1);
    /* Now it is simply approved. */
    ck_assert_int_eq(approve(BATCH1, "李科长"), 64);
    free(staged);
    free(placed);
    free(approval);
    free_outputs();
}
END_TEST

/* ---- void ---- */

START_TEST(void_records_who_when_why_and_a_new_run_pays_attempt_2)
{
    run_batch();
    char *sums_before = ts_read_file(path_in(BATCH1, "SHA256SUMS"), NULL);
    ck_assert_int_eq(void_batch(BATCH1, "李科长", "参保数据有误，需重新核定"), 0);
    assert_contains(out_text, "2 payments totalling 7560.00 yuan voided");
    ck_assert_int_eq(db_count("SELECT count(*) FROM batches WHERE batch_id = ?1 AND state = 'voided'"
                              " AND voided_by = '李科长' AND void_reason = '参保数据有误，需重新核定'"
                              " AND voided_at IS NOT NULL",
                              BATCH1),
                     1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM payments WHERE batch_id = ?1 AND state = 'voided'", BATCH1), 2);
    /* The folder keeps its files and gets the note. */
    char *note = ts_read_file(path_in(BATCH1, "VOIDED.txt"), NULL);
    assert_contains(note, "参保数据有误，需重新核定");
    assert_contains(note, "李科长");
    free(note);
    char *sums_after = ts_read_file(path_in(BATCH1, "SHA256SUMS"), NULL);
    ck_assert_str_eq(sums_before, sums_after);
    char batch_dir[8400];
    snprintf(batch_dir, sizeof batch_dir, "%s/%s", out_dir, BATCH1);
    ck_assert_int_eq(sha256sum_check(batch_dir), 0);
    ck_assert(!exists(path_in(BATCH1, ".VOIDED.txt.staging")));
    /* The next run pays both firms again, as attempt 2. */
    run_batch();
    ck_assert_int_eq(db_count("SELECT count(*) FROM payments WHERE batch_id = ?1 AND attempt = 2"
                              " AND state = 'published'",
                              BATCH2),
                     2);
    ck_assert_int_eq(db_count("SELECT count(*) FROM payments WHERE reference = ?1 AND batch_id = '" BATCH2 "'",
                              reference(1, 2)),
                     1);
    char *payout = ts_read_file(path_in(BATCH2, "payout.csv"), NULL);
    assert_contains(payout, reference(0, 2));
    free(payout);
    /* And that batch can be approved as usual. */
    ck_assert_int_eq(approve(BATCH2, "王会计"), 0);
    free(sums_before);
    free(sums_after);
    free_outputs();
}
END_TEST

START_TEST(void_refusals)
{
    run_batch();
    ck_assert_int_eq(rebate("void", "--db", db_path, "--batch", BATCH1, "--by", "李科长", NULL, NULL), 64);
    ck_assert_int_eq(void_batch(BATCH1, "李科长", " "), 64);
    assert_contains(err_text, "--reason is empty");
    ck_assert_int_eq(void_batch(BATCH1, "李科长", "第一行\n第二行"), 64);
    ck_assert_int_eq(void_batch("2022-20261127-009", "李科长", "x"), 66);
    ck_assert_int_eq(rebate("void", "--help", NULL, NULL, NULL, NULL, NULL, NULL, NULL), 0);
    assert_contains(out_text, "usage: rebate void --db DB --batch ID --by NAME --reason TEXT");
    ck_assert_int_eq(void_batch(BATCH1, "李科长", "重复"), 0);
    ck_assert_int_eq(void_batch(BATCH1, "李科长", "重复"), 64);
    assert_contains(err_text, "already voided");
    /* A voided batch cannot be approved, nor answered. */
    ck_assert_int_eq(approve(BATCH1, "王会计"), 64);
    assert_contains(err_text, "voided");
    /* An approved batch cannot be voided. */
    run_batch();
    ck_assert_int_eq(approve(BATCH2, "王会计"), 0);
    ck_assert_int_eq(void_batch(BATCH2, "李科长", "太迟"), 64);
    assert_contains(err_text, "approved batch cannot be voided");
    ck_assert_int_eq(db_count("SELECT count(*) FROM payments WHERE batch_id = ?1 AND state = 'approved'", BATCH2), 2);
    rb_lock *lock = NULL;
    ck_assert_int_eq(rb_lock_database(db_path, &lock, NULL), RB_OK);
    ck_assert_int_eq(void_batch(BATCH1, "李科长", "x"), 75);
    rb_lock_release(lock);
    free_outputs();
}
END_TEST

START_TEST(void_crash_after_the_commit_is_finished_by_void_again)
{
    run_batch();
    setenv("REBATE_CRASH_AT", "void-committed", 1);
    int rc = void_batch(BATCH1, "李科长", "数据有误");
    unsetenv("REBATE_CRASH_AT");
    ck_assert_int_eq(rc, -SIGKILL);
    ck_assert_int_eq(db_count("SELECT count(*) FROM batches WHERE batch_id = ?1 AND state = 'voided'", BATCH1), 1);
    ck_assert(!exists(path_in(BATCH1, "VOIDED.txt")));
    ck_assert_int_eq(void_batch(BATCH1, "别人", "另一个原因"), 0);
    char *note = ts_read_file(path_in(BATCH1, "VOIDED.txt"), NULL);
    assert_contains(note, "数据有误"); /* the recorded void, not the rerun's words */
    assert_contains(note, "李科长");
    ck_assert_ptr_null(strstr(note, "另一个原因"));
    free(note);
    /* Before the commit: nothing recorded, no note. */
    run_batch();
    setenv("REBATE_CRASH_AT", "void-note-written", 1);
    rc = rebate("void", "--db", db_path, "--batch", BATCH2, "--by", "李科长", "--reason", "x");
    unsetenv("REBATE_CRASH_AT");
    ck_assert_int_eq(rc, -SIGKILL);
    ck_assert_int_eq(db_count("SELECT count(*) FROM batches WHERE batch_id = ?1 AND state = 'published'", BATCH2), 1);
    ck_assert(!exists(path_in(BATCH2, "VOIDED.txt")));
    ck_assert_int_eq(approve(BATCH2, "王会计"), 0);
    free_outputs();
}
END_TEST

/* ---- reconcile ---- */

static const char *answer_of(const char *name, const char *status0, const char *status1)
{
    char text[1024];
    snprintf(text, sizeof text, "\xEF\xBB\xBFreference,status,reason\r\n%s,%s,\r\n%s,%s,\"户名与账号不符, 退回\"\r\n",
             reference(0, 1), status0, reference(1, 1), status1);
    return answer_file(name, text);
}

START_TEST(reconcile_records_paid_and_returned)
{
    run_batch();
    ck_assert_int_eq(approve(BATCH1, "王会计"), 0);
    const char *file = answer_of("answer.csv", "paid", "returned");
    ck_assert_int_eq(reconcile(BATCH1, file), 0);
    assert_contains(out_text, "recorded 1 paid and 1 returned now (0 and 0 were recorded already); 0 pending; "
                              "0 payments still open; the batch is settled");
    assert_contains(out_text, "退回 returned: 1 笔 payments, 合计 total 4320.00 元 yuan");
    assert_contains(out_text, "原因 reason: 户名与账号不符, 退回");
    ck_assert_int_eq(db_count("SELECT count(*) FROM batches WHERE batch_id = ?1 AND state = 'settled'", BATCH1), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM events WHERE batch_id = ?1 AND kind = 'batch'"
                              " AND from_state = 'approved' AND to_state = 'settled'", BATCH1), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM events WHERE batch_id = ?1 AND kind = 'payment'"
                              " AND to_state IN ('paid', 'returned')", BATCH1), 2);
    ck_assert_int_eq(db_count("SELECT count(*) FROM payments WHERE reference = ?1 AND state = 'paid'", reference(0, 1)),
                     1);
    ck_assert_int_eq(
        db_count("SELECT count(*) FROM payments WHERE reference = ?1 AND state = 'returned'", reference(1, 1)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM bank_answers WHERE reference = ?1 AND status = 'returned'"
                              " AND reason = '户名与账号不符, 退回' AND file = 'answer.csv' AND line = 3",
                              reference(1, 1)),
                     1);
    /* The same answer again changes nothing. */
    ck_assert_int_eq(reconcile(BATCH1, file), 0);
    assert_contains(out_text, "every final status in it was recorded already: nothing changed");
    ck_assert_int_eq(db_int("SELECT count(*) FROM bank_answers"), 2);
    /* A contradicting answer is refused, naming the line; nothing changes. */
    const char *contra = answer_of("contra.csv", "returned", "returned");
    ck_assert_int_eq(reconcile(BATCH1, contra), 65);
    assert_contains(err_text, "contra.csv' is refused whole");
    assert_contains(err_text, "line 2: payment ");
    assert_contains(err_text, "is recorded as paid (from 'answer.csv' line 2); this answer says returned");
    ck_assert_int_eq(db_count("SELECT count(*) FROM payments WHERE reference = ?1 AND state = 'paid'", reference(0, 1)),
                     1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM runs WHERE command = 'reconcile'"), 3);
    free_outputs();
}
END_TEST

START_TEST(reconcile_of_one_payment_leaves_the_other_open)
{
    run_batch();
    ck_assert_int_eq(approve(BATCH1, "王会计"), 0);
    char text[512];
    /* Two columns only, upper-case status, LF line ends, no BOM. */
    snprintf(text, sizeof text, "reference,status\n%s,PAID\n\n", reference(1, 1));
    ck_assert_int_eq(reconcile(BATCH1, answer_file("one.csv", text)), 0);
    assert_contains(out_text, "recorded 1 paid and 0 returned now (0 and 0 were recorded already); 0 pending; "
                              "1 payments still open");
    assert_contains(out_text, "未答复 unanswered: 1 笔 payments, 合计 total 3240.00 元 yuan");
    ck_assert_int_eq(db_count("SELECT count(*) FROM payments WHERE reference = ?1 AND state = 'approved'", reference(0, 1)),
                     1);
    free_outputs();
}
END_TEST

START_TEST(reconcile_refusals_name_the_line_and_record_nothing)
{
    run_batch();
    /* Not approved yet. */
    const char *good = answer_of("good.csv", "paid", "paid");
    ck_assert_int_eq(reconcile(BATCH1, good), 64);
    assert_contains(err_text, "not approved");
    ck_assert_int_eq(approve(BATCH1, "王会计"), 0);
    char text[1024];
    /* An unknown reference on line 3, after a good line 2: all or nothing. */
    snprintf(text, sizeof text, "reference,status,reason\n%s,paid,\n2022-91210302MA0000009X-1,paid,\n", reference(0, 1));
    ck_assert_int_eq(reconcile(BATCH1, answer_file("unknown.csv", text)), 65);
    assert_contains(err_text, "unknown.csv' is refused whole");
    assert_contains(err_text, "line 3: reference '2022-91210302MA0000009X-1' is no payment of batch");
    ck_assert_int_eq(db_int("SELECT count(*) FROM bank_answers"), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM payments WHERE batch_id = ?1 AND state = 'approved'", BATCH1), 2);
    /* A bad status. */
    snprintf(text, sizeof text, "reference,status,reason\n%s,bounced,\n", reference(0, 1));
    ck_assert_int_eq(reconcile(BATCH1, answer_file("status.csv", text)), 65);
    assert_contains(err_text, "line 2: status 'bounced' is none of paid, returned");
    /* A wrong header. */
    ck_assert_int_eq(reconcile(BATCH1, answer_file("header.csv", "ref,state\n")), 65);
    assert_contains(err_text, "line 1: the header must name the reference");
    /* An empty file. */
    ck_assert_int_eq(reconcile(BATCH1, answer_file("empty.csv", "")), 65);
    /* Too many fields, a quote left open, bytes that are not UTF-8. */
    snprintf(text, sizeof text, "reference,status,reason\n%s,paid,x,y\n", reference(0, 1));
    ck_assert_int_eq(reconcile(BATCH1, answer_file("fields.csv", text)), 65);
    assert_contains(err_text, "line 2: 4 fields where the header has 3");
    snprintf(text, sizeof text, "reference,status,reason\n%s,returned,\"open\n", reference(0, 1));
    ck_assert_int_eq(reconcile(BATCH1, answer_file("quote.csv", text)), 65);
    assert_contains(err_text, "quote.csv");
    /* A byte that is neither UTF-8 nor GB18030. */
    snprintf(text, sizeof text, "reference,status,reason\n%s,returned,\xFF\n", reference(0, 1));
    ck_assert_int_eq(reconcile(BATCH1, answer_file("bytes.csv", text)), 65);
    assert_contains(err_text, "line 2");
    /* A missing file, a missing FILE argument. */
    char missing[4300];
    snprintf(missing, sizeof missing, "%s/none.csv", work);
    ck_assert_int_eq(reconcile(BATCH1, missing), 66);
    ck_assert_int_eq(rebate("reconcile", "--db", db_path, "--batch", BATCH1, NULL, NULL, NULL, NULL), 64);
    ck_assert_int_eq(rebate("reconcile", "--help", NULL, NULL, NULL, NULL, NULL, NULL, NULL), 0);
    assert_contains(out_text, "usage: rebate reconcile --config FILE --batch ID [--by NAME] ANSWER");
    ck_assert_int_eq(db_int("SELECT count(*) FROM bank_answers"), 0);
    free_outputs();
}
END_TEST

START_TEST(a_reference_of_another_batch_is_refused)
{
    run_batch();
    ck_assert_int_eq(void_batch(BATCH1, "李科长", "重做"), 0);
    run_batch(); /* BATCH2 pays attempt 2 */
    ck_assert_int_eq(approve(BATCH2, "王会计"), 0);
    char text[512];
    snprintf(text, sizeof text, "reference,status,reason\n%s,paid,\n", reference(0, 1)); /* BATCH1's */
    ck_assert_int_eq(reconcile(BATCH2, answer_file("other.csv", text)), 65);
    assert_contains(err_text, "is a payment of batch " BATCH1 ", not of batch " BATCH2);
    free_outputs();
}
END_TEST

/* The decisions.csv row of a firm in a batch. */
static char *decision_of(const char *batch, int firm)
{
    char *text = ts_read_file(path_in(batch, "decisions.csv"), NULL);
    char *row = strstr(text, codes[firm]);
    ck_assert_ptr_nonnull(row);
    char *end = strstr(row, "\r\n");
    if (end)
        *end = '\0';
    char *copy = strdup(row);
    free(text);
    return copy;
}

START_TEST(returned_transfer_is_reviewed_until_the_account_is_corrected)
{
    run_batch();
    ck_assert_int_eq(approve(BATCH1, "王会计"), 0);
    ck_assert_int_eq(reconcile(BATCH1, answer_of("answer.csv", "paid", "returned")), 0);
    /* Same account: TRANSFER_RETURNED, a REVIEW, no new payment. */
    run_batch();
    char *row = decision_of(BATCH2, 1);
    assert_contains(row, ",REVIEW,TRANSFER_RETURNED,");
    free(row);
    row = decision_of(BATCH2, 0);
    assert_contains(row, ",SKIP,ALREADY_PAID,");
    free(row);
    ck_assert_int_eq(db_count("SELECT count(*) FROM payments WHERE batch_id = ?1", BATCH2), 0);
    /* The account corrected in the next extract: paid again, attempt 2. */
    write_extracts("0401020309000999");
    run_batch();
    row = decision_of(BATCH3, 1);
    assert_contains(row, ",PAY,,");
    free(row);
    ck_assert_int_eq(db_count("SELECT count(*) FROM payments WHERE reference = ?1 AND batch_id = '" BATCH3 "'"
                              " AND bank_account = '0401020309000999' AND state = 'published'",
                              reference(1, 2)),
                     1);
    free_outputs();
}
END_TEST

/* ---- status ---- */

START_TEST(status_of_a_batch_a_firm_and_the_latest)
{
    run_batch();
    ck_assert_int_eq(approve(BATCH1, "王会计"), 0);
    ck_assert_int_eq(reconcile(BATCH1, answer_of("answer.csv", "paid", "returned")), 0);
    ck_assert_int_eq(rebate("status", "--db", db_path, "--batch", BATCH1, NULL, NULL, NULL, NULL), 0);
    assert_contains(out_text, "批次 batch_id：" BATCH1);
    assert_contains(out_text, "状态 state：已结清 settled");
    assert_contains(out_text, "经办 created_by：tester");
    assert_contains(out_text, "审批 approved_by：王会计");
    assert_contains(out_text, "付款 payments：2 笔，合计 7560.00 元");
    assert_contains(out_text, "已到账 paid：1 笔，3240.00 元");
    assert_contains(out_text, "被银行退回 returned：1 笔，4320.00 元");
    assert_contains(out_text, "已审批待银行处理 approved：0 笔，0.00 元");
    assert_contains(out_text, "原因 reason：户名与账号不符, 退回");
    assert_contains(out_text, "****0123");
    ck_assert_ptr_null(strstr(out_text, accounts[1])); /* never the whole account */
    /* The batch's payments were published and approved together: one line
     * each time, with the count; the bank's two answers differ, one line
     * each. */
    assert_contains(out_text, "payment ×2（" "2022-");
    ck_assert_msg(strstr(strstr(out_text, "payment ×2（") + 1, "payment ×2（") != NULL, "%s", out_text);
    ck_assert_msg(strstr(out_text, "-1  （新建 new） → published") == NULL, "%s", out_text);
    assert_contains(out_text, "approved → paid");
    assert_contains(out_text, "approved → returned");
    ck_assert_int_eq(rebate("status", "--db", db_path, "--uscc", codes[1], NULL, NULL, NULL, NULL), 0);
    /* A firm's own events are listed one by one. */
    assert_contains(out_text, "-1  （新建 new） → published");
    assert_contains(out_text, reference(1, 1));
    assert_contains(out_text, "批次 " BATCH1 "  4320.00 元  被银行退回 returned");
    assert_contains(out_text, "退回原因 reason：户名与账号不符, 退回");
    ck_assert_ptr_null(strstr(out_text, accounts[1]));
    /* lower case is a valid way to give a code */
    char lower[19];
    for (int i = 0; i < 19; i++)
        lower[i] = (char)(codes[0][i] >= 'A' && codes[0][i] <= 'Z' ? codes[0][i] - 'A' + 'a' : codes[0][i]);
    ck_assert_int_eq(rebate("status", "--db", db_path, "--uscc", lower, NULL, NULL, NULL, NULL), 0);
    assert_contains(out_text, "已到账 paid");
    run_batch(); /* pays nobody: closed at once, waits for nobody */
    ck_assert_int_eq(rebate("status", "--db", db_path, NULL, NULL, NULL, NULL, NULL, NULL), 0);
    assert_contains(out_text, BATCH1 "  已结清 settled  付款 2 笔，合计 7560.00 元  经办 tester");
    assert_contains(out_text, "待办 waiting：无 nothing waits");
    assert_contains(out_text, BATCH2 "  无付款已关闭 closed");
    ck_assert(strstr(out_text, BATCH2) < strstr(out_text, BATCH1)); /* latest first */
    free_outputs();
}
END_TEST

START_TEST(status_refusals)
{
    run_batch();
    ck_assert_int_eq(rebate("status", "--db", db_path, "--batch", "2022-20261127-009", NULL, NULL, NULL, NULL), 66);
    ck_assert_int_eq(rebate("status", "--db", db_path, "--batch", BATCH1, "--uscc", codes[0], NULL, NULL), 64);
    ck_assert_int_eq(rebate("status", "--db", db_path, "--uscc", "91210302MA0000001X", NULL, NULL, NULL, NULL), 64);
    ck_assert_int_eq(rebate("status", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), 64);
    char missing[4300];
    snprintf(missing, sizeof missing, "%s/none.db", work);
    ck_assert_int_eq(rebate("status", "--db", missing, NULL, NULL, NULL, NULL, NULL, NULL), 66);
    ck_assert_int_eq(rebate("status", "--help", NULL, NULL, NULL, NULL, NULL, NULL, NULL), 0);
    assert_contains(out_text, "usage: rebate status --db DB [--batch ID [--decisions FILE] | --uscc CODE]");
    /* A firm without payments. */
    /* A valid code in no extract and no ledger says so. */
    ck_assert_int_eq(rebate("status", "--db", db_path, "--uscc", "91350100M000100Y43", NULL, NULL, NULL, NULL), 66);
    assert_contains(err_text, "is in no extract of the last import and nowhere in the ledger");
    /* A known firm: its latest decision per year, its payment, its events. */
    ck_assert_int_eq(rebate("status", "--db", db_path, "--uscc", codes[0], NULL, NULL, NULL, NULL), 0);
    assert_contains(out_text, "2022 年度：PAY  金额 3240.00 元  记录于批次 recorded by " BATCH1);
    free_outputs();
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("batch_life");
    TCase *approve_case = tcase_create("approve");
    tcase_add_checked_fixture(approve_case, setup, teardown);
    tcase_add_test(approve_case, approve_writes_the_bank_folder_and_records_the_approval);
    tcase_add_test(approve_case, bank_file_validates_with_references_and_control_totals);
    tcase_add_test(approve_case, approve_by_the_person_who_ran_it_is_refused);
    tcase_add_test(approve_case, approve_twice_is_refused);
    tcase_add_test(approve_case, approve_of_an_altered_payout_csv_is_refused);
    tcase_add_test(approve_case, approve_with_a_rewritten_sha256sums_is_refused_by_the_ledger_digest);
    tcase_add_test(approve_case, approve_of_an_altered_summary_is_refused);
    tcase_add_test(approve_case, approve_refusals_and_exit_statuses);
    tcase_add_test(approve_case, a_batch_without_payments_cannot_be_approved);
    tcase_add_test(approve_case, crash_before_the_commit_leaves_the_batch_published_and_approve_again_works);
    tcase_add_test(approve_case, crash_after_the_commit_is_finished_by_approve_again);
    tcase_add_test(approve_case, void_removes_what_an_unrecorded_approval_left);
    tcase_add_test(approve_case, a_bank_folder_rebate_did_not_write_is_not_replaced);
    suite_add_tcase(s, approve_case);

    TCase *void_case = tcase_create("void");
    tcase_add_checked_fixture(void_case, setup, teardown);
    tcase_add_test(void_case, void_records_who_when_why_and_a_new_run_pays_attempt_2);
    tcase_add_test(void_case, void_refusals);
    tcase_add_test(void_case, void_crash_after_the_commit_is_finished_by_void_again);
    suite_add_tcase(s, void_case);

    TCase *reconcile_case = tcase_create("reconcile");
    tcase_add_checked_fixture(reconcile_case, setup, teardown);
    tcase_add_test(reconcile_case, reconcile_records_paid_and_returned);
    tcase_add_test(reconcile_case, reconcile_of_one_payment_leaves_the_other_open);
    tcase_add_test(reconcile_case, reconcile_refusals_name_the_line_and_record_nothing);
    tcase_add_test(reconcile_case, a_reference_of_another_batch_is_refused);
    tcase_add_test(reconcile_case, returned_transfer_is_reviewed_until_the_account_is_corrected);
    suite_add_tcase(s, reconcile_case);

    TCase *status_case = tcase_create("status");
    tcase_add_checked_fixture(status_case, setup, teardown);
    tcase_add_test(status_case, status_of_a_batch_a_firm_and_the_latest);
    tcase_add_test(status_case, status_refusals);
    suite_add_tcase(s, status_case);
    return s;
}

TS_MAIN(make_suite)
