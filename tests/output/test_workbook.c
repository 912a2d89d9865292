/* payout.xlsx and exceptions.xlsx: written from the batch's CSV files with
 * the edge values finance must see whole (accounts of 19-21 digits with a
 * leading zero, a name of 60 Chinese characters, 0.01 and 99,999,999.99),
 * read back by LibreOffice cell by cell; REVIEW firms grouped by reason;
 * the same batch gives the same bytes; totals that disagree publish
 * nothing; and the sample batch of a real run reads back as its CSV. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/workbook.h"
#include "rebate/csv_writer.h"
#include "rebate/sha256.h"
#include "test_support.h"
#include "workbook_check.h"

#define BATCH_ID "2024-20250301-001"
#define AS_OF 20250301

typedef struct payment {
    const char *uscc, *name, *account_name, *bank_name, *bank_code, *account;
    rb_fen amount;
} payment;

static char long_name[256];

static void write_payout_csv(const char *dir, const payment *p, size_t n, rb_fen *total)
{
    static const char *const header[] = {"seq", "batch_id", "reference", "uscc", "name", "account_name",
                                         "bank_name", "bank_code", "bank_account", "amount", "amount_in_words",
                                         "policy_year", "purpose"};
    char path[4200];
    snprintf(path, sizeof path, "%s/payout.csv", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    rb_csv_writer w;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_csv_begin(&w, f, path, header, 13, &err), RB_OK);
    *total = 0;
    for (size_t i = 0; i < n; i++) {
        char reference[64], words[RB_WORDS_BUFSZ];
        snprintf(reference, sizeof reference, "2024-%s-1", p[i].uscc);
        rb_amount_in_words(p[i].amount, true, words);
        rb_csv_int(&w, (long long)i + 1);
        rb_csv_text(&w, BATCH_ID);
        rb_csv_text(&w, reference);
        rb_csv_text(&w, p[i].uscc);
        rb_csv_text(&w, p[i].name);
        rb_csv_text(&w, p[i].account_name);
        rb_csv_text(&w, p[i].bank_name);
        rb_csv_text(&w, p[i].bank_code);
        rb_csv_text(&w, p[i].account);
        rb_csv_money(&w, p[i].amount);
        rb_csv_text(&w, words);
        rb_csv_int(&w, 2024);
        rb_csv_text(&w, "2024年失业保险稳岗返还");
        rb_csv_end_row(&w);
        *total += p[i].amount;
    }
    ck_assert_int_eq(rb_csv_status(&w, &err), RB_OK);
    ck_assert_int_eq(fclose(f), 0);
}

/* Three firms for review (one with two reasons) and two rejected rows. */
static void write_exceptions_csv(const char *dir)
{
    ts_write_file(dir, "exceptions.csv",
                  "\xEF\xBB\xBFkind,uscc,name,reasons,detail,file,line,amount\r\n"
                  "ENTERPRISE,91210302MA0000001A,甲公司,NAME_MISMATCH,"
                  "NAME_MISMATCH 参保单位名称“甲厂”与登记名称“甲公司”不一致,,,100.00\r\n"
                  "ENTERPRISE,91210302MA0000002B,乙公司,ARREARS;NAME_MISMATCH,"
                  "ARREARS 2023年欠缴 10.00 元；NAME_MISMATCH 参保单位名称“乙厂”与登记名称“乙公司”不一致,,,200.00\r\n"
                  "ENTERPRISE,91210302MA0000003C,丙公司,AMOUNT_HIGH,"
                  "AMOUNT_HIGH 返还金额 300000.00 元超过复核限额 100000.00 元,,,300000.00\r\n"
                  "ROW,9121030,,USCC_INVALID,第12行“统一社会信用代码”“9121030”无效,registration.csv,12,\r\n"
                  "ROW,91210302MA0000004D,丁公司,MONEY_INVALID,第7行金额格式不正确,contributions.csv,7,\r\n",
                  (size_t)-1);
}

static const payment *edge_payments(size_t *n)
{
    /* 60 Chinese characters */
    long_name[0] = '\0';
    for (int i = 0; i < 15; i++)
        strcat(long_name, "恒通商贸");
    ck_assert_uint_eq(rb_display_width(long_name, strlen(long_name)), 120);
    static payment p[5];
    p[0] = (payment){"91210302MA0003FYBG", "鞍山市恒通商贸有限公司", "鞍山市恒通商贸有限公司",
                     "中国工商银行股份有限公司鞍山铁东支行", "102223000100", "0704201090001234000", 1};
    p[1] = (payment){"91210302MA0005BLGD", long_name, long_name, "中国银行股份有限公司鞍山湖南支行", "104223000177",
                     "01234567890123456789", 9999999999};
    p[2] = (payment){"91210302MA00077AMA", "=1+1鞍山商贸有限公司", "=1+1鞍山商贸有限公司", "鞍山银行", "",
                     "012345678901234567890", 480000};
    p[3] = (payment){"91210302MA000930T7", "鞍山市正阳装饰工程有限公司", "鞍山市正阳装饰工程有限公司",
                     "中国农业银行股份有限公司鞍山站前支行", "103223000311", "00000000", 100405};
    p[4] = (payment){"91210303MA0003Q6RL", "鞍山市鑫达机械制造有限公司", "鞍山市鑫达机械制造有限公司",
                     "中国建设银行股份有限公司鞍山铁西支行", "105223000111", "6222020200112233445", 10700053};
    *n = 5;
    return p;
}

static rb_workbook_batch edge_batch(const char *dir, rb_fen total)
{
    return (rb_workbook_batch){.dir = dir, .batch_id = BATCH_ID, .policy_year = 2024, .as_of = AS_OF,
                               .payments = 5, .total = total, .review_firms = 3, .rejected_rows = 2};
}

static void make_edge_folder(const char *dir, rb_fen *total)
{
    size_t n = 0;
    const payment *p = edge_payments(&n);
    write_payout_csv(dir, p, n, total);
    write_exceptions_csv(dir);
}

static char *path_in(const char *dir, const char *name)
{
    static char path[9000];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

START_TEST(edge_values_read_back_as_the_csv)
{
    const char *dir = ts_tmpdir();
    rb_fen total = 0;
    make_edge_folder(dir, &total);
    rb_workbook_batch batch = edge_batch(dir, total);
    rb_error err;
    rb_error_clear(&err);
    ck_assert_msg(rb_workbooks_write(&batch, &err) == RB_OK, "%s", err.message);
    if (!wb_have_soffice("reading the workbooks back")) {
        ts_rmtree(dir);
        return;
    }
    char shown[4300], raw[4300], cmd[9000];
    snprintf(shown, sizeof shown, "%s/shown", dir);
    snprintf(raw, sizeof raw, "%s/raw", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s'", shown, raw);
    ck_assert_int_eq(system(cmd), 0);
    char xlsx[4300];
    snprintf(xlsx, sizeof xlsx, "%s/payout.xlsx", dir);
    wb_convert(xlsx, shown, true);
    wb_convert(xlsx, raw, false);
    snprintf(xlsx, sizeof xlsx, "%s/exceptions.xlsx", dir);
    wb_convert(xlsx, shown, true);

    char csv[4300];
    snprintf(csv, sizeof csv, "%s/payout.csv", dir);
    wb_check_payout_sheet(csv, path_in(shown, "payout-拨付明细.csv"), BATCH_ID);
    wb_check_stored_total(path_in(raw, "payout-拨付明细.csv"), 5, total);

    /* Explicitly, the values finance must see whole. */
    csv_table t;
    wb_table_read(path_in(shown, "payout-拨付明细.csv"), &t);
    ck_assert_str_eq(wb_cell(&t, 3, 7), "0704201090001234000");
    ck_assert_str_eq(wb_cell(&t, 4, 7), "01234567890123456789");
    ck_assert_str_eq(wb_cell(&t, 5, 7), "012345678901234567890");
    ck_assert_str_eq(wb_cell(&t, 6, 7), "00000000");
    ck_assert_str_eq(wb_cell(&t, 3, 8), "0.01");
    ck_assert_str_eq(wb_cell(&t, 4, 8), "99,999,999.99");
    ck_assert_str_eq(wb_cell(&t, 4, 3), long_name);
    ck_assert_str_eq(wb_cell(&t, 5, 3), "=1+1鞍山商贸有限公司");
    ck_assert_str_eq(wb_cell(&t, 4, 9), "人民币玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分");
    csv_table_free(&t);

    /* 人工复核: grouped by the first reason in code order, each firm once. */
    wb_table_read(path_in(shown, "exceptions-人工复核.csv"), &t);
    ck_assert(strstr(wb_cell(&t, 0, 0), "人工复核清单") != NULL);
    ck_assert(strncmp(wb_cell(&t, 3, 0), "AMOUNT_HIGH ", 12) == 0 && strstr(wb_cell(&t, 3, 0), "（1 家）"));
    ck_assert_str_eq(wb_cell(&t, 4, 1), "91210302MA0000003C");
    ck_assert(strncmp(wb_cell(&t, 5, 0), "ARREARS ", 8) == 0);
    ck_assert_str_eq(wb_cell(&t, 6, 1), "91210302MA0000002B");
    ck_assert(strstr(wb_cell(&t, 6, 3), "ARREARS") && strstr(wb_cell(&t, 6, 3), "\nNAME_MISMATCH"));
    ck_assert_str_eq(wb_cell(&t, 6, 4), "ARREARS 2023年欠缴 10.00 元；\n"
                                        "NAME_MISMATCH 参保单位名称“乙厂”与登记名称“乙公司”不一致");
    ck_assert(strncmp(wb_cell(&t, 7, 0), "NAME_MISMATCH ", 14) == 0);
    ck_assert_str_eq(wb_cell(&t, 8, 1), "91210302MA0000001A");
    ck_assert_str_eq(wb_cell(&t, 9, 0), "合计");
    ck_assert_str_eq(wb_cell(&t, 9, 1), "共 3 家");
    ck_assert_str_eq(wb_cell(&t, 9, 5), "300,300.00");
    ck_assert_str_eq(wb_cell(&t, 11, 0), "制表人：　　　　复核人：　　　　审批人：　　　　日期：");
    csv_table_free(&t);

    /* 导入拒收行: the ROW rows in the CSV's order. */
    wb_table_read(path_in(shown, "exceptions-导入拒收行.csv"), &t);
    ck_assert_str_eq(wb_cell(&t, 3, 1), "registration.csv");
    ck_assert_str_eq(wb_cell(&t, 3, 2), "12");
    ck_assert_str_eq(wb_cell(&t, 3, 3), "9121030");
    ck_assert_str_eq(wb_cell(&t, 3, 5), "USCC_INVALID");
    ck_assert_str_eq(wb_cell(&t, 4, 4), "丁公司");
    ck_assert_str_eq(wb_cell(&t, 5, 1), "共 2 行");
    csv_table_free(&t);
    ts_rmtree(dir);
}
END_TEST

START_TEST(the_same_batch_gives_the_same_bytes)
{
    char first[4200], second[4200];
    snprintf(first, sizeof first, "%s", ts_tmpdir());
    snprintf(second, sizeof second, "%s", ts_tmpdir());
    rb_fen total = 0;
    make_edge_folder(first, &total);
    make_edge_folder(second, &total);
    rb_error err;
    rb_error_clear(&err);
    rb_workbook_batch a = edge_batch(first, total), b = edge_batch(second, total);
    ck_assert_int_eq(rb_workbooks_write(&a, &err), RB_OK);
    sleep(2); /* a clock in the file would now differ */
    ck_assert_int_eq(rb_workbooks_write(&b, &err), RB_OK);
    const char *names[] = {"payout.xlsx", "exceptions.xlsx"};
    for (int i = 0; i < 2; i++) {
        char x[RB_SHA256_HEX], y[RB_SHA256_HEX];
        ck_assert_int_eq(rb_sha256_file(path_in(first, names[i]), x, NULL), RB_OK);
        ck_assert_int_eq(rb_sha256_file(path_in(second, names[i]), y, NULL), RB_OK);
        ck_assert_msg(strcmp(x, y) == 0, "%s differs between two writings of the same batch", names[i]);
    }
    ts_rmtree(first);
    ts_rmtree(second);
}
END_TEST

static unsigned little16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static unsigned long little32(const unsigned char *p)
{
    return (unsigned long)little16(p) | (unsigned long)little16(p + 2) << 16;
}

/* Every entry of the zip at path, from its central directory: each must be
 * deflated (method 8) with the flag bits minizip sets for level 1 (bits 1
 * and 2, "super fast"); returns how many entries there are. */
static int entries_at_level_one(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static unsigned char zip[1 << 20];
    size_t len = fread(zip, 1, sizeof zip, f);
    ck_assert_int_eq(feof(f), 1); /* the whole file was read */
    fclose(f);
    /* The end-of-central-directory record: the last 22 bytes (no comment). */
    ck_assert_uint_ge(len, 22);
    const unsigned char *end = zip + len - 22;
    ck_assert_uint_eq(little32(end), 0x06054b50UL);
    unsigned entries = little16(end + 10);
    unsigned long at = little32(end + 16);
    for (unsigned i = 0; i < entries; i++) {
        ck_assert_uint_le(at + 46, len);
        const unsigned char *h = zip + at;
        ck_assert_uint_eq(little32(h), 0x02014b50UL);
        unsigned flags = little16(h + 8), method = little16(h + 10);
        unsigned name_len = little16(h + 28);
        ck_assert_msg(method == 8 && (flags & 6) == 6, "%s: entry %.*s has method %u, flags %#x (not level 1)", path,
                      (int)name_len, (const char *)h + 46, method, flags);
        at += 46 + name_len + little16(h + 30) + little16(h + 32);
    }
    return (int)entries;
}

/* src/output/workbook.c: every part of both workbooks is zipped at level 1,
 * not at libxlsxwriter's level 6. */
START_TEST(workbooks_are_zipped_at_level_one)
{
    const char *dir = ts_tmpdir();
    rb_fen total = 0;
    make_edge_folder(dir, &total);
    rb_error err;
    rb_error_clear(&err);
    rb_workbook_batch batch = edge_batch(dir, total);
    ck_assert_int_eq(rb_workbooks_write(&batch, &err), RB_OK);
    ck_assert_int_ge(entries_at_level_one(path_in(dir, "payout.xlsx")), 8);
    ck_assert_int_ge(entries_at_level_one(path_in(dir, "exceptions.xlsx")), 8);
    ts_rmtree(dir);
}
END_TEST

START_TEST(totals_that_disagree_are_refused)
{
    const char *dir = ts_tmpdir();
    rb_fen total = 0;
    make_edge_folder(dir, &total);
    rb_error err;
    rb_error_clear(&err);
    rb_workbook_batch batch = edge_batch(dir, total + 1);
    ck_assert_int_eq(rb_workbooks_write(&batch, &err), RB_E_INTERNAL);
    ck_assert_msg(strstr(err.message, "nothing was published") != NULL, "%s", err.message);
    unlink(path_in(dir, "payout.xlsx"));
    rb_error_clear(&err);
    batch = edge_batch(dir, total);
    batch.payments = 4;
    ck_assert_int_eq(rb_workbooks_write(&batch, &err), RB_E_INTERNAL);
    unlink(path_in(dir, "payout.xlsx"));
    rb_error_clear(&err);
    batch.payments = 5;
    batch.rejected_rows = 3;
    ck_assert_int_eq(rb_workbooks_write(&batch, &err), RB_E_INTERNAL);
    ck_assert_msg(strstr(err.message, "exceptions.csv") != NULL, "%s", err.message);
    ts_rmtree(dir);
}
END_TEST

/* A preview's workbooks say so, as its summary.txt does. */
START_TEST(a_preview_says_so)
{
    const char *dir = ts_tmpdir();
    rb_fen total = 0;
    make_edge_folder(dir, &total);
    rb_workbook_batch batch = edge_batch(dir, total);
    batch.dry_run = true;
    batch.batch_id = "PREVIEW-" BATCH_ID;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_msg(rb_workbooks_write(&batch, &err) == RB_OK, "%s", err.message);
    if (wb_have_soffice("reading a preview's workbooks back")) {
        char shown[4300], cmd[4400];
        snprintf(shown, sizeof shown, "%s/shown", dir);
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", shown);
        ck_assert_int_eq(system(cmd), 0);
        char xlsx[4300];
        snprintf(xlsx, sizeof xlsx, "%s/payout.xlsx", dir);
        wb_convert(xlsx, shown, true);
        snprintf(xlsx, sizeof xlsx, "%s/exceptions.xlsx", dir);
        wb_convert(xlsx, shown, true);
        const char *sheets[] = {"payout-拨付明细.csv", "exceptions-人工复核.csv", "exceptions-导入拒收行.csv"};
        for (int i = 0; i < 3; i++) {
            csv_table t;
            wb_table_read(path_in(shown, sheets[i]), &t);
            ck_assert_msg(strncmp(wb_cell(&t, 0, 0), "【预览】", strlen("【预览】")) == 0, "%s: %s", sheets[i],
                          wb_cell(&t, 0, 0));
            ck_assert(strstr(wb_cell(&t, 1, 0), "PREVIEW-" BATCH_ID) != NULL);
            ck_assert(strstr(wb_cell(&t, 1, 0), "预览（DRY RUN）：未记入台账，不得据此拨付") != NULL);
            csv_table_free(&t);
        }
    }
    ts_rmtree(dir);
}
END_TEST

START_TEST(display_width_counts_chinese_as_two)
{
    ck_assert_uint_eq(rb_display_width("abc", 3), 3);
    ck_assert_uint_eq(rb_display_width("鞍山", strlen("鞍山")), 4);
    ck_assert_uint_eq(rb_display_width("（1）", strlen("（1）")), 5);
    ck_assert_uint_eq(rb_display_width("　", strlen("　")), 2);
}
END_TEST

/* The sample extracts through a real run: the workbook reads back as the
 * payout.csv beside it, and a second database given the same extracts and
 * day publishes workbooks of the same bytes. */
START_TEST(sample_batch_reads_back_and_repeats)
{
    char work[4200];
    snprintf(work, sizeof work, "%s", ts_tmpdir());
    char sample[4200];
    snprintf(sample, sizeof sample, "%s/data/sample", REBATE_SOURCE_DIR);
    char folders[2][4400];
    for (int i = 0; i < 2; i++) {
        char db[4300], out[4300];
        snprintf(db, sizeof db, "%s/db%d", work, i);
        snprintf(out, sizeof out, "%s/out%d", work, i);
        ts_init_db(db);
        ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", db, sample, (char *)NULL), 0);
        ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", db, "--year", "2022", "--out", out, "--as-of",
                                       "2026-11-27", (char *)NULL),
                         0);
        snprintf(folders[i], sizeof folders[i], "%s/2022-20261127-001", out);
    }
    const char *names[] = {"payout.xlsx", "exceptions.xlsx"};
    for (int i = 0; i < 2; i++) {
        char x[RB_SHA256_HEX], y[RB_SHA256_HEX];
        ck_assert_int_eq(rb_sha256_file(path_in(folders[0], names[i]), x, NULL), RB_OK);
        ck_assert_int_eq(rb_sha256_file(path_in(folders[1], names[i]), y, NULL), RB_OK);
        ck_assert_msg(strcmp(x, y) == 0, "%s differs between two runs of the same batch", names[i]);
    }
    if (wb_have_soffice("reading the sample workbook back")) {
        char shown[4300], cmd[8800];
        snprintf(shown, sizeof shown, "%s/shown", work);
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", shown);
        ck_assert_int_eq(system(cmd), 0);
        char xlsx[4500], csv[4500];
        snprintf(xlsx, sizeof xlsx, "%s/payout.xlsx", folders[0]);
        snprintf(csv, sizeof csv, "%s/payout.csv", folders[0]);
        wb_convert(xlsx, shown, true);
        wb_check_payout_sheet(csv, path_in(shown, "payout-拨付明细.csv"), "2022-20261127-001");
    }
    ts_rmtree(work);
}
END_TEST

static Suite *workbook_suite(void)
{
    Suite *s = suite_create("output/workbook");
    TCase *tc = tcase_create("workbook");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, display_width_counts_chinese_as_two);
    tcase_add_test(tc, workbooks_are_zipped_at_level_one);
    tcase_add_test(tc, totals_that_disagree_are_refused);
    tcase_add_test(tc, the_same_batch_gives_the_same_bytes);
    tcase_add_test(tc, edge_values_read_back_as_the_csv);
    tcase_add_test(tc, a_preview_says_so);
    tcase_add_test(tc, sample_batch_reads_back_and_repeats);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(workbook_suite)
