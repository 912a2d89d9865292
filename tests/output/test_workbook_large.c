/* payout.xlsx of 100,000 payments (libxlsxwriter's constant-memory mode)
 * read back by LibreOffice: every cell equals payout.csv to the character
 * and to the fen, and the total row stores the exact total. Slow (a minute
 * or two of LibreOffice); REBATE_WORKBOOK_PAYMENTS sets another size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/workbook.h"
#include "rebate/csv_writer.h"
#include "test_support.h"
#include "workbook_check.h"

#define BATCH_ID "2024-20250301-001"

/* Payments of every shape: accounts of 8 to 32 digits, leading zeros
 * among them, names and banks Chinese, amounts from 0.01 to 99,999,999.99. */
static rb_fen write_payout_csv(const char *dir, long n)
{
    static const char *const header[] = {"seq", "batch_id", "reference", "uscc", "name", "account_name",
                                         "bank_name", "bank_code", "bank_account", "amount", "amount_in_words",
                                         "policy_year", "purpose"};
    static const char *const names[] = {"鞍山市恒通商贸有限公司", "鞍山市利民钢材经销有限公司", "天成（鞍山）装饰工程有限公司",
                                        "鞍山市新世纪餐饮管理有限公司（分公司）"};
    static const char *const banks[] = {"中国工商银行股份有限公司鞍山铁东支行", "鞍山银行股份有限公司千山支行"};
    char path[4300];
    snprintf(path, sizeof path, "%s/payout.csv", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    rb_csv_writer w;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_csv_begin(&w, f, path, header, 13, &err), RB_OK);
    rb_fen total = 0;
    unsigned long long state = 20250301;
    for (long i = 0; i < n; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        char uscc[32], reference[64], account[40], name[160], words[RB_WORDS_BUFSZ];
        snprintf(uscc, sizeof uscc, "912103%02ldMA%08ld", i % 100, i);
        snprintf(reference, sizeof reference, "2024-%s-%ld", uscc, 1 + i % 3);
        int digits = 8 + (int)((state >> 33) % 25);
        for (int d = 0; d < digits; d++)
            account[d] = (char)('0' + (d == 0 && i % 2 == 0 ? 0 : (int)((state >> (d % 40)) % 10)));
        account[digits] = '\0';
        snprintf(name, sizeof name, "%s%ld", names[i % 4], i);
        rb_fen amount = i == 0 ? 1 : i == 1 ? 9999999999 : (rb_fen)((state >> 20) % 100000000);
        rb_amount_in_words(amount, true, words);
        rb_csv_int(&w, i + 1);
        rb_csv_text(&w, BATCH_ID);
        rb_csv_text(&w, reference);
        rb_csv_text(&w, uscc);
        rb_csv_text(&w, name);
        rb_csv_text(&w, name);
        rb_csv_text(&w, banks[i % 2]);
        rb_csv_text(&w, i % 7 == 0 ? "" : "102223000100");
        rb_csv_text(&w, account);
        rb_csv_money(&w, amount);
        rb_csv_text(&w, words);
        rb_csv_int(&w, 2024);
        rb_csv_text(&w, "2024年失业保险稳岗返还");
        rb_csv_end_row(&w);
        total += amount;
    }
    ck_assert_int_eq(rb_csv_status(&w, &err), RB_OK);
    ck_assert_int_eq(fclose(f), 0);
    return total;
}

START_TEST(a_hundred_thousand_payments_read_back)
{
    const char *env = getenv("REBATE_WORKBOOK_PAYMENTS");
    long n = env && *env ? atol(env) : 100000;
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", ts_tmpdir());
    rb_fen total = write_payout_csv(dir, n);
    ts_write_file(dir, "exceptions.csv", "\xEF\xBB\xBFkind,uscc,name,reasons,detail,file,line,amount\r\n", (size_t)-1);
    rb_workbook_batch batch = {.dir = dir, .batch_id = BATCH_ID, .policy_year = 2024, .as_of = 20250301,
                               .payments = n, .total = total};
    rb_error err;
    rb_error_clear(&err);
    ck_assert_msg(rb_workbooks_write(&batch, &err) == RB_OK, "%s", err.message);
    if (wb_have_soffice("reading 100,000 payments back")) {
        char out[4300], raw[4300], cmd[9000], xlsx[4300], csv[4300], sheet[4400];
        snprintf(out, sizeof out, "%s/shown", dir);
        snprintf(raw, sizeof raw, "%s/raw", dir);
        snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s'", out, raw);
        ck_assert_int_eq(system(cmd), 0);
        snprintf(xlsx, sizeof xlsx, "%s/payout.xlsx", dir);
        snprintf(csv, sizeof csv, "%s/payout.csv", dir);
        wb_convert(xlsx, out, true);
        snprintf(sheet, sizeof sheet, "%s/payout-拨付明细.csv", out);
        wb_check_payout_sheet(csv, sheet, BATCH_ID);
        wb_convert(xlsx, raw, false);
        snprintf(sheet, sizeof sheet, "%s/payout-拨付明细.csv", raw);
        wb_check_stored_total(sheet, (size_t)n, total);
    }
    ts_rmtree(dir);
}
END_TEST

static Suite *workbook_large_suite(void)
{
    Suite *s = suite_create("output/workbook_large");
    TCase *tc = tcase_create("workbook_large");
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, a_hundred_thousand_payments_read_back);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(workbook_large_suite)
