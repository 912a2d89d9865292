/* Reading the batch workbooks back with a reader that is not their writer:
 * LibreOffice headless converts every sheet to CSV, which is compared cell
 * by cell with the CSV file the workbook was made from. Shared by the
 * workbook runners; they skip these checks, saying so, without soffice. */
#ifndef REBATE_TEST_WORKBOOK_CHECK_H
#define REBATE_TEST_WORKBOOK_CHECK_H

#include <csv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/money.h"
#include "rebate/words.h"
#include "csv_table.h"
#include "test_support.h"

#define WB_HELPER static __attribute__((unused))

/* Reads a CSV file as LibreOffice writes a sheet (not strictly RFC 4180);
 * fails the test when it cannot. */
WB_HELPER void wb_table_read(const char *path, csv_table *t)
{
    ck_assert_msg(csv_table_read_with(path, t, 0), "cannot parse %s", path);
}

WB_HELPER const char *wb_cell(const csv_table *t, size_t r, size_t c)
{
    ck_assert_msg(r < t->n_rows, "row %zu missing (%zu rows)", r + 1, t->n_rows);
    return c < t->widths[r] ? t->rows[r][c] : "";
}

/* True when LibreOffice is there; otherwise says why the checks are skipped. */
WB_HELPER bool wb_have_soffice(const char *what)
{
    if (system("command -v soffice >/dev/null 2>&1") == 0)
        return true;
    fprintf(stderr, "skipped: %s needs LibreOffice (soffice), which is not installed (scripts/setup.sh installs it)\n",
            what);
    return false;
}

/* Converts every sheet of xlsx to out/<name>-<sheet>.csv (UTF-8), the
 * cells as shown (as_shown) or their stored values. A profile of its own,
 * so that parallel conversions do not meet. */
WB_HELPER void wb_convert(const char *xlsx, const char *out, bool as_shown)
{
    char cmd[16384];
    int n = snprintf(cmd, sizeof cmd,
             "soffice -env:UserInstallation=file://%s/lo-profile --headless --norestore "
             "--convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,%s,false,false,-1' "
             "--outdir '%s' '%s' >'%s/soffice.log' 2>&1",
             out, as_shown ? "true" : "false", out, xlsx, out);
    ck_assert_msg(n > 0 && (size_t)n < sizeof cmd, "soffice command for %s too long", xlsx);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "soffice failed converting %s (see %s/soffice.log)", xlsx, out);
}

/* The text the CSV files hold without their formula guard (a workbook's
 * text cell is never a formula, so the workbook shows the value bare). */
WB_HELPER const char *wb_unguarded(const char *text)
{
    if (text[0] == '\'' && text[1] != '\0' && strchr("=+-@\t\r", text[1]) != NULL)
        return text + 1;
    return text;
}

/* "4,536.00" as shown, without the thousands separators. */
WB_HELPER void wb_plain_amount(const char *shown, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = shown; *p && n + 1 < size; p++)
        if (*p != ',')
            out[n++] = *p;
    out[n] = '\0';
}

/* A stored value as LibreOffice writes it ("69012", "0.01") to fen,
 * exactly; -1 when it is not such a number. */
WB_HELPER long long wb_value_fen(const char *text)
{
    long long yuan = 0, fen = 0;
    const char *p = text;
    if (!(*p >= '0' && *p <= '9'))
        return -1;
    while (*p >= '0' && *p <= '9')
        yuan = yuan * 10 + (*p++ - '0');
    if (*p == '.') {
        p++;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 2) {
            fen = fen * 10 + (*p++ - '0');
            digits++;
        }
        if (digits == 1)
            fen *= 10;
    }
    return *p == '\0' ? yuan * 100 + fen : -1;
}

/* The payout sheet read back (shown) equals payout.csv: every payment's
 * ten cells to the character and to the fen, then the total row with the
 * count, total and words, then the signature line. */
WB_HELPER void wb_check_payout_sheet(const char *payout_csv, const char *sheet_csv, const char *batch_id)
{
    csv_table csv, xl;
    wb_table_read(payout_csv, &csv);
    wb_table_read(sheet_csv, &xl);
    ck_assert_msg(strstr(wb_cell(&xl, 0, 0), "年失业保险稳岗返还（免申即享）拨付明细表") != NULL, "title: %s",
                  wb_cell(&xl, 0, 0));
    ck_assert_msg(strstr(wb_cell(&xl, 1, 0), batch_id) != NULL, "batch line: %s", wb_cell(&xl, 1, 0));
    static const char *const header[] = {"序号", "支付编号", "统一社会信用代码", "单位名称", "收款户名",
                                         "开户银行", "开户行行号", "银行账号", "返还金额（元）", "金额大写"};
    for (size_t c = 0; c < 10; c++)
        ck_assert_str_eq(wb_cell(&xl, 2, c), header[c]);
    /* payout.csv columns shown, in the workbook's order */
    static const size_t from[] = {0, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    size_t payments = csv.n_rows - 1;
    rb_fen total = 0;
    for (size_t i = 0; i < payments; i++) {
        size_t r = i + 3;
        for (size_t c = 0; c < 10; c++) {
            const char *want = wb_unguarded(wb_cell(&csv, i + 1, from[c]));
            char got[256];
            if (c == 8) {
                wb_plain_amount(wb_cell(&xl, r, c), got, sizeof got);
                rb_fen fen = 0;
                ck_assert(rb_money_parse(want, strlen(want), &fen) == RB_MONEY_OK);
                total += fen;
            } else {
                snprintf(got, sizeof got, "%s", wb_cell(&xl, r, c));
            }
            ck_assert_msg(strcmp(got, want) == 0, "payment %zu, column %s: the workbook shows '%s', payout.csv '%s'",
                          i + 1, header[c], got, want);
        }
    }
    size_t t = payments + 3;
    char count[64], shown[64], words[RB_WORDS_BUFSZ], exact[RB_MONEY_BUFSZ];
    snprintf(count, sizeof count, "共 %zu 笔", payments);
    ck_assert_str_eq(wb_cell(&xl, t, 0), "合计");
    ck_assert_str_eq(wb_cell(&xl, t, 1), count);
    wb_plain_amount(wb_cell(&xl, t, 8), shown, sizeof shown);
    ck_assert_str_eq(shown, rb_money_format(total, exact));
    rb_amount_in_words(total, true, words);
    ck_assert_str_eq(wb_cell(&xl, t, 9), words);
    ck_assert_str_eq(wb_cell(&xl, t + 2, 0), "制表人：　　　　复核人：　　　　审批人：　　　　日期：");
    ck_assert_uint_eq(xl.n_rows, t + 3);
    csv_table_free(&csv);
    csv_table_free(&xl);
}

/* The total row's stored value (sheet read back unformatted) is total. */
WB_HELPER void wb_check_stored_total(const char *sheet_csv, size_t payments, rb_fen total)
{
    csv_table xl;
    wb_table_read(sheet_csv, &xl);
    const char *v = wb_cell(&xl, payments + 3, 8);
    ck_assert_msg(wb_value_fen(v) == total, "the total row stores '%s', not %lld fen", v, (long long)total);
    csv_table_free(&xl);
}

#endif
