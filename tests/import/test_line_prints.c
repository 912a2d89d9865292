/* Tests of the fingerprints of an extract's lines (src/import/line_prints.c)
 * and of what the import reads with them: the runs of RB_PRINT_LINES lines, their
 * hashes whatever the reading chunks, the lines counted with or without a
 * last line end, where a record was open (rb_csv_read_once), and the
 * reading of ranges of lines alone (rb_csv_read_ranges). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/csv_reader.h"
#include "import/line_prints.h"
#include "rebate/sha256.h"
#include "rebate/strbuf.h"
#include "test_support.h"

static char dir[4096];

static void setup(void)
{
    snprintf(dir, sizeof dir, "%s", ts_tmpdir());
}

static void teardown(void)
{
    ts_rmtree(dir);
}

static const char *write_csv(const char *data, size_t len)
{
    static char path[4200];
    ts_write_file(dir, "t.csv", data, len);
    snprintf(path, sizeof path, "%s/t.csv", dir);
    return path;
}

/* n lines "i,value i\n" (the last without its line end when cut). */
static void numbered_lines(rb_strbuf *out, int n, bool cut)
{
    rb_strbuf_reset(out);
    for (int i = 1; i <= n; i++)
        ck_assert(rb_strbuf_addf(out, "%d,value %d\n", i, i));
    if (cut && out->len > 0)
        out->buf[--out->len] = '\0';
}

static void prints_of(const char *data, size_t len, size_t piece, rb_line_prints *p)
{
    rb_line_prints_init(p);
    for (size_t at = 0; at < len; at += piece)
        rb_line_prints_add(p, (const unsigned char *)data + at, len - at < piece ? len - at : piece);
    ck_assert(rb_line_prints_finish(p));
}

START_TEST(lines_and_runs_are_counted)
{
    enum { L = RB_PRINT_LINES };
    static const struct {
        int lines;
        bool cut;
        size_t runs;
    } cases[] = {{0, false, 0}, {1, false, 1}, {1, true, 1}, {L, false, 1}, {L, true, 1},
                 {L + 1, false, 2}, {L + 1, true, 2}, {2 * L, false, 2}, {3 * L + 8, true, 4}};
    rb_strbuf text = RB_STRBUF_INIT;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        numbered_lines(&text, cases[c].lines, cases[c].cut);
        rb_line_prints p;
        prints_of(text.buf, text.len, 1000, &p);
        ck_assert_int_eq(p.lines, cases[c].lines);
        ck_assert_uint_eq(p.runs, cases[c].runs);
        ck_assert_uint_eq(p.offsets[p.runs], text.len);
        /* Each run begins where its first line does. */
        for (size_t r = 0; r < p.runs; r++) {
            char first[32];
            snprintf(first, sizeof first, "%zu,", r * RB_PRINT_LINES + 1);
            ck_assert_msg(strncmp(text.buf + p.offsets[r], first, strlen(first)) == 0, "run %zu begins elsewhere", r);
        }
        rb_line_prints_free(&p);
    }
    rb_strbuf_release(&text);
}
END_TEST

START_TEST(hashes_do_not_depend_on_the_reading_chunks)
{
    rb_strbuf text = RB_STRBUF_INIT;
    numbered_lines(&text, 300, true);
    rb_line_prints whole, bytewise, odd;
    prints_of(text.buf, text.len, text.len, &whole);
    prints_of(text.buf, text.len, 1, &bytewise);
    prints_of(text.buf, text.len, 37, &odd);
    ck_assert_uint_eq(whole.runs, (300 + RB_PRINT_LINES - 1) / RB_PRINT_LINES);
    ck_assert_mem_eq(whole.hashes, bytewise.hashes, whole.runs * RB_PRINT_HASH);
    ck_assert_mem_eq(whole.hashes, odd.hashes, whole.runs * RB_PRINT_HASH);
    ck_assert_int_eq(bytewise.lines, 300);
    rb_line_prints_free(&whole);
    rb_line_prints_free(&bytewise);
    rb_line_prints_free(&odd);
    rb_strbuf_release(&text);
}
END_TEST

START_TEST(a_changed_byte_changes_only_its_run)
{
    rb_strbuf text = RB_STRBUF_INIT;
    numbered_lines(&text, 256, false);
    rb_line_prints before, after;
    prints_of(text.buf, text.len, 4096, &before);
    char *line_100 = strstr(text.buf, "\n100,value 100\n") + 1;
    line_100[5] = 'V';
    prints_of(text.buf, text.len, 4096, &after);
    ck_assert_uint_eq(before.runs, 256 / RB_PRINT_LINES);
    for (size_t r = 0; r < before.runs; r++) {
        bool same = memcmp(before.hashes + r * RB_PRINT_HASH, after.hashes + r * RB_PRINT_HASH, RB_PRINT_HASH) == 0;
        ck_assert_msg(same == (r != 99 / RB_PRINT_LINES), "run %zu", r);
    }
    rb_line_prints_free(&before);
    rb_line_prints_free(&after);
    rb_strbuf_release(&text);
}
END_TEST

START_TEST(scan_gives_the_sha256_and_the_prints)
{
    rb_strbuf text = RB_STRBUF_INIT;
    numbered_lines(&text, 1000, true);
    const char *path = write_csv(text.buf, text.len);
    rb_line_prints scanned, added;
    rb_line_prints_init(&scanned);
    char sha[RB_SHA256_HEX], expected[RB_SHA256_HEX];
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_line_prints_scan(path, &scanned, sha, NULL, &err), RB_OK);
    ck_assert_int_eq(rb_sha256_file(path, expected, &err), RB_OK);
    ck_assert_str_eq(sha, expected);
    prints_of(text.buf, text.len, 999, &added);
    ck_assert_int_eq(scanned.lines, 1000);
    ck_assert_uint_eq(scanned.runs, added.runs);
    ck_assert_mem_eq(scanned.hashes, added.hashes, added.runs * RB_PRINT_HASH);
    ck_assert_int_eq(rb_line_prints_scan("/nonexistent/t.csv", &scanned, sha, NULL, &err), RB_E_NOINPUT);
    rb_line_prints_free(&scanned);
    rb_line_prints_free(&added);
    rb_strbuf_release(&text);
}
END_TEST

START_TEST(scan_tells_whether_the_file_is_utf8)
{
    /* Over 1 MiB of 9-byte lines: the scan's blocks end inside characters. */
    rb_strbuf text = RB_STRBUF_INIT;
    while (text.len < 1300 * 1024)
        ck_assert(rb_strbuf_adds(&text, "中文,1\n"));
    const char *path = write_csv(text.buf, text.len);
    rb_line_prints scanned, added;
    rb_line_prints_init(&scanned);
    char sha[RB_SHA256_HEX];
    bool utf8 = false;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_line_prints_scan(path, &scanned, sha, &utf8, &err), RB_OK);
    ck_assert(utf8);
    prints_of(text.buf, text.len, 65536, &added);
    ck_assert_int_eq(scanned.lines, added.lines);
    ck_assert_mem_eq(scanned.hashes, added.hashes, added.runs * RB_PRINT_HASH);
    /* One line of GB18030 (中文 is D6 D0 CE C4) near the end. */
    ck_assert(rb_strbuf_adds(&text, "\xD6\xD0\xCE\xC4,2\n中文,3\n"));
    path = write_csv(text.buf, text.len);
    ck_assert_int_eq(rb_line_prints_scan(path, &scanned, sha, &utf8, &err), RB_OK);
    ck_assert(!utf8);
    rb_line_prints_free(&scanned);
    rb_line_prints_free(&added);
    rb_strbuf_release(&text);
}
END_TEST

/* Every record as "<line>:[field]...\n". */
static rb_status collect(void *ctx, int64_t line, const rb_csv_field *fields, size_t count, rb_error *err)
{
    (void)err;
    rb_strbuf *out = ctx;
    ck_assert(rb_strbuf_addf(out, "%lld:", (long long)line));
    for (size_t i = 0; i < count; i++)
        ck_assert(rb_strbuf_addch(out, '[') && rb_strbuf_add(out, fields[i].text, fields[i].len) &&
                  rb_strbuf_addch(out, ']'));
    ck_assert(rb_strbuf_addch(out, '\n'));
    return RB_OK;
}

/* 5 runs of lines and 8 lines more; a record over two lines inside run 1
 * (lines L + 6 and L + 7), and one from the last line of run 1 to the first
 * of run 2 (lines 2L and 2L + 1). */
enum { L = RB_PRINT_LINES, OPEN_LINES = 5 * L + 8 };

static void file_with_open_records(rb_strbuf *out)
{
    rb_strbuf_reset(out);
    for (int i = 1; i <= OPEN_LINES; i++) {
        if (i == L + 6 || i == 2 * L)
            ck_assert(rb_strbuf_addf(out, "%d,\"two\n", i));
        else if (i == L + 7 || i == 2 * L + 1)
            ck_assert(rb_strbuf_adds(out, "lines\"\n"));
        else
            ck_assert(rb_strbuf_addf(out, "%d,v\n", i));
    }
}

START_TEST(reading_marks_the_runs_that_begin_inside_a_record)
{
    rb_strbuf text = RB_STRBUF_INIT, records = RB_STRBUF_INIT;
    file_with_open_records(&text);
    const char *path = write_csv(text.buf, text.len);
    rb_line_prints p;
    rb_line_prints_init(&p);
    rb_csv_info info;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_csv_read_once(path, "t.csv", RB_ENCODING_AUTO, collect, NULL, &records, &info, &p, &err),
                     RB_OK);
    ck_assert_uint_eq(p.runs, 6);
    ck_assert_int_eq(p.lines, OPEN_LINES);
    for (size_t r = 0; r < p.runs; r++) /* run 2 begins with the end of the record of line 2L */
        ck_assert_msg(rb_line_prints_start(p.starts, r) == (r != 2), "run %zu", r);
    /* The same hashes as the bytes alone give. */
    rb_line_prints bytes;
    prints_of(text.buf, text.len, 512, &bytes);
    ck_assert_mem_eq(p.hashes, bytes.hashes, bytes.runs * RB_PRINT_HASH);
    rb_line_prints_free(&p);
    rb_line_prints_free(&bytes);
    rb_strbuf_release(&text);
    rb_strbuf_release(&records);
}
END_TEST

START_TEST(ranges_read_as_the_whole_file_reads_them)
{
    rb_strbuf text = RB_STRBUF_INIT, whole = RB_STRBUF_INIT, part = RB_STRBUF_INIT;
    file_with_open_records(&text);
    const char *path = write_csv(text.buf, text.len);
    rb_line_prints p;
    rb_line_prints_init(&p);
    rb_csv_info info;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_csv_read_once(path, "t.csv", RB_ENCODING_UTF8, collect, NULL, &whole, &info, &p, &err), RB_OK);
    /* Run 1 ends inside the record of line 128, so runs 1-2 are read
     * together; run 3 alone. */
    rb_csv_range ranges[2] = {
        {p.offsets[1], p.offsets[3] - p.offsets[1], L + 1},
        {p.offsets[3], p.offsets[4] - p.offsets[3], 3 * L + 1},
    };
    unsigned char starts[1] = {0};
    ck_assert_int_eq(rb_csv_read_ranges(path, "t.csv", true, ranges, 2, collect, &part, starts, sizeof starts, &err),
                     RB_OK);
    /* Lines L + 1 to 4L of the whole reading. */
    char at[32];
    snprintf(at, sizeof at, "\n%d:", L + 1);
    const char *from = strstr(whole.buf, at) + 1;
    snprintf(at, sizeof at, "\n%d:", 4 * L + 1);
    const char *to = strstr(whole.buf, at) + 1;
    rb_strbuf expected = RB_STRBUF_INIT;
    ck_assert(rb_strbuf_add(&expected, from, (size_t)(to - from)));
    ck_assert_str_eq(part.buf, expected.buf);
    ck_assert_int_eq(starts[0], 0x02 | 0x00 | 0x08); /* runs 1 and 3 begin between records, run 2 inside one */

    /* Run 1 alone ends inside the record of line 2L: refused. */
    rb_strbuf_reset(&part);
    rb_csv_range alone = {p.offsets[1], p.offsets[2] - p.offsets[1], L + 1};
    ck_assert_int_eq(rb_csv_read_ranges(path, "t.csv", true, &alone, 1, collect, &part, NULL, 0, &err), RB_E_DATA);
    ck_assert_ptr_nonnull(strstr(err.message, "goes on past it"));
    rb_line_prints_free(&p);
    rb_strbuf_release(&text);
    rb_strbuf_release(&whole);
    rb_strbuf_release(&part);
    rb_strbuf_release(&expected);
}
END_TEST

START_TEST(ranges_refuse_bytes_of_another_encoding)
{
    rb_strbuf text = RB_STRBUF_INIT, part = RB_STRBUF_INIT;
    numbered_lines(&text, 10, false);
    text.buf[2] = (char)0xB0; /* 啊 in GB18030: line 1 is no longer UTF-8 */
    text.buf[3] = (char)0xA1;
    const char *path = write_csv(text.buf, text.len);
    rb_csv_range all = {0, text.len, 1};
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_csv_read_ranges(path, "t.csv", true, &all, 1, collect, &part, NULL, 0, &err), RB_E_DATA);
    ck_assert_ptr_nonnull(strstr(err.message, "not valid UTF-8"));
    /* As GB18030 it reads. */
    rb_strbuf_reset(&part);
    ck_assert_int_eq(rb_csv_read_ranges(path, "t.csv", false, &all, 1, collect, &part, NULL, 0, &err), RB_OK);
    ck_assert_ptr_nonnull(strstr(part.buf, "10:[10][value 10]\n"));
    rb_strbuf_release(&text);
    rb_strbuf_release(&part);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("import: line prints");
    TCase *tc = tcase_create("line_prints");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, lines_and_runs_are_counted);
    tcase_add_test(tc, hashes_do_not_depend_on_the_reading_chunks);
    tcase_add_test(tc, a_changed_byte_changes_only_its_run);
    tcase_add_test(tc, scan_gives_the_sha256_and_the_prints);
    tcase_add_test(tc, scan_tells_whether_the_file_is_utf8);
    tcase_add_test(tc, reading_marks_the_runs_that_begin_inside_a_record);
    tcase_add_test(tc, ranges_read_as_the_whole_file_reads_them);
    tcase_add_test(tc, ranges_refuse_bytes_of_another_encoding);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
