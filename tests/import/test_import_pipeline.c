/* Tests of the import's way through threads, sorted runs and the reading
 * of a file once (src/import/import.c): an extract whose repeats and
 * conflicts lie far apart gives the same snapshot whether it is sorted in
 * memory or through hundreds of runs on disk, with the accounting of the
 * spec; a file found not to be UTF-8 part-way is read again as GB18030
 * without keeping anything of the first reading; and a failure met before
 * that is not the file's failure when the file is GB18030. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import/import_internal.h"
#include "rebate/db.h"
#include "rebate/strbuf.h"
#include "rebate/uscc.h"
#include "test_support.h"

#define FIRMS 400

static char root[4096], in_dir[4200];

static void setup(void)
{
    snprintf(root, sizeof root, "%s", ts_tmpdir());
    snprintf(in_dir, sizeof in_dir, "%s/in", root);
    ck_assert_int_eq(mkdir(in_dir, 0700), 0);
}

static void teardown(void)
{
    ts_rmtree(root);
}

static void code_of(int i, char out[RB_USCC_LEN + 1])
{
    snprintf(out, RB_USCC_LEN + 1, "91210302%09d", i);
    out[17] = rb_uscc_check_char(out);
    out[18] = '\0';
}

/* Lines of one extract, written in a shuffled order after the header. */
typedef struct lines {
    char **line;
    size_t n, cap;
} lines;

static void add_line(lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_line(lines *l, const char *fmt, ...)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->line = realloc(l->line, l->cap * sizeof *l->line);
        ck_assert(l->line != NULL);
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ck_assert(n > 0 && (size_t)n < sizeof buf);
    l->line[l->n] = strdup(buf);
    ck_assert(l->line[l->n++] != NULL);
}

static void write_shuffled(const char *name, const char *header, lines *l, unsigned seed)
{
    for (size_t i = l->n; i > 1; i--) {
        seed = seed * 1103515245u + 12345u;
        size_t j = (seed >> 8) % i;
        char *t = l->line[i - 1];
        l->line[i - 1] = l->line[j];
        l->line[j] = t;
    }
    rb_strbuf text = RB_STRBUF_INIT;
    ck_assert(rb_strbuf_adds(&text, header));
    for (size_t i = 0; i < l->n; i++) {
        ck_assert(rb_strbuf_adds(&text, l->line[i]));
        free(l->line[i]);
    }
    free(l->line);
    ts_write_file(in_dir, name, text.buf, text.len);
    rb_strbuf_release(&text);
}

/* The accounting the spec gives for what is written, counted while writing. */
typedef struct counts {
    long long read, loaded, rejected, duplicates, conflicting;
} counts;

/* Per firm i, keys with: an exact duplicate spelled otherwise (i % 6 == 0),
 * a conflict (1), a duplicate then a conflict then the first row again (2),
 * a rejected row (3). Rows of every kind end up far apart after the
 * shuffle. */
static void write_extracts(counts c[3])
{
    memset(c, 0, 3 * sizeof *c);
    lines reg = {0}, units = {0}, contrib = {0};
    for (int i = 0; i < FIRMS; i++) {
        char code[RB_USCC_LEN + 1], lower[RB_USCC_LEN + 1];
        code_of(i, code);
        memcpy(lower, code, sizeof lower);
        for (int k = 0; k < RB_USCC_LEN; k++)
            if (lower[k] >= 'A' && lower[k] <= 'Z')
                lower[k] = (char)(lower[k] - 'A' + 'a');
        int kind = i % 6;
        /* registration */
        add_line(&reg, "%s,企业%d,存续,2015-03-01,,210302,,\n", code, i);
        if (kind == 0)
            add_line(&reg, "%s,企业%d,存续,20150301,,210302,,0\n", lower, i);
        else if (kind == 1)
            add_line(&reg, "%s,企业%d改,存续,2015-03-01,,210302,,\n", code, i);
        else if (kind == 2) {
            add_line(&reg, "%s,企业%d,存续,2015-03-01,,210302,,\n", code, i);
            add_line(&reg, "%s,企业%d,存续,2016-03-01,,210302,,\n", code, i);
            add_line(&reg, "%s,企业%d,存续,2015-03-01,,210302,,否\n", code, i);
        } else if (kind == 3)
            add_line(&reg, "%s,企业%d,存续,2015-02-30,,210302,,\n", code, i);
        c[0].read += kind == 0 || kind == 1 || kind == 3 ? 2 : kind == 2 ? 4 : 1;
        c[0].loaded += kind == 1 || kind == 2 ? 0 : 1;
        c[0].duplicates += kind == 0;
        c[0].conflicting += kind == 1 ? 2 : kind == 2 ? 4 : 0;
        c[0].rejected += kind == 3;
        /* insured_units */
        add_line(&units, "%s,U%d,企业%d,2016-01-01,正常,企业%d,工商银行,6222 0000 1111 %04d,,102223000011\n", code, i, i,
                 i, i);
        if (kind == 0)
            add_line(&units, "%s,U%d,企业%d,20160101,正常,企业%d,工商银行,6222-0000-1111-%04d,对公,102223000011\n",
                     code, i, i, i, i);
        c[1].read += kind == 0 ? 2 : 1;
        c[1].loaded += 1;
        c[1].duplicates += kind == 0;
        /* contributions: 24 months */
        for (int m = 0; m < 24; m++) {
            int period = (2023 + m / 12) * 100 + m % 12 + 1;
            add_line(&contrib, "%s,%d,5,135.00,135.00,67.50,67.50,%s\n", code, period, m == 7 ? "1" : "");
            c[2].read++;
            if (m != 4 && m != 5 && m != 6)
                continue;
            if (kind == 0 && m == 4) {
                add_line(&contrib, "%s,%d-%02d,5,135,135.0,67.5,67.50,0\n", lower, period / 100, period % 100);
                c[2].read++, c[2].duplicates++;
            } else if (kind == 1 && m == 5) {
                add_line(&contrib, "%s,%d,5,135.00,100.00,67.50,67.50,\n", lower, period);
                c[2].read++, c[2].conflicting += 2;
                continue;
            } else if (kind == 2 && m == 6) {
                add_line(&contrib, "%s,%d,5,135.00,135.00,67.50,67.50,\n", code, period);
                add_line(&contrib, "%s,%d,6,135.00,135.00,67.50,67.50,\n", code, period);
                add_line(&contrib, "%s,%d,5,135.00,135.00,67.50,67.50,\n", code, period);
                c[2].read += 3, c[2].conflicting += 4;
                continue;
            } else if (kind == 3 && m == 6) {
                add_line(&contrib, "%s,%d,5,135.00,-1,67.50,67.50,\n", code, period);
                c[2].read++, c[2].rejected++;
            }
            c[2].loaded++;
            continue;
        }
        c[2].loaded += 24 - 3;
    }
    write_shuffled("registration.csv",
                   "uscc,name,status,established_on,deregistered_on,region_code,industry_code,serious_dishonesty\n",
                   &reg, 1);
    write_shuffled("insured_units.csv",
                   "uscc,unit_no,unit_name,insured_on,ui_status,account_name,bank_name,bank_account,account_source,"
                   "bank_code\n",
                   &units, 2);
    write_shuffled("contributions.csv",
                   "uscc,period,insured_count,employer_due,employer_paid,employee_due,employee_paid,new_claimants\n",
                   &contrib, 3);
}

/* Everything the snapshot holds, as text. */
static char *dump(sqlite3 *db)
{
    static const char *const queries[] = {
        "SELECT * FROM registration ORDER BY uscc",
        "SELECT * FROM insured_units ORDER BY uscc",
        "SELECT * FROM contributions ORDER BY uscc, period",
        "SELECT file, line, column_name, value, rule, message, uscc_field, uscc, uscc_prefix FROM row_errors"
        " ORDER BY file, line",
        "SELECT * FROM duplicate_rows ORDER BY file, line",
        "SELECT file, sha256, encoding, rows_read, rows_loaded, rows_rejected, rows_duplicate, rows_conflicting"
        " FROM import_files ORDER BY file",
    };
    rb_strbuf out = RB_STRBUF_INIT;
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        sqlite3_stmt *st = NULL;
        ck_assert_msg(sqlite3_prepare_v2(db, queries[q], -1, &st, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
        ck_assert(rb_strbuf_addf(&out, "== %s\n", queries[q]));
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (int i = 0; i < sqlite3_column_count(st); i++) {
                const unsigned char *t = sqlite3_column_text(st, i);
                ck_assert(rb_strbuf_addf(&out, "%s%s", i ? "|" : "", t ? (const char *)t : "NULL"));
            }
            ck_assert(rb_strbuf_addch(&out, '\n'));
        }
        sqlite3_finalize(st);
    }
    char *copy = strdup(out.buf);
    rb_strbuf_release(&out);
    return copy;
}

static char *import_into(const char *name, size_t sort_memory, rb_import_report *report)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", root, name);
    sqlite3 *db = NULL;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_msg(rb_db_init(path, &db, &err) == RB_OK, "%s", err.message);
    ck_assert_msg(rb_import_sized(db, in_dir, RB_ENCODING_AUTO, sort_memory, report, &err) == RB_OK, "%s",
                  err.message);
    char *text = dump(db);
    rb_db_close(db);
    return text;
}

START_TEST(many_runs_give_the_same_snapshot)
{
    counts expected[3];
    write_extracts(expected);
    rb_import_report in_memory, on_disk;
    char *a = import_into("memory.db", 64 * 1024 * 1024, &in_memory);
    /* 4 KiB at a time: a few dozen records a run, hundreds of runs. */
    char *b = import_into("disk.db", 4096, &on_disk);
    ck_assert_msg(strcmp(a, b) == 0, "the snapshots differ");
    for (int f = 0; f < 3; f++) {
        const rb_import_file_report *r = &on_disk.files[f];
        ck_assert_int_eq(r->rows_read, expected[f].read);
        ck_assert_int_eq(r->rows_loaded, expected[f].loaded);
        ck_assert_int_eq(r->rows_rejected, expected[f].rejected);
        ck_assert_int_eq(r->rows_duplicate, expected[f].duplicates);
        ck_assert_int_eq(r->rows_conflicting, expected[f].conflicting);
        ck_assert_int_eq(in_memory.files[f].rows_loaded, expected[f].loaded);
    }
    /* A conflict's sentence quotes this row's field as read and the loaded
     * row's value as stored; the row of a lower-case code keeps it as read. */
    char code[RB_USCC_LEN + 1];
    code_of(1, code);
    char needle[512];
    snprintf(needle, sizeof needle, "但“单位实缴”不同（“100.00”与“135.00”）");
    ck_assert_msg(strstr(b, needle) != NULL, "no conflict sentence of firm 1");
    free(a);
    free(b);
}
END_TEST

START_TEST(file_found_not_utf8_is_read_again_as_gb18030)
{
    /* 60,000 rows, every tenth rejected, before a GB18030 character in an
     * unknown column: the first reading (as UTF-8) hands rows and row errors
     * on to the other threads before it meets that byte. */
    rb_strbuf text = RB_STRBUF_INIT;
    char code[RB_USCC_LEN + 1];
    ck_assert(rb_strbuf_adds(&text, "uscc,period,insured_count,employer_due,employer_paid,employee_due,"
                                    "employee_paid,memo\n"));
    long long rows = 0, rejected = 0;
    for (int i = 1; i <= 60000; i++, rows++) {
        code_of(i, code);
        bool bad = i % 10 == 1;
        rejected += bad;
        ck_assert(rb_strbuf_addf(&text, "%s,202001,5,%s,1.00,1.00,1.00,x\n", code, bad ? "abc" : "1.00"));
    }
    code_of(2, code);
    ck_assert(rb_strbuf_addf(&text, "%s,202002,5,1.00,1.00,1.00,1.00,\xB0\xA1\n", code)); /* 啊 in GB18030 */
    rows++;
    ts_write_file(in_dir, "contributions.csv", text.buf, text.len);
    rb_strbuf_release(&text);
    ts_write_file(in_dir, "registration.csv", "uscc,name,status,established_on,region_code\n", (size_t)-1);
    ts_write_file(in_dir, "insured_units.csv", "uscc,unit_name,insured_on,ui_status\n", (size_t)-1);
    rb_import_report report;
    char *snapshot = import_into("r.db", 1024 * 1024, &report);
    const rb_import_file_report *f = &report.files[2];
    ck_assert_str_eq(f->encoding, "gb18030");
    ck_assert_int_eq(f->rows_read, rows);
    ck_assert_int_eq(f->rows_rejected, rejected);
    ck_assert_int_eq(f->rows_loaded, rows - rejected);
    ck_assert_int_eq(f->rows_duplicate, 0);
    char path[4300];
    snprintf(path, sizeof path, "%s/r.db", root);
    sqlite3 *db = ts_open_db(path);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM row_errors"), rejected);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(DISTINCT line) FROM row_errors"), rejected);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM contributions"), rows - rejected);
    sqlite3_close(db);
    free(snapshot);
}
END_TEST

START_TEST(failure_before_a_gb18030_byte_is_judged_as_gb18030)
{
    /* As UTF-8 the header lacks 单位实缴 (employer_paid); but line 10002
     * shows the file is not UTF-8, and read as GB18030 the header names nothing
     * known: the first column it lacks is uscc. */
    rb_strbuf text = RB_STRBUF_INIT;
    ck_assert(rb_strbuf_adds(&text, "统一社会信用代码,缴费年月,参保人数,单位应缴,个人应缴,个人实缴\n"));
    /* 200 KB of rows, so that the header is read (as UTF-8) before the
     * reader comes to the GB18030 character. */
    for (int i = 0; i < 10000; i++)
        ck_assert(rb_strbuf_adds(&text, "x,202001,5,1,1,1\n"));
    ck_assert(rb_strbuf_adds(&text, "\xB0\xA1,202001,5,1,1,1\n"));
    ts_write_file(in_dir, "contributions.csv", text.buf, text.len);
    rb_strbuf_release(&text);
    ts_write_file(in_dir, "registration.csv", "uscc,name,status,established_on,region_code\n", (size_t)-1);
    ts_write_file(in_dir, "insured_units.csv", "uscc,unit_name,insured_on,ui_status\n", (size_t)-1);
    char path[4300];
    snprintf(path, sizeof path, "%s/r.db", root);
    sqlite3 *db = NULL;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_db_init(path, &db, &err), RB_OK);
    rb_import_report report;
    ck_assert_int_eq(rb_import_sized(db, in_dir, RB_ENCODING_AUTO, 4096, &report, &err), RB_E_DATA);
    ck_assert_str_eq(err.message,
                     "cannot import 'contributions.csv': its header (line 1) has no column 'uscc' (统一社会信用代码)");
    rb_db_close(db);
}
END_TEST

static Suite *pipeline_suite(void)
{
    Suite *s = suite_create("import/pipeline");
    TCase *tc = tcase_create("pipeline");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, many_runs_give_the_same_snapshot);
    tcase_add_test(tc, file_found_not_utf8_is_read_again_as_gb18030);
    tcase_add_test(tc, failure_before_a_gb18030_byte_is_judged_as_gb18030);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(pipeline_suite)
