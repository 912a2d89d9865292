/* Tests of the CSV writer: the exact bytes (BOM, CRLF, header), every RFC 4180
 * quoting case, the formula guard for each of its six starters and for
 * nothing else, and write failures on a full device. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "rebate/csv_writer.h"
#include "test_support.h"

static char tmp_path[4200];

/* Opens a fresh file to write a CSV into. */
static FILE *open_tmp(void)
{
    snprintf(tmp_path, sizeof tmp_path, "%s/out.csv", ts_tmpdir());
    FILE *f = fopen(tmp_path, "wb");
    ck_assert(f != NULL);
    return f;
}

/* Closes the file and checks that it holds exactly expected. */
static void check_bytes(FILE *f, const char *expected)
{
    ck_assert_int_eq(fclose(f), 0);
    size_t len = 0;
    char *got = ts_read_file(tmp_path, &len);
    ck_assert(got != NULL);
    ck_assert_msg(len == strlen(expected) && memcmp(got, expected, len) == 0, "got [%s], expected [%s]", got,
                  expected);
    free(got);
    char *slash = strrchr(tmp_path, '/');
    *slash = '\0';
    ts_rmtree(tmp_path);
}

static const char *const one_column[] = {"value"};
#define BOM "\xEF\xBB\xBF"

/* A file of one text column: each cell on its own row. */
static void check_text_cells(const char *const *cells, size_t n, const char *expected_body)
{
    FILE *f = open_tmp();
    rb_csv_writer w;
    rb_error err = {0};
    ck_assert_int_eq(rb_csv_begin(&w, f, tmp_path, one_column, 1, &err), RB_OK);
    for (size_t i = 0; i < n; i++) {
        rb_csv_text(&w, cells[i]);
        rb_csv_end_row(&w);
    }
    ck_assert_int_eq(rb_csv_status(&w, &err), RB_OK);
    char expected[1024];
    snprintf(expected, sizeof expected, BOM "value\r\n%s", expected_body);
    check_bytes(f, expected);
}

START_TEST(test_csv_bom_header_crlf_exact)
{
    FILE *f = open_tmp();
    rb_csv_writer w;
    rb_error err = {0};
    static const char *const header[] = {"seq", "name", "amount"};
    ck_assert_int_eq(rb_csv_begin(&w, f, tmp_path, header, 3, &err), RB_OK);
    rb_csv_int(&w, 1);
    rb_csv_text(&w, "北京某某科技有限公司");
    rb_csv_money(&w, 480000);
    rb_csv_end_row(&w);
    rb_csv_int(&w, 2);
    rb_csv_text(&w, NULL);
    rb_csv_money(&w, 5);
    rb_csv_end_row(&w);
    ck_assert_int_eq(rb_csv_status(&w, &err), RB_OK);
    check_bytes(f, "\xEF\xBB\xBF"
                   "seq,name,amount\r\n"
                   "1,北京某某科技有限公司,4800.00\r\n"
                   "2,,0.05\r\n");
}
END_TEST

START_TEST(test_csv_header_only)
{
    FILE *f = open_tmp();
    rb_csv_writer w;
    rb_error err = {0};
    static const char *const header[] = {"a,b", "c"};
    ck_assert_int_eq(rb_csv_begin(&w, f, tmp_path, header, 2, &err), RB_OK);
    ck_assert_int_eq(rb_csv_status(&w, &err), RB_OK);
    check_bytes(f, BOM "\"a,b\",c\r\n");
}
END_TEST

START_TEST(test_csv_quoting)
{
    static const char *const cells[] = {
        "plain",          /* nothing special: bare */
        "a,b",            /* comma */
        "say \"hi\"",     /* quotes doubled */
        "\"",             /* a lone quote */
        "line1\nline2",   /* LF */
        "line1\r\nline2", /* CRLF */
        "a\rb",           /* CR */
        " spaced ",       /* spaces are data, not quoted */
        "",               /* empty */
        "开户银行,支行",  /* UTF-8 with a comma */
        "x\"\"y",         /* two quotes in a row */
        "semi;colon",     /* ; needs nothing */
    };
    check_text_cells(cells, sizeof cells / sizeof cells[0],
                     "plain\r\n"
                     "\"a,b\"\r\n"
                     "\"say \"\"hi\"\"\"\r\n"
                     "\"\"\"\"\r\n"
                     "\"line1\nline2\"\r\n"
                     "\"line1\r\nline2\"\r\n"
                     "\"a\rb\"\r\n"
                     " spaced \r\n"
                     "\r\n"
                     "\"开户银行,支行\"\r\n"
                     "\"x\"\"\"\"y\"\r\n"
                     "semi;colon\r\n");
}
END_TEST

START_TEST(test_csv_empty_fields_in_a_row)
{
    FILE *f = open_tmp();
    rb_csv_writer w;
    rb_error err = {0};
    static const char *const header[] = {"a", "b", "c"};
    ck_assert_int_eq(rb_csv_begin(&w, f, tmp_path, header, 3, &err), RB_OK);
    rb_csv_text(&w, "");
    rb_csv_text(&w, NULL);
    rb_csv_text(&w, "");
    rb_csv_end_row(&w);
    ck_assert_int_eq(rb_csv_status(&w, &err), RB_OK);
    check_bytes(f, BOM "a,b,c\r\n,,\r\n");
}
END_TEST

START_TEST(test_csv_formula_guard_each_starter)
{
    static const char *const cells[] = {
        "=SUM(A1:A9)", "+8613800000000", "-1", "@cmd", "\tx", "\rx", "=1,2", "-\"q\"",
    };
    check_text_cells(cells, sizeof cells / sizeof cells[0],
                     "'=SUM(A1:A9)\r\n"
                     "'+8613800000000\r\n"
                     "'-1\r\n"
                     "'@cmd\r\n"
                     "'\tx\r\n"
                     "\"'\rx\"\r\n" /* CR: quoted, the guard inside the quotes */
                     "\"'=1,2\"\r\n"
                     "\"'-\"\"q\"\"\"\r\n");
}
END_TEST

START_TEST(test_csv_formula_guard_not_for_other_text)
{
    static const char *const cells[] = {
        "a=b", " =x", "'quoted", "0.50", "37.50", "中文=", "＝全角", "\n=x", "x-y",
    };
    check_text_cells(cells, sizeof cells / sizeof cells[0],
                     "a=b\r\n"
                     " =x\r\n"
                     "'quoted\r\n"
                     "0.50\r\n"
                     "37.50\r\n"
                     "中文=\r\n"
                     "＝全角\r\n"
                     "\"\n=x\"\r\n"
                     "x-y\r\n");
}
END_TEST

/* Money and integer cells are numbers: a minus sign is never guarded. */
START_TEST(test_csv_money_and_int_never_guarded)
{
    FILE *f = open_tmp();
    rb_csv_writer w;
    rb_error err = {0};
    static const char *const header[] = {"money", "int", "text"};
    ck_assert_int_eq(rb_csv_begin(&w, f, tmp_path, header, 3, &err), RB_OK);
    rb_csv_money(&w, -5);
    rb_csv_int(&w, -3);
    rb_csv_text(&w, "-3");
    rb_csv_end_row(&w);
    rb_csv_money(&w, 0);
    rb_csv_int(&w, 0);
    rb_csv_money(&w, INT64_MAX);
    rb_csv_end_row(&w);
    ck_assert_int_eq(rb_csv_status(&w, &err), RB_OK);
    check_bytes(f, BOM "money,int,text\r\n-0.05,-3,'-3\r\n0.00,0,92233720368547758.07\r\n");
}
END_TEST

/* A full disk: the error shows at the latest in rb_csv_status, names the
 * path and says why; later writes do nothing. */
START_TEST(test_csv_full_device_buffered)
{
    FILE *f = fopen("/dev/full", "wb");
    ck_assert(f != NULL);
    rb_csv_writer w;
    rb_error err = {0};
    ck_assert_int_eq(rb_csv_begin(&w, f, "/dev/full", one_column, 1, &err), RB_OK);
    rb_csv_text(&w, "a row");
    rb_csv_end_row(&w);
    ck_assert_int_eq(rb_csv_status(&w, &err), RB_E_CANTWRITE);
    ck_assert_int_eq(err.status, RB_E_CANTWRITE);
    ck_assert_msg(strstr(err.message, "'/dev/full'") != NULL, "%s", err.message);
    ck_assert_msg(strstr(err.message, "No space left on device") != NULL, "%s", err.message);
    /* Still failed when asked again. */
    rb_error again = {0};
    ck_assert_int_eq(rb_csv_status(&w, &again), RB_E_CANTWRITE);
    fclose(f);
}
END_TEST

START_TEST(test_csv_full_device_latches)
{
    FILE *f = fopen("/dev/full", "wb");
    ck_assert(f != NULL);
    /* Unbuffered: the BOM's write already fails, in rb_csv_begin. */
    ck_assert_int_eq(setvbuf(f, NULL, _IONBF, 0), 0);
    rb_csv_writer w;
    rb_error err = {0};
    ck_assert_int_eq(rb_csv_begin(&w, f, "/dev/full", one_column, 1, &err), RB_E_CANTWRITE);
    ck_assert(w.failed);
    ck_assert(strstr(err.message, "'/dev/full'") != NULL);
    rb_csv_text(&w, "ignored");
    rb_csv_money(&w, 100);
    rb_csv_int(&w, 1);
    rb_csv_end_row(&w);
    ck_assert(w.failed);
    rb_error later = {0};
    ck_assert_int_eq(rb_csv_status(&w, &later), RB_E_CANTWRITE);
    ck_assert(strstr(later.message, "No space left on device") != NULL);
    fclose(f);
}
END_TEST

/* Many rows on a full device: a write fails once the buffer fills, before
 * any rb_csv_status. */
START_TEST(test_csv_full_device_mid_file)
{
    FILE *f = fopen("/dev/full", "wb");
    ck_assert(f != NULL);
    rb_csv_writer w;
    rb_error err = {0};
    ck_assert_int_eq(rb_csv_begin(&w, f, "payout.csv", one_column, 1, &err), RB_OK);
    for (int i = 0; i < 100000 && !w.failed; i++) {
        rb_csv_text(&w, "a row long enough to fill a stdio buffer soon");
        rb_csv_end_row(&w);
    }
    ck_assert(w.failed);
    ck_assert_int_eq(rb_csv_status(&w, &err), RB_E_CANTWRITE);
    ck_assert(strstr(err.message, "cannot write 'payout.csv'") != NULL);
    fclose(f);
}
END_TEST

/* What libcsv read back: fields in order, and the rows' ends. */
typedef struct read_back {
    char fields[32][64];
    size_t n_fields;
    size_t n_rows;
} read_back;

static void on_field(void *data, size_t len, void *user)
{
    read_back *rb = user;
    ck_assert(rb->n_fields < 32 && len < 64);
    memcpy(rb->fields[rb->n_fields], data, len);
    rb->fields[rb->n_fields][len] = '\0';
    rb->n_fields++;
}

static void on_row(int terminator, void *user)
{
    (void)terminator;
    ((read_back *)user)->n_rows++;
}

/* Spaces are data: libcsv trims them by default. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

/* What we write, a strict RFC 4180 reader (libcsv) reads back unchanged. */
START_TEST(test_csv_round_trip_through_libcsv)
{
    static const char *const cells[] = {
        "plain", "a,b", "say \"hi\"", "\"", "line1\nline2", "line1\r\nline2", "a\rb", " spaced ", "", "开户银行,支行",
    };
    enum { N = sizeof cells / sizeof cells[0] };
    static const char *const header[N] = {"h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9"};
    FILE *f = open_tmp();
    rb_csv_writer w;
    rb_error err = {0};
    ck_assert_int_eq(rb_csv_begin(&w, f, tmp_path, header, N, &err), RB_OK);
    for (size_t i = 0; i < N; i++)
        rb_csv_text(&w, cells[i]);
    rb_csv_end_row(&w);
    ck_assert_int_eq(rb_csv_status(&w, &err), RB_OK);
    ck_assert_int_eq(fclose(f), 0);

    size_t len = 0;
    char *data = ts_read_file(tmp_path, &len);
    ck_assert(data != NULL && len > 3 && memcmp(data, BOM, 3) == 0);
    struct csv_parser parser;
    ck_assert_int_eq(csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI), 0);
    csv_set_space_func(&parser, no_space);
    read_back got = {0};
    ck_assert_uint_eq(csv_parse(&parser, data + 3, len - 3, on_field, on_row, &got), len - 3);
    ck_assert_int_eq(csv_fini(&parser, on_field, on_row, &got), 0);
    csv_free(&parser);
    free(data);
    ck_assert_uint_eq(got.n_rows, 2);
    ck_assert_uint_eq(got.n_fields, 2 * N);
    for (size_t i = 0; i < N; i++) {
        ck_assert_str_eq(got.fields[i], header[i]);
        ck_assert_str_eq(got.fields[N + i], cells[i]);
    }
    char *slash = strrchr(tmp_path, '/');
    *slash = '\0';
    ts_rmtree(tmp_path);
}
END_TEST

/* Money and integer cells are formatted by hand (no snprintf per row):
 * the same text as rb_money_format and %lld, at every edge. */
START_TEST(test_csv_money_and_int_as_printf)
{
    static const long long values[] = {0, 1, -1, 5, 9, 10, 99, 100, -100, 101, 480000, -480001, 123456789,
                                       INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1};
    size_t n = sizeof values / sizeof values[0];
    FILE *f = open_tmp();
    rb_csv_writer w;
    rb_error err = {0};
    static const char *const header[] = {"money", "int"};
    ck_assert_int_eq(rb_csv_begin(&w, f, tmp_path, header, 2, &err), RB_OK);
    char expected[4096] = BOM "money,int\r\n";
    for (size_t i = 0; i < n; i++) {
        rb_csv_money(&w, values[i]);
        rb_csv_int(&w, values[i]);
        rb_csv_end_row(&w);
        char money[RB_MONEY_BUFSZ];
        size_t at = strlen(expected);
        snprintf(expected + at, sizeof expected - at, "%s,%lld\r\n", rb_money_format(values[i], money), values[i]);
    }
    ck_assert_int_eq(rb_csv_status(&w, &err), RB_OK);
    check_bytes(f, expected);
}
END_TEST

/* A row longer than the writer's row buffer goes out in pieces, whole and
 * in order, quoting and all. */
START_TEST(test_csv_row_longer_than_buffer)
{
    size_t len = 3 * RB_CSV_ROW_BUFFER + 17;
    char *cell = malloc(len + 1), *expected = malloc(2 * len + 64);
    ck_assert(cell != NULL && expected != NULL);
    for (size_t i = 0; i < len; i++)
        cell[i] = i % 97 == 0 ? '"' : (char)('a' + i % 26);
    cell[len] = '\0';
    FILE *f = open_tmp();
    rb_csv_writer w;
    rb_error err = {0};
    ck_assert_int_eq(rb_csv_begin(&w, f, tmp_path, one_column, 1, &err), RB_OK);
    rb_csv_text(&w, cell);
    rb_csv_end_row(&w);
    rb_csv_text(&w, "after");
    rb_csv_end_row(&w);
    ck_assert_int_eq(rb_csv_status(&w, &err), RB_OK);
    char *e = expected + sprintf(expected, BOM "value\r\n\"");
    for (size_t i = 0; i < len; i++) {
        *e++ = cell[i];
        if (cell[i] == '"')
            *e++ = '"';
    }
    strcpy(e, "\"\r\nafter\r\n");
    check_bytes(f, expected);
    free(cell);
    free(expected);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("csv_writer");
    TCase *tc = tcase_create("csv_writer");
    tcase_add_test(tc, test_csv_bom_header_crlf_exact);
    tcase_add_test(tc, test_csv_header_only);
    tcase_add_test(tc, test_csv_quoting);
    tcase_add_test(tc, test_csv_empty_fields_in_a_row);
    tcase_add_test(tc, test_csv_formula_guard_each_starter);
    tcase_add_test(tc, test_csv_formula_guard_not_for_other_text);
    tcase_add_test(tc, test_csv_money_and_int_never_guarded);
    tcase_add_test(tc, test_csv_full_device_buffered);
    tcase_add_test(tc, test_csv_full_device_latches);
    tcase_add_test(tc, test_csv_full_device_mid_file);
    tcase_add_test(tc, test_csv_round_trip_through_libcsv);
    tcase_add_test(tc, test_csv_money_and_int_as_printf);
    tcase_add_test(tc, test_csv_row_longer_than_buffer);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
