/* Tests of review verdicts through the built program (src/cli/cmd_review.c,
 * src/rules/review.c, the verdict in rb_decide): who may review what, an
 * accept paid by the next run, a reject that leaves the exceptions, a
 * verdict lapsing on a changed amount or a new reason, explain saying so,
 * the event of each verdict, and verdicts no client can change. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "rebate/uscc.h"
#include "test_support.h"

/* Policy year 2022 (data year 2021, rate 90 %, december_stock, cap 20 %):
 *   firm 0: 5 insured all year, 12 x 300.00 -> PAY 3240.00
 *   firm 1: 10 insured in 2020-12, then 7: a fall of 30 % -> REVIEW LAYOFF_HIGH 3240.00
 *   firm 2: like firm 1, and an account with a letter -> REVIEW
 *           ACCOUNT_INVALID;LAYOFF_HIGH (cannot be accepted) */
#define N_FIRMS 3
static char codes[N_FIRMS][19];
static const char *names[N_FIRMS] = {"鞍山市铁东区晨光商贸有限公司", "鞍山市铁西区红旗五金有限公司",
                                     "鞍山市立山区远航物流有限公司"};
static char work[4096], db_path[4200], out_dir[4200], in_dir[4200];
static char *out_text, *err_text;

/* The extracts, firm 1 with the given unit name and December count of 2021. */
static void write_extracts(const char *unit_name1, int december1)
{
    char text[32768];
    int n = snprintf(text, sizeof text, "uscc,name,status,established_on,region_code,industry_code\n");
    for (int i = 0; i < N_FIRMS; i++)
        n += snprintf(text + n, sizeof text - n, "%s,%s,存续,2015-03-01,210302,F5191\n", codes[i], names[i]);
    ts_write_file(in_dir, "registration.csv", text, (size_t)-1);
    n = snprintf(text, sizeof text,
                 "uscc,unit_name,insured_on,ui_status,account_name,bank_name,bank_account,bank_code\n");
    for (int i = 0; i < N_FIRMS; i++)
        n += snprintf(text + n, sizeof text - n, "%s,%s,2015-04-01,正常,%s,中国工商银行鞍山分行,%s,102223000011\n",
                      codes[i], i == 1 ? unit_name1 : names[i], names[i],
                      i == 2 ? "62220207080012345X7" : "6222020708001234567");
    ts_write_file(in_dir, "insured_units.csv", text, (size_t)-1);
    n = snprintf(text, sizeof text, "uscc,period,insured_count,employer_due,employer_paid,employee_due,employee_paid\n");
    for (int i = 0; i < N_FIRMS; i++)
        for (int p = 0; p <= 12; p++) {
            int count = i == 0 ? 5 : p == 0 ? 10 : p == 12 && i == 1 ? december1 : 7;
            n += snprintf(text + n, sizeof text - n, "%s,%d,%d,150.00,150.00,150.00,150.00\n", codes[i],
                          p == 0 ? 202012 : 202100 + p, count);
        }
    ts_write_file(in_dir, "contributions.csv", text, (size_t)-1);
    if (access(db_path, F_OK) != 0) /* the first import of the test */
        ts_init_db(db_path);
    char *err = NULL;
    int rc = ts_run_rebate(NULL, &err, "import", "--db", db_path, in_dir, (char *)NULL);
    ck_assert_msg(rc == 0, "import exited %d: %s", rc, err);
    free(err);
}

static char config_path[4200];

static void setup(void)
{
    for (int i = 0; i < N_FIRMS; i++) {
        char first17[18];
        snprintf(first17, sizeof first17, "91210302MA00001%02d", i + 1);
        snprintf(codes[i], sizeof codes[i], "%s%c", first17, rb_uscc_check_char(first17));
    }
    snprintf(work, sizeof work, "%s", ts_tmpdir());
    snprintf(db_path, sizeof db_path, "%s/rebate.db", work);
    snprintf(out_dir, sizeof out_dir, "%s/out", work);
    snprintf(in_dir, sizeof in_dir, "%s/in", work);
    mkdir(in_dir, 0750);
    snprintf(config_path, sizeof config_path, "%s/rebate.ini", work);
    ts_write_file(work, "rebate.ini",
                  "[rebate]\ndatabase = rebate.db\ninbox = in\noutbox = out\narchive = archive\npolicy_year = 2022\n"
                  "encoding = auto\nfund_account_name = 鞍山市失业保险基金专户\nfund_account = 2102020000000000001\n"
                  "fund_bank_name = 中国工商银行股份有限公司鞍山分行\nfund_bank_code = 102223000000\n",
                  (size_t)-1);
    write_extracts(names[1], 7);
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

static int review(int firm, const char *verdict, const char *by, const char *note)
{
    return rebate("review", "--db", db_path, "--year", "2022", "--uscc", codes[firm], verdict, "--by", by, "--note",
                  note, NULL);
}

static int run_batch(const char *as_of)
{
    return rebate("run", "--db", db_path, "--year", "2022", "--out", out_dir, "--as-of", as_of, "--by", "开票员",
                  NULL);
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

static char *batch_file(const char *batch, const char *name)
{
    char path[8400];
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, batch, name);
    return ts_read_file(path, NULL);
}

START_TEST(accepted_layoff_firm_is_paid_by_the_next_run)
{
    ck_assert_msg(run_batch("2026-11-27") == 0, "run: %s", err_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM decisions WHERE uscc = '%s' AND outcome = 'REVIEW'"
                            " AND reasons = 'LAYOFF_HIGH'", codes[1]), 1);
    ck_assert_int_eq(review(1, "--accept", "王复核", "减少的3人均为退休，已核对退休审批表"), 0);
    ck_assert_msg(strstr(out_text, "accepted") != NULL, "%s", out_text);
    /* One verdict, one event, who and login beside. */
    ck_assert_int_eq(db_int("SELECT count(*) FROM review_verdicts WHERE uscc = '%s' AND verdict = 'accept'"
                            " AND reasons = 'LAYOFF_HIGH' AND amount_fen = 324000 AND by_whom = '王复核'"
                            " AND login <> ''", codes[1]), 1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM events WHERE kind = 'verdict' AND uscc = '%s'"
                            " AND to_state = 'accepted' AND by_whom = '王复核' AND why LIKE '减少的3人均为退休%%'",
                            codes[1]), 1);
    ck_assert_msg(run_batch("2026-11-28") == 0, "run: %s", err_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE uscc = '%s' AND batch_id = '2022-20261128-001'",
                            codes[1]), 1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM decisions WHERE uscc = '%s' AND batch_id = '2022-20261128-001'"
                            " AND outcome = 'PAY' AND verdict_id IS NOT NULL", codes[1]), 1);
    char *decisions = batch_file("2022-20261128-001", "decisions.csv");
    char want[512];
    snprintf(want, sizeof want, "%s,%s,PAY,", codes[1], names[1]);
    ck_assert_msg(strstr(decisions, want) != NULL, "%s", decisions);
    ck_assert_msg(strstr(decisions, " 王复核\r\n") != NULL && strstr(decisions, ",accepted 20") != NULL, "%s",
                  decisions);
    free(decisions);
    char *exceptions = batch_file("2022-20261128-001", "exceptions.csv");
    ck_assert_msg(strstr(exceptions, codes[1]) == NULL, "%s", exceptions);
    free(exceptions);
    /* The ledger keeps the verdict with the decision: both batches'
     * decisions.csv, review column included, rebuild to the bytes. */
    const char *batches[] = {"2022-20261127-001", "2022-20261128-001"};
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(rebate("status", "--db", db_path, "--batch", batches[i], "--decisions", "-", NULL) == 0, "%s: %s",
                      batches[i], err_text);
        ck_assert_msg(strstr(err_text, "matches the one recorded") != NULL, "%s", err_text);
    }
    ck_assert_msg(strstr(out_text, ",accepted 20") != NULL, "%s", out_text);
}
END_TEST

/* The walk of issue 10: review -> accept -> paid by the next run, approved
 * by someone other than its reviewer. */
START_TEST(accepted_firm_is_approved_by_someone_else_than_its_reviewer)
{
    ck_assert_int_eq(review(1, "--accept", "王复核", "减少的人员为退休"), 0);
    ck_assert_msg(run_batch("2026-11-27") == 0, "run: %s", err_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE uscc = '%s'", codes[1]), 1);
    /* The reviewer cannot approve the batch that pays the firm (in any spelling). */
    ck_assert_int_eq(rebate("approve", "--config", config_path, "--batch", "2022-20261127-001", "--by", " 王复核 ",
                            NULL),
                     64);
    ck_assert_msg(strstr(err_text, "accepted firm") != NULL && strstr(err_text, codes[1]) != NULL, "%s", err_text);
    /* Nor the maker; nor anyone without the fund's account; nor a blank name. */
    ck_assert_int_eq(rebate("approve", "--config", config_path, "--batch", "2022-20261127-001", "--by", "开票员",
                            NULL),
                     64);
    ck_assert_int_eq(rebate("approve", "--db", db_path, "--batch", "2022-20261127-001", "--by", "李会计", NULL), 78);
    ck_assert_msg(strstr(err_text, "fund_account") != NULL, "%s", err_text);
    ck_assert_int_eq(rebate("approve", "--config", config_path, "--batch", "2022-20261127-001", "--by", "  ", NULL),
                     64);
    ck_assert_int_eq(db_int("SELECT count(*) FROM batches WHERE state = 'approved'"), 0);
    /* Someone else approves; the bank file pays from the fund's account. */
    ck_assert_msg(rebate("approve", "--config", config_path, "--batch", "2022-20261127-001", "--by", "李会计",
                         NULL) == 0,
                  "%s", err_text);
    char *xml = batch_file("2022-20261127-001", "bank/payout.xml");
    ck_assert_msg(strstr(xml, "2102020000000000001") != NULL && strstr(xml, "NOTPROVIDED") == NULL, "%s", xml);
    free(xml);
    ck_assert_int_eq(db_int("SELECT count(*) FROM events WHERE batch_id = '2022-20261127-001' AND kind = 'batch'"
                            " AND to_state = 'approved' AND by_whom = '李会计' AND login <> ''"), 1);
    /* status --uscc shows the decision, the verdict, the payment and the events. */
    ck_assert_int_eq(rebate("status", "--db", db_path, "--uscc", codes[1], NULL), 0);
    ck_assert_msg(strstr(out_text, "2022 年度：PAY") != NULL && strstr(out_text, "复核通过 accept") != NULL &&
                      strstr(out_text, "verdict") != NULL && strstr(out_text, "approved") != NULL,
                  "%s", out_text);
}
END_TEST

START_TEST(rejected_firm_leaves_the_exceptions)
{
    ck_assert_int_eq(review(1, "--reject", "王复核", "经核实为裁员"), 0);
    ck_assert_msg(run_batch("2026-11-27") == 0, "run: %s", err_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM decisions WHERE uscc = '%s' AND outcome = 'REJECT'"
                            " AND reasons = 'LAYOFF_HIGH;REVIEW_REJECTED'", codes[1]), 1);
    char *exceptions = batch_file("2022-20261127-001", "exceptions.csv");
    ck_assert_msg(strstr(exceptions, codes[1]) == NULL, "%s", exceptions);
    free(exceptions);
    char *decisions = batch_file("2022-20261127-001", "decisions.csv");
    ck_assert_msg(strstr(decisions, ",rejected 20") != NULL, "%s", decisions);
    free(decisions);
    /* A later accept supersedes the reject. */
    ck_assert_int_eq(review(1, "--accept", "李科长", "复查：减少的人员为退休"), 0);
    ck_assert_msg(strstr(out_text, "replacing") != NULL, "%s", out_text);
    ck_assert_msg(run_batch("2026-11-28") == 0, "run: %s", err_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE uscc = '%s'", codes[1]), 1);
}
END_TEST

START_TEST(refusals)
{
    /* A PAY firm is not a review case. */
    ck_assert_int_eq(review(0, "--accept", "王复核", "看过"), 64);
    ck_assert_msg(strstr(err_text, "not a review case") != NULL, "%s", err_text);
    /* An account reason is cleared only by corrected data; the message names it. */
    ck_assert_int_eq(review(2, "--accept", "王复核", "看过"), 64);
    ck_assert_msg(strstr(err_text, "ACCOUNT_INVALID") != NULL, "%s", err_text);
    /* ... but the firm may be rejected. */
    ck_assert_int_eq(review(2, "--reject", "王复核", "账户无法核实"), 0);
    /* --by and --note: trimmed, never blank. */
    ck_assert_int_eq(review(1, "--accept", "   ", "看过"), 64);
    ck_assert_int_eq(review(1, "--accept", "\xE3\x80\x80 ", "看过"), 64);
    ck_assert_int_eq(review(1, "--accept", "王复核", " "), 64);
    ck_assert_int_eq(rebate("review", "--db", db_path, "--year", "2022", "--uscc", codes[1], "--accept", "--reject",
                            "--by", "王", "--note", "n", NULL), 64);
    ck_assert_int_eq(rebate("review", "--db", db_path, "--year", "2022", "--uscc", codes[1], "--uscc", codes[0],
                            "--accept", "--by", "王", "--note", "n", NULL), 64);
    /* A valid code that is no firm of the snapshot. */
    ck_assert_int_eq(rebate("review", "--db", db_path, "--year", "2022", "--uscc", "91110000600037341L", "--accept",
                            "--by", "王", "--note", "n", NULL), 66);
    ck_assert_int_eq(db_int("SELECT count(*) FROM review_verdicts"), 1);
    /* The trimmed name is what is recorded. */
    ck_assert_int_eq(review(1, "--accept", "  王复核 ", "看过"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM review_verdicts WHERE by_whom = '王复核'"), 2);
}
END_TEST

START_TEST(a_code_pasted_with_spaces_or_full_width_is_found)
{
    /* "9121 0302 ..." in full-width digits with an ideographic space. */
    char pasted[256];
    int n = 0;
    for (int i = 0; i < 18; i++) {
        unsigned char ch = (unsigned char)codes[1][i];
        if (i == 4)
            n += snprintf(pasted + n, sizeof pasted - n, "\xE3\x80\x80"); /* U+3000 */
        /* U+FF10 + digit, U+FF21 + letter: three bytes each */
        unsigned cp = ch >= 'A' ? 0xFF21u + (ch - 'A') : 0xFF10u + (ch - '0');
        n += snprintf(pasted + n, sizeof pasted - n, "%c%c%c", (char)(0xE0 | (cp >> 12)),
                      (char)(0x80 | ((cp >> 6) & 0x3F)), (char)(0x80 | (cp & 0x3F)));
    }
    strcat(pasted, " ");
    ck_assert_int_eq(rebate("review", "--db", db_path, "--year", "2022", "--uscc", pasted, "--accept", "--by",
                            "王复核", "--note", "核实", NULL), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM review_verdicts WHERE uscc = '%s'", codes[1]), 1);
    ck_assert_int_eq(rebate("explain", "--db", db_path, "--year", "2022", "--uscc", " 9121 0302", NULL), 64);
}
END_TEST

START_TEST(verdict_lapses_on_a_changed_amount_and_on_a_new_reason)
{
    ck_assert_int_eq(review(1, "--accept", "王复核", "退休"), 0);
    /* December of 2021 reads 6: the rate changes but not the amount; then a
     * new name: NAME_MISMATCH is a reason the verdict did not cover. */
    write_extracts("鞍山市铁西区红旗五金公司", 7);
    ck_assert_int_eq(rebate("explain", "--db", db_path, "--year", "2022", "--uscc", codes[1], NULL), 0);
    ck_assert_msg(strstr(out_text, "复核结论已失效") != NULL && strstr(out_text, "NAME_MISMATCH") != NULL, "%s",
                  out_text);
    ck_assert_msg(run_batch("2026-11-27") == 0, "run: %s", err_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM decisions WHERE uscc = '%s' AND outcome = 'REVIEW'"
                            " AND reasons = 'LAYOFF_HIGH;NAME_MISMATCH' AND verdict_id IS NULL", codes[1]), 1);
    /* Back to the old name, but one month less paid in full: the amount changes. */
    write_extracts(names[1], 7);
    ck_assert_int_eq(rebate("explain", "--db", db_path, "--year", "2022", "--uscc", codes[1], NULL), 0);
    ck_assert_msg(strstr(out_text, "复核结论适用") != NULL, "%s", out_text);
    char *text = NULL;
    /* rewrite contributions with one employer amount changed by one fen */
    char path[8400];
    snprintf(path, sizeof path, "%s/contributions.csv", in_dir);
    text = ts_read_file(path, NULL);
    char *hit = strstr(text, "202103,7,150.00,150.00");
    ck_assert(hit != NULL);
    memcpy(hit + strlen("202103,7,"), "150.01,150.01", 13);
    ts_write_file(in_dir, "contributions.csv", text, (size_t)-1);
    free(text);
    ck_assert_int_eq(rebate("import", "--db", db_path, in_dir, NULL), 0);
    ck_assert_int_eq(rebate("explain", "--db", db_path, "--year", "2022", "--uscc", codes[1], NULL), 0);
    ck_assert_msg(strstr(out_text, "复核结论已失效：金额") != NULL, "%s", out_text);
    ck_assert_msg(run_batch("2026-11-28") == 0, "run: %s", err_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments WHERE uscc = '%s'", codes[1]), 0);
}
END_TEST

/* Clerk details of explain: the invalid characters of an account shown in
 * place, a missing month linked to the rejected row that would have given it. */
START_TEST(explain_shows_what_to_fix)
{
    ck_assert_int_eq(rebate("explain", "--db", db_path, "--year", "2022", "--uscc", codes[2], NULL), 0);
    ck_assert_msg(strstr(out_text, "银行账号 **************345X7") != NULL, "%s", out_text);
    ck_assert_msg(strstr(out_text, "6222020708") == NULL, "%s", out_text);
    /* March 2021 of firm 0 (line 5) with an amount that is no amount. */
    char path[8400];
    snprintf(path, sizeof path, "%s/contributions.csv", in_dir);
    char *text = ts_read_file(path, NULL);
    char want[64];
    snprintf(want, sizeof want, "%s,202103,5,150.00", codes[0]);
    char *hit = strstr(text, want);
    ck_assert_ptr_nonnull(hit);
    memcpy(hit + strlen(codes[0]) + strlen(",202103,5,"), "15O.00", 6);
    ts_write_file(in_dir, "contributions.csv", text, (size_t)-1);
    free(text);
    ck_assert_int_eq(rebate("import", "--db", db_path, in_dir, NULL), 0);
    ck_assert_int_eq(rebate("explain", "--db", db_path, "--year", "2022", "--uscc", codes[0], NULL), 0);
    ck_assert_msg(strstr(out_text, "2021年3月：没有载入的记录；应由 contributions.csv 第 5 行在导入时被拒绝") != NULL,
                  "%s", out_text);
    /* Several firms at once, each explained, none dropped. */
    ck_assert_int_eq(rebate("explain", "--db", db_path, "--year", "2022", "--uscc", codes[0], "--uscc", codes[1],
                            NULL),
                     0);
    ck_assert_msg(strstr(out_text, codes[0]) != NULL && strstr(out_text, codes[1]) != NULL &&
                      strstr(out_text, "（2/2）") != NULL,
                  "%s", out_text);
}
END_TEST

START_TEST(verdicts_and_events_cannot_be_changed_from_sqlite3)
{
    ck_assert_int_eq(review(1, "--accept", "王复核", "退休"), 0);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db, "UPDATE review_verdicts SET by_whom = 'x'", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM review_verdicts", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db, "UPDATE events SET by_whom = 'x'", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM events", NULL, NULL, NULL), SQLITE_OK);
    /* The clearable set is data: a row naming a reject reason is refused at the next decision. */
    ck_assert_int_eq(sqlite3_exec(db, "INSERT INTO clearable_reasons VALUES ('ARREARS', 'x')", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    ck_assert_int_eq(db_int("SELECT count(*) FROM review_verdicts WHERE by_whom = '王复核'"), 1);
    ck_assert_int_eq(rebate("explain", "--db", db_path, "--year", "2022", "--uscc", codes[1], NULL), 70);
    ck_assert_msg(strstr(err_text, "clearable_reasons") != NULL, "%s", err_text);
}
END_TEST

/* A verdict is an input of the night: the nightly job that found nothing
 * changed decides again after one, and pays the accepted firm. */
START_TEST(a_verdict_wakes_a_quiet_night)
{
    ck_assert_msg(rebate("nightly", "--config", config_path, NULL) == 0, "%s", err_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM batches"), 1);
    ck_assert_msg(rebate("nightly", "--config", config_path, NULL) == 0, "%s", err_text);
    ck_assert_msg(strstr(out_text, "no decision changed, no batch published") != NULL, "%s", out_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM batches"), 1);
    ck_assert_int_eq(review(1, "--accept", "王复核", "减少的3人均为退休，已核对退休审批表"), 0);
    ck_assert_msg(rebate("nightly", "--config", config_path, NULL) == 0, "%s", err_text);
    ck_assert_int_eq(db_int("SELECT count(*) FROM batches"), 2);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments p JOIN batches b USING (batch_id)"
                            " WHERE p.uscc = '%s' AND b.batch_no = 2", codes[1]), 1);
}
END_TEST

static Suite *review_suite(void)
{
    Suite *s = suite_create("cli/review");
    TCase *tc = tcase_create("review");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, accepted_layoff_firm_is_paid_by_the_next_run);
    tcase_add_test(tc, a_verdict_wakes_a_quiet_night);
    tcase_add_test(tc, accepted_firm_is_approved_by_someone_else_than_its_reviewer);
    tcase_add_test(tc, rejected_firm_leaves_the_exceptions);
    tcase_add_test(tc, refusals);
    tcase_add_test(tc, a_code_pasted_with_spaces_or_full_width_is_found);
    tcase_add_test(tc, verdict_lapses_on_a_changed_amount_and_on_a_new_reason);
    tcase_add_test(tc, explain_shows_what_to_fix);
    tcase_add_test(tc, verdicts_and_events_cannot_be_changed_from_sqlite3);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(review_suite)
